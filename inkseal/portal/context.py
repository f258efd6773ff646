from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from inkseal.accounts.identity import identities_of


def portal(request: HttpRequest) -> dict[str, Any]:
    person = getattr(request, "person", None)
    return {
        "sandbox": settings.SANDBOX,
        "current_identity": getattr(request, "identity", None),
        "identities": identities_of(person) if person else [],
    }
