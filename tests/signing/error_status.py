"""The HTTP status each error code is answered with, read from the error classes themselves (each
DomainError subclass carries its code and status), so a test can assert the exact status of a
refusal whose code it does not know in advance (a hostile or damaged PDF may fail several ways)."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from inkseal.core.errors import DomainError


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in _subclasses(direct))]


def status_for(code: str) -> int:
    """The status of the error class with `code`; fails if none or two classes disagree."""
    import_module(settings.ROOT_URLCONF)  # every view, and so every error class, is loaded
    statuses = {cls.status for cls in _subclasses(DomainError) if cls.code == code}
    assert len(statuses) == 1, f"error code {code!r}: statuses {statuses}"
    return statuses.pop()
