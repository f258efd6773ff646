"""Hooks registered at start-up (AppConfig.ready) whose module is imported on first use.

Django setup runs every app's ready(); importing the services behind each hook there made every
process (a one-line CLI command too) load the whole application: cryptography, PIL, fonts, JWT.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def deferred(target: str) -> Callable[..., Any]:
    """A function that calls `module:attribute`, importing the module on the first call."""
    module, _, name = target.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(import_module(module), name)(*args, **kwargs)

    call.__qualname__ = call.__name__ = target
    return call
