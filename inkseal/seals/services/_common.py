"""Small helpers every seal service uses: the acting person as audit actor, a seal type's label."""

from __future__ import annotations

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.services import person_actor
from inkseal.audit.services import Actor
from inkseal.seals.models import SealType


def _actor(identity: CurrentIdentity) -> Actor:
    return person_actor(identity.person)


def _label(seal_type: str) -> str:
    return str(SealType(seal_type).label)
