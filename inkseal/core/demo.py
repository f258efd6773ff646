"""Demo data for `make run` (sandbox): people, an enterprise, an operator and the demo trading
platform, written to var/demo.json so that scripts and integrators can drive the demo.

Apps add their own demo objects by registering a step (`register(step)` in AppConfig.ready);
each step receives the demo document and adds its keys. Every step is idempotent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

Step = Callable[[dict[str, Any]], None]
_steps: list[Step] = []
Setup = Callable[[], object]
_setup: list[Setup] = []


def register_setup(step: Setup) -> None:
    """A first-run step every `inkseal bootstrap` runs, demo or not (e.g. creating the CA)."""
    if step not in _setup:
        _setup.append(step)


def run_setup() -> None:
    for step in _setup:
        step()


def register(step: Step) -> None:
    if step not in _steps:
        _steps.append(step)


def demo_path() -> Path:
    return Path(settings.VAR_DIR) / "demo.json"


def build(base_url: str, portal_url: str, path: Path | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"inkseal_url": base_url, "portal_url": portal_url, "sandbox": settings.SANDBOX}
    for step in _steps:
        step(document)
    write(document, path or demo_path())
    return document


def write(document: dict[str, Any], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover temporary file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
    os.replace(tmp, path)
