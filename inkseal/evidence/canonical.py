"""The canonical JSON of a log leaf and the reduction of personal data in it. Pure.

Canonical JSON: keys sorted, no insignificant whitespace, UTF-8, no floats (integers and strings
only, so the bytes are the same in any JSON library). Personal data never enters a leaf in clear:
names and numbers are masked for reading and hashed (salted by the kind of datum, SHA-256) so
that whoever holds the clear value can show it matches.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from inkseal.core.masking import mask_id_number, mask_name, mask_phone


def canonical_json(value: Any) -> bytes:
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("no floats in a log leaf (their text differs between JSON libraries)")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("log leaf keys are strings")
            _check(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item)
    elif value is not None and not isinstance(value, str | int | bool):
        raise TypeError(f"{type(value).__name__} is not allowed in a log leaf")


def personal_digest(kind: str, value: str) -> str:
    """SHA-256 over the kind and the value, hex: comparable by whoever holds the value."""
    return hashlib.sha256(f"inkseal-log/{kind}\n{value}".encode()).hexdigest()


def reduced_name(name: str) -> dict[str, str]:
    return {"masked": mask_name(name), "sha256": personal_digest("name", name)} if name else {}


def reduced_phone(phone: str) -> dict[str, str]:
    return {"masked": mask_phone(phone), "sha256": personal_digest("phone", phone)} if phone else {}


def reduced_id_number(number: str) -> dict[str, str]:
    return {"masked": mask_id_number(number), "sha256": personal_digest("id_number", number)} if number else {}
