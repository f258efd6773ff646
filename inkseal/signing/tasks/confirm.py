"""Confirming a sign task: the confirm link's token, the SMS code or PIN (with lockout scopes), and the
one claim that starts signing."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.duties import check_confirmer_uses_seals
from inkseal.audit.services import Actor, record
from inkseal.core.acting import Acting
from inkseal.core.crypto import decrypt
from inkseal.core.db.rows import unique_row
from inkseal.core.errors import NotFound
from inkseal.notify.services import send_code, verify_code
from inkseal.pki.pins import PinScope, verify_pin
from inkseal.signing.models import IntentMethod, SignTask, TaskStatus
from inkseal.signing.states import SIGN_TASK
from inkseal.signing.tasks.approvals import check_task_approved
from inkseal.signing.tasks.errors import ConfirmTokenExpired, ConfirmTokenUsed, SpecInvalid
from inkseal.signing.tasks.execute import sign_task_documents

log = logging.getLogger(__name__)


SMS_PURPOSE = "sign"


def sms_purpose(task: SignTask) -> str:
    """Codes are bound to one task: a code sent for one task never confirms another."""
    return f"{SMS_PURPOSE}:{task.pk}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_purpose(public_id: str) -> str:
    return f"sign-task:{public_id}:token"


def confirm_token(task: SignTask) -> str:
    return decrypt(task.token_enc, token_purpose(task.public_id))


def confirm_url(task: SignTask) -> str:
    return f"{settings.PUBLIC_BASE_URL}/sign/confirm/{confirm_token(task)}"


def pending_task_for_token(token: str, *, for_update: bool = False, with_certificate: bool = False) -> SignTask:
    """The task a confirm link names, still waiting for its confirmation (`with_certificate`: its
    certificate read in the same query, for the signing that follows, with its holder and the
    holder's enterprise, which the 三权分立 check reads)."""
    certificate = ["certificate__renewed_by", "certificate__holder__enterprise"] if with_certificate else []
    rows = SignTask.objects.select_related("platform", *certificate)
    if for_update:
        rows = rows.select_for_update(of=("self",), no_key=True)
    task = unique_row(rows.filter(token_hash=token_hash(str(token))))
    if task is None:
        raise NotFound(_("签章确认链接无效。"))
    if task.confirmed_at is None and is_expired(task):
        raise ConfirmTokenExpired(_("签章确认链接已过期，请交易平台重新发起签章。"))
    if task.confirmed_at is not None or task.status != TaskStatus.PENDING:
        raise ConfirmTokenUsed(_("该签章任务已确认过，链接不能重复使用。"))
    return task


def is_expired(task: SignTask, now: datetime | None = None) -> bool:
    """Never confirmed and its confirm link expired (marked so by expire_sign_tasks, or not yet)."""
    if task.status == TaskStatus.EXPIRED:
        return True
    return task.status == TaskStatus.PENDING and task.token_expires_at <= (now or timezone.now())


def shown_status(task: SignTask, now: datetime | None = None) -> str:
    """The task's status as the platform sees it: "expired" as soon as the link expired."""
    return TaskStatus.EXPIRED.value if is_expired(task, now) else str(task.status)


def any_task_for_token(token: str) -> SignTask:
    """The task a confirm link names, whatever its state (for the progress display)."""
    task = unique_row(SignTask.objects.filter(token_hash=token_hash(str(token))))
    if task is None:
        raise NotFound(_("签章确认链接无效。"))
    return task


def do_send_confirm_code(token: str, *, acting: Acting) -> str:
    """Send the SMS code to the authorised person; returns the masked phone."""
    task = pending_task_for_token(token)
    check_task_approved(task, acting=acting)  # no code while the seal's use waits for approval
    send_code(
        task.confirmer_phone,
        sms_purpose(task),
        acting.ip,
        context=f"您正在{task.platform.name}签署{task.business_type or '文件'}（{_document_count(task)}份）。"
        if task.platform is not None
        else f"您正在自助签署文件（{_document_count(task)}份）。",
    )
    return task.confirmer_phone[:3] + "****" + task.confirmer_phone[-4:]


def _document_count(task: SignTask) -> int:
    """One document per spec entry (check_spec, self-service); counted when a spec lacks them."""
    documents = task.spec.get("documents") if isinstance(task.spec, dict) else None
    return len(documents) if isinstance(documents, list) and documents else task.documents.count()


def confirm_intent(task: SignTask, method: str, secret: str, *, acting: Acting, token: str) -> None:
    """Check the SMS code or PIN and claim the task for signing: the code is consumed in the same
    transaction as the claim. Wrong codes and PINs count (committed before the refusal). The
    confirmer (the task's named person, whom the code or PIN proves) is the actor."""
    confirmer = acting.as_actor(Actor("person", task.confirmer_phone, task.confirmer_name))
    # 三权分立: an enterprise's seals are confirmed by its seal users only (before any code or PIN counts)
    check_confirmer_uses_seals(task.certificate.holder, task.confirmer_phone, acting=confirmer)
    check_task_approved(task, acting=confirmer)  # 用印审批: 409 while pending, 403 once rejected
    if method == IntentMethod.SMS:
        verify_code(
            task.confirmer_phone,
            sms_purpose(task),
            secret,
            and_then=lambda: _claim(task, IntentMethod.SMS, confirmer, token),
        )
    elif method == IntentMethod.PIN:
        verify_pin(task.certificate, secret, acting=confirmer, scope=pin_scope(task))
        with transaction.atomic():
            _claim(task, IntentMethod.PIN, confirmer, token)
    else:
        raise SpecInvalid(_("method 须为 sms 或 pin。"))


def pin_scope(task: SignTask) -> PinScope:
    """Wrong PINs count and lock per task and per platform (self-service: the portal)."""
    if task.platform is None:
        return PinScope.portal(task.public_id)
    return PinScope(task=str(task.public_id), platform=str(task.platform_id), label=task.platform.name)


def _claim(task: SignTask, intent: IntentMethod, confirmer: Acting, token: str) -> None:
    """Inside the caller's transaction: mark the pending task confirmed and signing."""
    now = timezone.now()
    # claimed by a conditional UPDATE (it takes the row lock): a second confirmation waits,
    # then finds the task no longer pending and is refused with the reason
    lease = uuid.uuid4().hex
    claimed = SIGN_TASK.move_where(
        SignTask.objects.filter(pk=task.pk, confirmed_at__isnull=True, token_expires_at__gt=now),
        TaskStatus.SIGNING,
        confirmed_at=now,
        intent_method=intent,
        confirm_ip=confirmer.ip,
        lease=lease,
        heartbeat_at=now,
    )
    if not claimed:
        pending_task_for_token(token)  # raises: used or expired
        raise ConfirmTokenUsed(_("该签章任务已确认过，链接不能重复使用。"))
    task.confirmed_at, task.intent_method, task.confirm_ip = now, intent, confirmer.ip
    task.lease, task.heartbeat_at = lease, now
    SIGN_TASK.move(
        task,
        TaskStatus.SIGNING,
        audit=lambda event: record(
            event,
            **confirmer.audit(),
            target=f"sign_task:{task.public_id}",
            data={"method": intent.value},
        ),
    )


def do_confirm_sign_task(token: str, method: str, secret: str, *, acting: Acting) -> SignTask:
    """Confirm with an SMS code or the PIN, then sign every document of the task."""
    task = pending_task_for_token(token, with_certificate=True)
    confirm_intent(task, method, str(secret or ""), acting=acting, token=token)
    return sign_task_documents(task)
