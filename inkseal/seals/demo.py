"""Demo seals (see core.demo): 公章, 法定代表人章 and 合同专用章 for the demo enterprise, a square
人名章 for the demo expert. Idempotent: types that already have a live seal are left alone."""

from __future__ import annotations

from typing import Any

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Enterprise, Membership, Person
from inkseal.accounts.services import identity_acting
from inkseal.seals.models import Seal, SealType
from inkseal.seals.services import TemplateOptions, do_make_template_seal, live_seals

EXPERT_PHONE = "18800005473"
ENTERPRISE_SEALS = (
    (SealType.OFFICIAL, TemplateOptions()),
    (SealType.LEGAL_REPRESENTATIVE, TemplateOptions()),
    (SealType.CONTRACT, TemplateOptions(lower_text="1101080012345")),
)
PERSONAL_SEALS = ((SealType.NAME, TemplateOptions(style="square")),)


def _ensure(identity: CurrentIdentity, wanted: tuple[tuple[SealType, TemplateOptions], ...]) -> list[Seal]:
    acting = identity_acting(identity)
    seals = []
    for seal_type, options in wanted:
        seal = live_seals(identity.party).filter(kind=seal_type).first()
        seals.append(seal or do_make_template_seal(identity, seal_type, options, acting=acting))
    return seals


def demo_step(document: dict[str, Any]) -> None:
    identities: list[tuple[CurrentIdentity, tuple[tuple[SealType, TemplateOptions], ...]]] = []
    uscc = (document.get("enterprise") or {}).get("uscc")
    enterprise = Enterprise.objects.filter(uscc=uscc).first() if uscc else None
    if enterprise is not None:
        admin = Membership.objects.filter(enterprise=enterprise, role=Membership.Role.ADMIN).first()
        if admin is not None:
            identity = CurrentIdentity(admin.person, enterprise, Membership.Role.ADMIN)
            identities.append((identity, ENTERPRISE_SEALS))
    expert = Person.objects.filter(phone=EXPERT_PHONE).first()
    if expert is not None:
        identities.append((CurrentIdentity(expert), PERSONAL_SEALS))
    document["seals"] = [
        {"owner": identity.label, "kind": seal.kind, "id": seal.pk}
        for identity, wanted in identities
        for seal in _ensure(identity, wanted)
    ]
