"""PEM armour (RFC 7468) without a crypto library, so keys of any algorithm (SM2 too) can be shown."""

from __future__ import annotations

import base64
import binascii
import re

_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


def armor(der: bytes, label: str) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def is_pem(data: bytes) -> bool:
    return data.lstrip()[:11] == b"-----BEGIN "


def unarmor(data: bytes, labels: tuple[str, ...]) -> bytes:
    """The DER inside the first PEM block with one of `labels`; ValueError if there is none."""
    for match in _PEM_RE.finditer(data):
        if match.group(1).decode() in labels:
            try:
                return base64.b64decode(b"".join(match.group(2).split()), validate=True)
            except binascii.Error as exc:
                raise ValueError("PEM body is not base64") from exc
    raise ValueError(f"no PEM block labelled {' or '.join(labels)}")
