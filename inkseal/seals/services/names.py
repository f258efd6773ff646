"""The names engraved on seals: what a seal of each type must say, now."""

from __future__ import annotations

import unicodedata

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Enterprise, Party, Person
from inkseal.seals.errors import LegalRepMissing
from inkseal.seals.models import ENTERPRISE_TYPES, PERSONAL_TYPES, SealType


def seal_name(identity: CurrentIdentity, seal_type: str) -> str:
    """What the seal of this type says: the enterprise's name, its legal representative's name,
    or the person's verified name."""
    if identity.enterprise is None:
        return identity.person.name
    if seal_type == SealType.LEGAL_REPRESENTATIVE:
        if not identity.enterprise.legal_rep_name.strip():
            raise LegalRepMissing()
        return identity.enterprise.legal_rep_name
    return identity.enterprise.name


def _comparable(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", name) if not ch.isspace())


def _current_names(party: Party) -> dict[str, str]:
    """Per seal type, the name a seal of `party` should carry now (read from the database)."""
    enterprise = Enterprise.objects.filter(party=party).first()
    if enterprise is not None:
        names = {t.value: enterprise.name for t in ENTERPRISE_TYPES}
        names[SealType.LEGAL_REPRESENTATIVE] = enterprise.legal_rep_name
        return names
    person = Person.objects.filter(party=party).first()
    return {t.value: person.name for t in PERSONAL_TYPES} if person else {}
