"""印章使用记录: reading a seal's (or a party's) usage records and writing them for a signing event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.models import Party
from inkseal.seals.errors import SealInactive, SealRequestInvalid
from inkseal.seals.models import LIVE_STATES, Seal, SealState, SealType, SealUsage
from inkseal.seals.services._common import _label


def seal_usages(seal: Seal, search: str = "") -> QuerySet[SealUsage]:
    """One seal's 印章使用记录, newest first."""
    return _search_usages(seal.usages.select_related("seal"), search)


def usages_for(party: Party, *, void: bool = False, search: str = "") -> QuerySet[SealUsage]:
    """印章使用记录 of the party's live seals (or of its voided ones), newest first."""
    states = [SealState.VOID] if void else list(LIVE_STATES)
    usages = SealUsage.objects.filter(seal__owner=party, seal__state__in=states).select_related("seal")
    return _search_usages(usages, search)


def _search_usages(usages: QuerySet[SealUsage], search: str) -> QuerySet[SealUsage]:
    text = search.strip()[:100]
    if text:
        matching_types = [t.value for t in SealType if text in str(t.label)]
        usages = usages.filter(
            Q(document_name__icontains=text)
            | Q(platform_name__icontains=text)
            | Q(event_id__icontains=text)
            | Q(certificate_serial__icontains=text)
            | Q(seal__kind__in=matching_types)
        )
    return usages.order_by("-used_at", "-pk")


def record_seal_usage(
    seal: Seal,
    *,
    event_id: str,
    document_name: str,
    platform_name: str,
    certificate_serial: str = "",
    at: datetime | None = None,
) -> SealUsage:
    """印章使用记录 for one signing event. Call it inside the signing transaction: the seal row
    is locked, so a seal voided meanwhile raises SealInactive and the signing rolls back.
    Idempotent per (seal, event_id). The signing event's own audit row covers this write."""
    event_id = str(event_id).strip()
    if not event_id:
        raise SealRequestInvalid(_("缺少签署事件ID。"))
    with transaction.atomic():
        locked = Seal.objects.select_for_update(no_key=True).get(pk=seal.pk)
        if locked.state != SealState.ACTIVE:
            raise SealInactive(
                _("%(type)s不可用（%(state)s）。") % {"type": _label(locked.kind), "state": locked.get_state_display()}
            )
        usage, _created = SealUsage.objects.get_or_create(
            seal=locked,
            event_id=event_id[:64],
            defaults={
                "used_at": at or timezone.now(),
                "document_name": document_name[:255],
                "platform_name": platform_name[:128],
                "certificate_serial": certificate_serial[:64],
            },
        )
    return usage


def record_seal_usages(
    seals: Iterable[Seal],
    *,
    event_id: str,
    document_name: str,
    platform_name: str,
    certificate_serial: str = "",
    at: datetime | None = None,
) -> None:
    """印章使用记录 of one signing event for each of its seals, in one statement: call it inside
    the signing transaction after lock_seals_for_signing. Idempotent per (seal, event_id)."""
    event_id = str(event_id).strip()[:64]
    if not event_id:
        raise SealRequestInvalid(_("缺少签署事件ID。"))
    used_at = at or timezone.now()
    unique = {seal.pk: seal for seal in seals}
    SealUsage.objects.bulk_create(
        [
            SealUsage(
                seal_id=pk,
                event_id=event_id,
                used_at=used_at,
                document_name=document_name[:255],
                platform_name=platform_name[:128],
                certificate_serial=certificate_serial[:64],
            )
            for pk in unique
        ],
        ignore_conflicts=True,
    )
