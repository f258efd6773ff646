"""用印审批 for sign tasks (issue #19; the rules and requests are seals.services.approvals).

A task whose document would carry a seal whose type needs approval asks for it when it is
created: one request per document and seal, bound to the document's SHA-256 and the digest of
that document's placements (the same document and placements reuse a pending or approved
request). The task stays `pending`; its confirmation answers 409 `seal_approval_pending` until
every request is approved (a rule made after the task was created asks for approval at that
moment). A rejection fails the task with the approver's reason (callback sent). The signing
transaction checks the approvals again under the seal locks (`check_document_approved`).
docs/seal-roles.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from inkseal.core.acting import Acting
from inkseal.seals.errors import ApprovalPending, ApprovalRejected
from inkseal.seals.models import ApprovalRule, ApprovalState, Seal, SealApproval
from inkseal.seals.services.approvals import (
    check_seal_use_approved,
    placements_digest,
    request_seal_use_approval,
)
from inkseal.signing.models import SignDocument, SignTask, TaskApproval, TaskStatus
from inkseal.signing.states import SIGN_DOCUMENT


def document_placements_digest(document: SignDocument) -> str:
    """The digest the approval of this document's seals is bound to: all its placements."""
    return placements_digest(document.placements["specs"])


def request_task_approvals(
    task: SignTask,
    documents: Sequence[SignDocument],
    seals_by_document: Sequence[Sequence[Seal]],
    *,
    acting: Acting,
    kinds: set[str] | None = None,
) -> list[TaskApproval]:
    """Ask for the approvals the task's documents need (inside the caller's transaction) and link
    them to the task; returns the links, none when no seal needs approval."""
    kinds = task_kinds(task) if kinds is None else kinds
    links: list[TaskApproval] = []
    task.approval_links = links  # type: ignore[attr-defined]  # the answer to the creation lists them, no query
    if not kinds:
        return links
    for document, seals in zip(documents, seals_by_document, strict=True):
        digest = document_placements_digest(document)
        for seal in {seal.pk: seal for seal in seals}.values():
            if seal.kind not in kinds:
                continue
            approval = request_seal_use_approval(
                seal,
                document.sha256_before,
                digest,
                acting=acting,
                document_name=document.name,
                requested_by=task.platform_name,
                requester_phone=task.confirmer_phone,
            )
            links.append(TaskApproval(task=task, document=document, approval=approval))
    TaskApproval.objects.bulk_create(links, ignore_conflicts=True)
    return links


def check_task_approved(task: SignTask, *, acting: Acting) -> None:
    """Before a confirmation counts any code or PIN: ApprovalPending (409) while a seal of the task
    waits for approval, ApprovalRejected (403, the approver's reason) after a rejection. A seal
    whose type came to need approval after the task was created is asked for now."""
    from inkseal.signing.tasks.planning import placements_for

    kinds = task_kinds(task)
    if not kinds:
        return
    documents = list(task.documents.order_by("number"))
    seen: dict[str, Any] = {}
    used = [placements_for(task.certificate, d.placements["specs"], seen)[1] for d in documents]
    with transaction.atomic():
        links = request_task_approvals(task, documents, used, acting=acting, kinds=kinds)
    for link in links:
        check_seal_use_approved(link.approval.seal, link.approval.document_sha256, link.approval.placements_digest)


def check_document_approved(task: SignTask, document: SignDocument, seals: Sequence[Seal]) -> None:
    """In the signing transaction, after the seals are locked: each seal needing approval has an
    approved request for exactly this document and these placements, else the signature is
    refused (ApprovalPending / ApprovalRejected). A flow signer's document is the flow's current
    version: its approval is the one its task asked for on the document as uploaded."""
    kinds: set[str] | None = getattr(task, "approval_kinds", None)
    if kinds is None:  # the rules are read at the task's first commit of this run (one statement a task)
        kinds = task_kinds(task)
        task.approval_kinds = kinds  # type: ignore[attr-defined]
    wanted = [seal for seal in seals if seal.kind in kinds]
    if not wanted:
        return
    digest = document_placements_digest(document)
    flow = isinstance(task.spec, dict) and bool(task.spec.get("flow"))
    linked = {
        link.approval.seal_id: link.approval.document_sha256
        for link in TaskApproval.objects.filter(document=document).select_related("approval")
    }
    for seal in {seal.pk: seal for seal in wanted}.values():
        sha256 = linked.get(seal.pk, "") if flow else document.sha256_before
        if not sha256:
            raise ApprovalPending()
        check_seal_use_approved(seal, sha256, digest)


def task_kinds(task: SignTask) -> set[str]:
    """The seal types whose use needs approval in the enterprise holding the task's certificate
    (one query, the certificate not read)."""
    rules = ApprovalRule.objects.filter(owner__certificates=task.certificate_id, approvers__isnull=False)
    return set(rules.values_list("kind", flat=True).distinct())


def fail_tasks_of_rejection(approval: SealApproval) -> int:
    """A rejected request fails the unconfirmed tasks waiting for it, with the approver's reason
    (their documents failed, the task audited and its callback queued); returns how many."""
    from inkseal.signing.tasks.execute import close_task

    if approval.state != ApprovalState.REJECTED:
        return 0
    failure = ApprovalRejected(_("用印申请已被驳回：%(reason)s") % {"reason": approval.reason})
    task_ids = set(TaskApproval.objects.filter(approval=approval).values_list("task_id", flat=True))
    failed = 0
    for task_id in sorted(task_ids):
        with transaction.atomic():
            task = (
                SignTask.objects.select_for_update(of=("self",), no_key=True)
                .select_related("platform")
                .filter(pk=task_id, status=TaskStatus.PENDING, confirmed_at__isnull=True)
                .first()
            )
            if task is None:
                continue  # confirmed, expired or failed already
            for document in task.documents.filter(status=TaskStatus.PENDING):
                SIGN_DOCUMENT.move(document, TaskStatus.FAILED)
                document.error = str(failure.message)[:500]
                document.save(update_fields=["status", "error"])
            close_task(task, failure)
            failed += 1
    return failed


def approval_saved(sender: Any, instance: SealApproval, created: bool, **kwargs: Any) -> None:
    """The approver's rejection (seals.services.approvals.do_decide_approval saves the state):
    its tasks fail in the same transaction."""
    update_fields = kwargs.get("update_fields") or ()
    if not created and "state" in update_fields and instance.state == ApprovalState.REJECTED:
        fail_tasks_of_rejection(instance)
