"""What apps above this one plug into accounts, registered in their ready(): the parts of 个人中心
they add (the platforms app: the person's platform links, the platform of this SSO session) and
the PIN check of a step-up (the pki app: pki.pins.verify_pin).

A module of its own, without the views and services that use the hooks, so that registering at
start-up loads nothing heavy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

ProfileSection = Callable[[HttpRequest], dict[str, Any]]
_profile_sections: list[ProfileSection] = []


def register_profile_section(section: ProfileSection) -> None:
    if section not in _profile_sections:
        _profile_sections.append(section)


def profile_sections(request: HttpRequest) -> dict[str, Any]:
    """The registered sections' template context for this request."""
    context: dict[str, Any] = {}
    for section in _profile_sections:
        context.update(section(request))
    return context


# Checking a cloud certificate's PIN: (certificate, pin, acting=) -> None, raising a DomainError.
PinCheck = Callable[..., None]
_pin_check: PinCheck | None = None


def register_pin_check(check: PinCheck) -> None:
    global _pin_check
    _pin_check = check


def pin_check() -> PinCheck | None:
    return _pin_check
