"""Tasks that outlive their worker or their deadline: stalled tasks resumed or failed, unconfirmed tasks expired."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.core.db.rows import unique_row
from inkseal.signing.models import SignTask, TaskStatus
from inkseal.signing.states import SIGN_DOCUMENT, SIGN_TASK
from inkseal.signing.tasks.errors import SigningInterrupted
from inkseal.signing.tasks.execute import close_task, fail_document, sign_task_documents
from inkseal.signing.tasks.storage_cleanup import discard_uncommitted_signed_files

log = logging.getLogger(__name__)


def stalled_sign_tasks(now: datetime) -> QuerySet[SignTask]:
    """Tasks "signing" with no heartbeat for SIGN_HEARTBEAT_TIMEOUT_SECONDS: their worker died."""
    cutoff = now - timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS)
    return SignTask.objects.filter(status=TaskStatus.SIGNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, confirmed_at__lt=cutoff)
    )


def recover_stalled_task(task_id: int, now: datetime | None = None) -> SignTask | None:
    """Take over a stalled task (a new lease: a worker presumed dead that wakes up commits
    nothing more) and resume its pending documents while its intent confirmation is still
    provable; fail them otherwise (`signing_interrupted`). None when the task is not stalled (any
    more). Either way the task ends with its callback queued."""
    now = now or timezone.now()
    with transaction.atomic():
        task = unique_row(
            stalled_sign_tasks(now)
            .select_for_update(of=("self",), no_key=True)
            .select_related("platform", "certificate__renewed_by")
            .filter(pk=task_id)
        )
        if task is None:
            return None
        task.lease, task.heartbeat_at, task.recoveries = uuid.uuid4().hex, now, task.recoveries + 1
        task.save(update_fields=["lease", "heartbeat_at", "recoveries"])
        # once the takeover commits, no earlier run's file can be committed: delete the ones stored uncommitted
        transaction.on_commit(partial(discard_uncommitted_signed_files, task.pk))
        why_not = _why_not_resumable(task, now)
        record(
            events.SIGN_TASK_RESUME if why_not is None else events.SIGN_TASK_INTERRUPT,
            actor=Actor.system(),
            target=f"sign_task:{task.public_id}",
            data={"recoveries": task.recoveries, "reason": why_not or ""},
        )
        if why_not is not None:
            failure = SigningInterrupted(_("签章过程中断，且已无法确认签署意愿，请交易平台重新发起签章。"))
            for document in task.documents_in_order:
                if document.status == TaskStatus.PENDING:
                    fail_document(task, document, failure)
            close_task(task, failure)
            return task
    log.warning("resuming sign task %s (recovery %d)", task.public_id, task.recoveries)
    return sign_task_documents(task)


def recover_stalled_sign_tasks(now: datetime | None = None, limit: int = 20) -> int:
    """Take over the stalled tasks (the periodic job): each is resumed or failed, with its
    callback; returns how many were taken over."""
    now = now or timezone.now()
    due = list(stalled_sign_tasks(now).order_by("heartbeat_at").values_list("pk", flat=True)[:limit])
    recovered = 0
    for task_id in due:
        try:
            recovered += recover_stalled_task(task_id, now) is not None
        except Exception:  # one task's trouble must not stop the others' recovery
            log.exception("recovering sign task %s failed", task_id)
    return recovered


def _why_not_resumable(task: SignTask, now: datetime) -> str | None:
    """None while the signer's confirmation still covers signing: recorded (the task's
    confirmation and its audit entry in the hash-chained log), recent enough, and the task not
    already resumed too often (a document that kills every worker must not loop)."""
    from inkseal.audit.models import AuditEntry

    if task.confirmed_at is None or not task.intent_method:
        return "not_confirmed"
    if not AuditEntry.objects.filter(event=events.SIGN_TASK_CONFIRM, target=f"sign_task:{task.public_id}").exists():
        return "confirmation_not_audited"
    if now - task.confirmed_at > timedelta(seconds=settings.SIGN_RESUME_MAX_AGE_SECONDS):
        return "confirmation_too_old"
    if task.recoveries > settings.SIGN_RECOVERY_MAX_ATTEMPTS:
        return "too_many_recoveries"
    return None


def expire_sign_tasks(now: datetime | None = None, limit: int = 500) -> int:
    """Mark pending tasks whose confirm link expired "expired" (documents too), audited, with the
    platform's callback; returns how many."""
    from inkseal.signing.callbacks.delivery import enqueue_callback

    now = now or timezone.now()
    due = SignTask.objects.filter(status=TaskStatus.PENDING, confirmed_at__isnull=True, token_expires_at__lte=now)
    count = 0
    for task in due.order_by("token_expires_at")[:limit]:
        with transaction.atomic():
            unconfirmed = SignTask.objects.filter(pk=task.pk, confirmed_at__isnull=True)
            if not SIGN_TASK.move_where(unconfirmed, TaskStatus.EXPIRED, completed_at=now):
                continue  # confirmed meanwhile
            task.completed_at = now
            target = f"sign_task:{task.public_id}"
            SIGN_TASK.move(task, TaskStatus.EXPIRED, audit=partial(record, actor=Actor.system(), target=target))
            SIGN_DOCUMENT.move_where(task.documents.all(), TaskStatus.EXPIRED)
            enqueue_callback(task)
        count += 1
    return count
