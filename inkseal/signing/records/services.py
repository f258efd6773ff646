"""应用记录 (signing records): a party's list and detail, and the retention purge of signed files."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.models import Party
from inkseal.core.errors import NotFound
from inkseal.signing.models import SignDocument, SigningRecord

log = logging.getLogger(__name__)


def records_of(party: Party, search: str = "") -> QuerySet[SigningRecord]:
    rows = SigningRecord.objects.filter(holder=party)
    text = search.strip()
    if text:
        rows = rows.filter(
            Q(event_id__icontains=text)
            | Q(platform_name__icontains=text)
            | Q(business_type__icontains=text)
            | Q(user_name__icontains=text)
            | Q(certificate_serial__icontains=text)
            | Q(seal_types__icontains=text)
            | Q(file_name__icontains=text)
        )
    return rows.order_by("-at", "-pk")


def record_for(party: Party, event_id: str) -> SigningRecord:
    found = SigningRecord.objects.filter(holder=party, event_id=str(event_id)).first()
    if found is None:
        raise NotFound(_("应用记录不存在。"))
    return found


def purge_signed_documents(now: datetime | None = None) -> int:
    """Delete the files of tasks finished more than SIGNED_RETENTION_DAYS ago (and of pending
    tasks whose confirm link expired that long ago); records stay. Returns documents purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SIGNED_RETENTION_DAYS)
    due = SignDocument.objects.filter(purged_at__isnull=True).filter(
        Q(task__completed_at__lt=cutoff) | Q(task__completed_at__isnull=True, task__token_expires_at__lt=cutoff)
    )
    count = 0
    for document in due.iterator():
        for field in (document.original, document.signed):
            if field:
                field.delete(save=False)
        document.purged_at = now
        document.save(update_fields=["original", "signed", "purged_at"])
        count += 1
    return count
