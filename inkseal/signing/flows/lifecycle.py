"""The platform's hand on a flow (cancel, remind: 催签) and the flows that outlive their links
(expiry), each recorded in the audit log and, when the flow ends, called back."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.core.db.rows import unique_row
from inkseal.core.errors import NotFound
from inkseal.notify.backends import gateway
from inkseal.platforms.models import TradingPlatform
from inkseal.signing.flows.create import flow_of_platform
from inkseal.signing.flows.errors import FlowCancelled, FlowClosed, FlowSignerDone, FlowSignerWaiting, ReminderTooSoon
from inkseal.signing.flows.models import FlowSigner, FlowStatus, SignFlow
from inkseal.signing.flows.notices import SMS_PURPOSE, notice_text
from inkseal.signing.flows.progress import audit_signer, end_flow, lock_flow
from inkseal.signing.flows.schemas import shown_status

REMIND_INTERVAL = timedelta(minutes=10)  # one reminder per signer in this time
REMIND_LIMIT = 5  # reminders per signer in all


def do_cancel_sign_flow(platform: TradingPlatform, public_id: str, reason: str, *, acting: Acting) -> SignFlow:
    """The platform cancels its flow: the signers still to sign lose their links. A signature being
    applied at this moment either committed first (it stays, complete) or is refused (flow_closed)."""
    with transaction.atomic():
        flow = flow_of_platform(platform, public_id, for_update=True)
        if shown_status(flow.status, flow.expires_at) != FlowStatus.PENDING:
            raise FlowClosed()
        text = (reason or "").strip()[:500] or str(_("交易平台取消了签署流程。"))
        end_flow(
            flow, FlowStatus.CANCELLED, acting=acting, now=timezone.now(), reason_code=FlowCancelled.code, reason=text
        )
    return flow


def do_remind_flow_signer(platform: TradingPlatform, public_id: str, number: int, *, acting: Acting) -> FlowSigner:
    """催签: the signer's SMS with its link again, at most once per REMIND_INTERVAL and
    REMIND_LIMIT times (429 flow_reminder_limited beyond)."""
    with transaction.atomic():
        flow = flow_of_platform(platform, public_id)
        lock_flow(flow.pk)
        signer = unique_row(
            FlowSigner.objects.select_for_update(no_key=True)
            .select_related("flow__platform", "certificate")
            .filter(flow=flow, number=number)
        )
        if signer is None:
            raise NotFound(_("签署人不存在。"))
        status = shown_status(signer.status, flow.expires_at)
        if shown_status(flow.status, flow.expires_at) != FlowStatus.PENDING:
            raise FlowClosed()
        if status == FlowStatus.WAITING:
            raise FlowSignerWaiting(_("该签署人尚未轮到签署，无需催签。"))
        if status != FlowStatus.PENDING:
            raise FlowSignerDone(_("该签署人已确认或已结束，无需催签。"))
        now = timezone.now()
        too_soon = signer.reminded_at is not None and now - signer.reminded_at < REMIND_INTERVAL
        if too_soon or signer.reminders >= REMIND_LIMIT:
            raise ReminderTooSoon(minutes=int(REMIND_INTERVAL.total_seconds() // 60), limit=REMIND_LIMIT)
        signer.reminders, signer.reminded_at = signer.reminders + 1, now
        signer.save(update_fields=["reminders", "reminded_at"])
        audit_signer(signer, {"reminders": signer.reminders}, events.SIGN_FLOW_SIGNER_REMIND, acting=acting)
        phone, body = signer.confirmer_phone, notice_text(signer)
        transaction.on_commit(partial(gateway().send, phone, body, SMS_PURPOSE))
    return signer


def expire_sign_flows(now: datetime | None = None, limit: int = 200) -> int:
    """End the pending flows whose links expired (their signers still to sign expire with them),
    audited, with the platform's callback; returns how many."""
    now = now or timezone.now()
    due = SignFlow.objects.filter(status=FlowStatus.PENDING, expires_at__lte=now).order_by("expires_at")
    count = 0
    for flow_id in due.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            flow = lock_flow(flow_id)
            if flow.status != FlowStatus.PENDING:
                continue
            end_flow(flow, FlowStatus.EXPIRED, acting=Acting.system(), now=now)
        count += 1
    return count


def settle_finished_signers(limit: int = 200) -> int:
    """Signers still "signing" whose sign task ended failed (its worker died and the recovery job
    failed it, or the process stopped before settling): the signer and its flow fail with the
    task's reason (progress.settle_signer). Returns how many were looked at."""
    from inkseal.signing.flows.progress import settle_signer
    from inkseal.signing.models import TaskStatus

    due = FlowSigner.objects.filter(status=FlowStatus.SIGNING, task__status=TaskStatus.FAILED)
    ids = list(due.values_list("pk", flat=True)[:limit])
    for signer_id in ids:
        settle_signer(signer_id)
    return len(ids)


def purge_flow_documents(now: datetime | None = None) -> int:
    """Delete the files of flows that ended more than SIGNED_RETENTION_DAYS ago (as sign tasks'
    are: records stay; each signer's own signed copies go with its sign task's purge). Returns
    documents purged."""
    from django.conf import settings

    from inkseal.signing.flows.models import FlowDocument

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SIGNED_RETENTION_DAYS)
    due = FlowDocument.objects.filter(purged_at__isnull=True, flow__completed_at__lt=cutoff)
    count = 0
    for document in due.iterator():
        current = document.current.name
        document.original.delete(save=False)
        if current and current != document.original.name:
            document.current.storage.delete(current)
        document.current.name = ""
        document.purged_at = now
        document.save(update_fields=["original", "current", "purged_at"])
        count += 1
    return count
