"""A flow signer's link: the signer it names, the SMS code, the confirmation (the signer's sign
task confirmed by code or PIN, then its signature applied to the current version), the refusal."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.core.db.rows import unique_row
from inkseal.core.errors import NotFound
from inkseal.notify.services import send_code
from inkseal.signing.flows.errors import (
    FlowClosed,
    FlowExpired,
    FlowSignerDone,
    FlowSignerWaiting,
    RefusalReasonMissing,
    SignerRefused,
)
from inkseal.signing.flows.models import FlowSigner, FlowStatus
from inkseal.signing.flows.progress import audit_signer, end_flow, flow_callback, lock_flow, settle_signer
from inkseal.signing.flows.schemas import shown_status
from inkseal.signing.states import FLOW_SIGNER
from inkseal.signing.tasks.confirm import confirm_intent, confirm_token, sms_purpose, token_hash
from inkseal.signing.tasks.execute import sign_task_documents


def signer_for_token(token: str) -> FlowSigner:
    """The signer a flow link names, whatever its state; 404 for an unknown link."""
    signer = unique_row(
        FlowSigner.objects.select_related("flow__platform", "certificate").filter(token_hash=token_hash(str(token)))
    )
    if signer is None:
        raise NotFound(_("签署链接无效。"))
    return signer


def pending_signer_for_token(token: str) -> FlowSigner:
    """The signer a link names, whose turn it is; why not otherwise."""
    signer = signer_for_token(token)
    check_pending(signer)
    return signer


def check_pending(signer: FlowSigner) -> None:
    status = shown_status(signer.status, signer.flow.expires_at)
    if status == FlowStatus.PENDING:
        return
    if status == FlowStatus.WAITING:
        raise FlowSignerWaiting()
    if status == FlowStatus.EXPIRED:
        raise FlowExpired()
    if status in (FlowStatus.SIGNING, FlowStatus.SIGNED, FlowStatus.REFUSED):
        raise FlowSignerDone()
    raise FlowClosed()


def do_send_flow_code(token: str, *, acting: Acting) -> str:
    """Send the SMS code to the signer's authorised person; returns the masked phone."""
    signer = pending_signer_for_token(token)
    flow = signer.flow
    send_code(
        signer.confirmer_phone,
        sms_purpose(signer.task),
        acting.ip,
        context=f"您正在{flow.platform.name}签署{flow.business_type or '文件'}。",
    )
    return signer.confirmer_phone[:3] + "****" + signer.confirmer_phone[-4:]


def do_confirm_flow_signer(token: str, method: str, secret: str, *, acting: Acting) -> FlowSigner:
    """Confirm with the SMS code or PIN (the signer's own sign task: its lockout, its audit entry),
    then apply the signature to the current version of each document, after any signature being
    applied at that moment, never waiting for another signer's confirmation."""
    signer = pending_signer_for_token(token)
    task = signer.task
    task = type(task).objects.select_related("platform", "certificate__renewed_by").get(pk=task.pk)
    confirm_intent(task, method, str(secret or ""), acting=acting, token=confirm_token(task))
    claim_signer(signer.pk)
    # a flow cancelled meanwhile: the signature is refused when it would be applied (flow_closed);
    # if this process dies here, the sign tasks' recovery job applies it (the same guard)
    sign_task_documents(task)
    settled = settle_signer(signer.pk)
    if settled.status == FlowStatus.CANCELLED:  # the flow ended before the signature could be applied
        raise FlowClosed()
    return settled


def claim_signer(signer_id: int) -> None:
    """Once the signer's task is confirmed: the signer is signing, unless the flow ended meanwhile
    (under the flow's lock, which cancellation, refusal and expiry take)."""
    with transaction.atomic():
        flow = lock_flow(FlowSigner.objects.values_list("flow_id", flat=True).get(pk=signer_id))
        claimed = FlowSigner.objects.select_for_update(no_key=True).get(pk=signer_id)
        if flow.status == FlowStatus.PENDING and claimed.status == FlowStatus.PENDING:
            FLOW_SIGNER.move(claimed, FlowStatus.SIGNING)
            claimed.save(update_fields=["status"])


def do_refuse_flow_signer(token: str, reason: str, *, acting: Acting) -> FlowSigner:
    """拒签: the signer refuses with a reason; the flow ends refused and the other signers' links with it."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise RefusalReasonMissing()
    signer = pending_signer_for_token(token)
    with transaction.atomic():
        flow = lock_flow(signer.flow_id)
        signer = (
            FlowSigner.objects.select_for_update(no_key=True).select_related("flow", "certificate").get(pk=signer.pk)
        )
        check_pending(signer)
        if flow.status != FlowStatus.PENDING:
            raise FlowClosed()
        confirmer = acting.as_actor(Actor("person", signer.confirmer_phone, signer.confirmer_name))
        signer.reason = reason
        FLOW_SIGNER.move(
            signer,
            FlowStatus.REFUSED,
            audit=partial(audit_signer, signer, {"reason": reason}, acting=confirmer),
        )
        signer.save(update_fields=["status", "reason"])
        flow_callback(flow, "sign_flow.signer_refused", signer.number, list(flow.signers.select_related("certificate")))
        end_flow(
            flow,
            FlowStatus.REFUSED,
            acting=confirmer,
            now=timezone.now(),
            reason_code=SignerRefused.code,
            reason=_("%(name)s拒签：%(reason)s") % {"name": signer.confirmer_name, "reason": reason},
            extra={"signer": signer.number},
        )
    return signer
