"""How a flow moves: each signature applied to its document's current version under that
document's row lock (the guard the sign task's execution enters around each document, so a
signer's confirmation never waits for another's PIN and no signature invalidates another), the
next step started when a step is complete, the flow ended (signed, refused, cancelled, expired,
failed) with its remaining signers' links, and the platform's callbacks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from inkseal.audit.services import Actor, record
from inkseal.core.acting import Acting
from inkseal.signing.callbacks.delivery import enqueue_flow_callback
from inkseal.signing.flows.errors import FlowClosed
from inkseal.signing.flows.models import FlowDocument, FlowSigner, FlowStatus, SignFlow
from inkseal.signing.flows.notices import notify_on_commit
from inkseal.signing.flows.schemas import flow_data
from inkseal.signing.models import SignDocument, SignTask, TaskStatus
from inkseal.signing.states import FLOW_SIGNER, SIGN_FLOW
from inkseal.signing.tasks import formats
from inkseal.signing.tasks.errors import SigningInternalError

log = logging.getLogger(__name__)

_OPEN = (FlowStatus.PENDING, FlowStatus.WAITING)


def lock_flow(flow_id: int) -> SignFlow:
    """Inside a transaction: the flow row, locked (cancellation, refusal, expiry, the claim of a
    signer and the commit of a signature each take it, so they happen one after the other)."""
    return SignFlow.objects.select_for_update(of=("self",), no_key=True).select_related("platform").get(pk=flow_id)


@contextmanager
def current_version(task: SignTask, document: SignDocument) -> Iterator[None]:
    """Around the signing of `document` by a flow signer's task: the flow document's row locked
    (signatures on one document are applied one at a time), its current version copied in as the
    file to sign, and once signed, the signed file made the current version, all in one
    transaction that also re-checks, under the flow's lock, that the flow is still open and the
    signer still signing. Any refusal rolls everything back and leaves no file behind."""
    signer = FlowSigner.objects.get(task_id=task.pk)
    with transaction.atomic():
        flow_document = (
            FlowDocument.objects.select_for_update(no_key=True).filter(flow_id=signer.flow_id, number=document.number)
        ).get()
        _check_open(SignFlow.objects.get(pk=signer.flow_id), FlowSigner.objects.get(pk=signer.pk))
        with flow_document.current.open("rb") as handle:
            content = handle.read()
        document.original.save(
            f"{task.public_id}-{document.number}-v{flow_document.version}.{formats.stored_format(flow_document.current)}",
            ContentFile(content),
            save=False,
        )
        document.sha256_before = flow_document.sha256_current
        lease = task.lease  # completing the task clears it: a rollback must give it back
        try:
            yield
            flow = lock_flow(signer.flow_id)
            signer = FlowSigner.objects.select_for_update(no_key=True).get(pk=signer.pk)
            _check_open(flow, signer)
            flow_document.current.name = document.signed.name
            flow_document.version += 1
            flow_document.sha256_current = document.sha256_after
            flow_document.save(update_fields=["current", "version", "sha256_current"])
            document.save(update_fields=["original", "sha256_before"])
            if task.status == TaskStatus.COMPLETED:  # this signer's last document: the signer has signed
                signer_signed(flow, signer, task)
        except BaseException:
            task.lease, task.completed_at = lease, None
            document.original.delete(save=False)
            if document.signed:
                document.signed.delete(save=False)
            raise


def _check_open(flow: SignFlow, signer: FlowSigner) -> None:
    if flow.status != FlowStatus.PENDING or signer.status != FlowStatus.SIGNING:
        raise FlowClosed()


def signer_signed(flow: SignFlow, signer: FlowSigner, task: SignTask) -> None:
    """Inside the transaction of the signer's last signature, the flow locked: the signer signed,
    the next step started when this one is complete, the flow complete after the last step."""
    now = timezone.now()
    signer.signed_at = now
    FLOW_SIGNER.move(signer, FlowStatus.SIGNED, audit=partial(audit_signer, signer, {"task": task.public_id}))
    signer.save(update_fields=["status", "signed_at"])
    signers = list(flow.signers.select_related("certificate").order_by("number"))
    flow_callback(flow, "sign_flow.signer_signed", signer.number, signers)
    if any(s.status != FlowStatus.SIGNED for s in signers if s.step == signer.step):
        return
    waiting = [s for s in signers if s.status == FlowStatus.WAITING]
    if waiting:
        step = min(s.step for s in waiting)
        for next_signer in (s for s in waiting if s.step == step):
            next_signer.notified_at = now
            FLOW_SIGNER.move(next_signer, FlowStatus.PENDING, audit=partial(audit_signer, next_signer, {}))
            next_signer.save(update_fields=["status", "notified_at"])
            notify_on_commit(next_signer)
        return
    if all(s.status == FlowStatus.SIGNED for s in signers):
        end_flow(flow, FlowStatus.SIGNED, acting=Acting.system(), now=now)


def end_flow(
    flow: SignFlow,
    status: str,
    *,
    acting: Acting,
    now: datetime,
    reason_code: str = "",
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """Inside a transaction, the flow locked: end it with `status` (and why: an error's code and
    the text); every signer still to sign (waiting or pending) is cancelled (expired, when the
    flow expires): their links stop working."""
    if reason_code:
        flow.reason_code, flow.reason = reason_code, reason[:500]
    flow.completed_at = now
    SIGN_FLOW.move(
        flow,
        status,
        audit=lambda event: record(
            event,
            **acting.audit(),
            target=f"sign_flow:{flow.public_id}",
            data={"reason": flow.reason_code, **(extra or {})},
        ),
    )
    flow.save(update_fields=["status", "completed_at", "reason_code", "reason"])
    left = FlowStatus.EXPIRED if status == FlowStatus.EXPIRED else FlowStatus.CANCELLED
    FLOW_SIGNER.move_where(flow.signers.filter(status__in=_OPEN), left)
    signers = list(flow.signers.select_related("certificate").order_by("number"))
    flow_callback(flow, "sign_flow.finished", None, signers)


def audit_signer(signer: FlowSigner, data: dict[str, Any], event: str, acting: Acting | None = None) -> None:
    who = acting or Acting(Actor("person", signer.confirmer_phone, signer.confirmer_name))
    record(
        event,
        **who.audit(),
        target=f"sign_flow:{signer.flow.public_id}",
        data={"signer": signer.number, "step": signer.step, "serial": signer.certificate.serial, **data},
    )


def flow_callback(flow: SignFlow, event: str, signer_number: int | None, signers: list[FlowSigner]) -> None:
    documents = list(flow.documents.order_by("number"))
    body = {"event": event, "signer": signer_number, **flow_data(flow, documents, signers, absolute=True)}
    enqueue_flow_callback(flow, body)


def settle_signer(signer_id: int) -> FlowSigner:
    """After the signer's task ended (or its worker died): a signer whose task failed has failed
    and so has the flow, with the task's reason; one whose flow ended first is cancelled."""
    with transaction.atomic():
        signer = FlowSigner.objects.select_related("flow", "task", "certificate").get(pk=signer_id)
        flow = lock_flow(signer.flow_id)
        signer = (
            FlowSigner.objects.select_for_update(no_key=True).select_related("task", "certificate").get(pk=signer_id)
        )
        task = signer.task
        if signer.status != FlowStatus.SIGNING or task.status != TaskStatus.FAILED:
            return signer
        if flow.status != FlowStatus.PENDING:
            FLOW_SIGNER.move(signer, FlowStatus.CANCELLED)
            signer.reason = task.failure_reason
            signer.save(update_fields=["status", "reason"])
            return signer
        signer.reason = task.failure_reason
        FLOW_SIGNER.move(
            signer,
            FlowStatus.FAILED,
            audit=partial(audit_signer, signer, {"reason": task.failure_code}, acting=Acting.system()),
        )
        signer.save(update_fields=["status", "reason"])
        flow_callback(flow, "sign_flow.signer_failed", signer.number, list(flow.signers.select_related("certificate")))
        end_flow(
            flow,
            FlowStatus.FAILED,
            acting=Acting.system(),
            now=timezone.now(),
            reason_code=task.failure_code or SigningInternalError.code,
            reason=task.failure_reason,
        )
    return signer
