"""Small helpers every seal service uses: a seal type's label."""

from __future__ import annotations

from inkseal.seals.models import SealType


def _label(seal_type: str) -> str:
    return str(SealType(seal_type).label)
