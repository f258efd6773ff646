"""Queries and the access gate: which seals an identity has, may make and may manage."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Duty, Party
from inkseal.seals.errors import SealManageDenied, SealNotFound
from inkseal.seals.models import ENTERPRISE_TYPES, LIVE_STATES, PERSONAL_TYPES, Seal, SealState, SealType


def allowed_types(identity: CurrentIdentity) -> tuple[SealType, ...]:
    """Enterprise identities make enterprise seals; the personal identity makes personal ones."""
    return ENTERPRISE_TYPES if identity.is_enterprise else PERSONAL_TYPES


def live_seals(party: Party) -> QuerySet[Seal]:
    """可用 and 待变更 seals: at most one per type."""
    return Seal.objects.filter(owner=party, state__in=LIVE_STATES)


def void_seals(party: Party) -> QuerySet[Seal]:
    """作废印章记录, most recently voided first."""
    return Seal.objects.filter(owner=party, state=SealState.VOID).order_by("-voided_at", "-pk")


def missing_types(identity: CurrentIdentity) -> list[SealType]:
    """The types this identity may still add (no live seal yet); 新增 is disabled when empty."""
    taken = set(live_seals(identity.party).values_list("kind", flat=True))
    return [t for t in allowed_types(identity) if t not in taken]


def usable_seal_count(party: Party) -> int:
    return Seal.objects.filter(owner=party, state=SealState.ACTIVE).count()


def seal_for(identity: CurrentIdentity, seal_id: int | str) -> Seal:
    """The seal if it belongs to the current identity; SealNotFound otherwise, whether or not
    another identity's seal has that id."""
    try:
        pk = int(seal_id)
    except (TypeError, ValueError):
        pk = 0
    seal = Seal.objects.filter(owner=identity.party, pk=pk).select_related("created_by").first()
    if seal is None:
        raise SealNotFound(_("印章不存在。"))
    return seal


def seal_image_bytes(seal: Seal) -> bytes:
    with seal.image.open("rb") as handle:
        return bytes(handle.read())


def check_manage(identity: CurrentIdentity) -> None:
    """Making, changing and voiding: the seal administrator (印章管理员, accounts.duties)."""
    if not identity.holds(Duty.SEAL_ADMIN):
        raise SealManageDenied(_("只有企业的印章管理员可以制作、变更或作废企业印章。"))
