"""用印审批 (seal-use approval): an enterprise administrator requires approval for a kind of seal
by named approvers; a use of such a seal waits for an approval bound to the SHA-256 of the exact
document and the digest of the exact placements, so any change to either needs a new approval.

Sign tasks and flows call `request_seal_use_approval` when they would use a seal that
`needs_approval`, and `check_seal_use_approved` in the signing transaction. docs/seal-roles.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Duty, Membership, Person
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.errors import PermissionDenied
from inkseal.core.masking import mask_phone
from inkseal.seals.errors import (
    ApprovalDenied,
    ApprovalInvalid,
    ApprovalNotFound,
    ApprovalPending,
    ApprovalRejected,
)
from inkseal.seals.models import ENTERPRISE_TYPES, ApprovalRule, ApprovalState, Seal, SealApproval
from inkseal.seals.states import SEAL_APPROVAL

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def placements_digest(placements: Sequence[Mapping[str, Any]]) -> str:
    """The SHA-256 (hex) of the placements as canonical JSON (sorted keys, no spaces, UTF-8): the
    same placements give the same digest wherever it is computed."""
    canonical = json.dumps(list(placements), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _binding(document_sha256: str, digest: str) -> tuple[str, str]:
    sha, digest = str(document_sha256).strip().lower(), str(digest).strip().lower()
    if not (_SHA256_HEX.fullmatch(sha) and _SHA256_HEX.fullmatch(digest)):
        raise ApprovalInvalid()
    return sha, digest


def approval_rule(seal: Seal) -> ApprovalRule | None:
    return ApprovalRule.objects.filter(owner_id=seal.owner_id, kind=seal.kind).first()


def needs_approval(seal: Seal) -> bool:
    return ApprovalRule.objects.filter(owner_id=seal.owner_id, kind=seal.kind, approvers__isnull=False).exists()


def approval_for(seal: Seal, document_sha256: str, placements_digest: str) -> SealApproval | None:
    """The latest request for this seal on exactly this document and these placements."""
    sha, digest = _binding(document_sha256, placements_digest)
    return (
        SealApproval.objects.filter(seal=seal, document_sha256=sha, placements_digest=digest)
        .order_by("-created_at", "-pk")
        .first()
    )


def request_seal_use_approval(
    seal: Seal,
    document_sha256: str,
    placements_digest: str,
    *,
    acting: Acting,
    document_name: str = "",
    requested_by: str = "",
    requester_phone: str = "",
) -> SealApproval:
    """Ask the seal's approvers to approve this use. Asking again for the same binding returns the
    pending or approved request (idempotent); after a rejection it makes a new request."""
    sha, digest = _binding(document_sha256, placements_digest)
    if not needs_approval(seal):
        raise ApprovalInvalid(_("%(type)s无需用印审批。") % {"type": seal.get_kind_display()})
    with transaction.atomic():
        Seal.objects.select_for_update().filter(pk=seal.pk).first()  # one request per binding at a time
        existing = approval_for(seal, sha, digest)
        if existing is not None and existing.state != ApprovalState.REJECTED:
            return existing
        approval = SealApproval.objects.create(
            seal=seal,
            document_sha256=sha,
            placements_digest=digest,
            document_name=document_name[:255],
            requested_by=requested_by[:128],
            requester_phone=requester_phone[:20],
        )
        record(
            events.SEAL_APPROVAL_REQUEST,
            **acting.audit(),
            target=f"seal:{seal.pk}",
            data={"approval": str(approval.public_id), "kind": seal.kind, "document_sha256": sha},
        )
    return approval


def check_seal_use_approved(seal: Seal, document_sha256: str, placements_digest: str) -> SealApproval | None:
    """For the signing transaction: None when the seal needs no approval, the approval when this
    exact document and placements are approved; ApprovalPending (409) or ApprovalRejected (403)."""
    if not needs_approval(seal):
        return None
    approval = approval_for(seal, document_sha256, placements_digest)
    if approval is None or approval.state == ApprovalState.PENDING:
        raise ApprovalPending()
    if approval.state == ApprovalState.REJECTED:
        raise ApprovalRejected(_("用印申请已被驳回：%(reason)s") % {"reason": approval.reason})
    return approval


# --- the approver's inbox and decision -----------------------------------------------------------


def pending_approvals_for(identity: CurrentIdentity) -> QuerySet[SealApproval]:
    """The pending requests this identity may decide: its enterprise's seals whose rule names it."""
    if not identity.is_enterprise or not identity.holds(Duty.APPROVER):
        return SealApproval.objects.none()
    kinds = ApprovalRule.objects.filter(owner=identity.party, approvers=identity.person).values_list("kind", flat=True)
    return (
        SealApproval.objects.filter(seal__owner=identity.party, seal__kind__in=kinds, state=ApprovalState.PENDING)
        .select_related("seal")
        .order_by("created_at", "pk")
    )


def approval_of(identity: CurrentIdentity, public_id: Any) -> SealApproval:
    """The request if it concerns the identity's seals; ApprovalNotFound (404) otherwise."""
    found = SealApproval.objects.select_related("seal").filter(seal__owner=identity.party, public_id=public_id).first()
    if found is None:
        raise ApprovalNotFound()
    return found


def check_view(identity: CurrentIdentity, approval: SealApproval) -> None:
    """Only an approver named in the seal type's rule sees a request's document (ApprovalDenied)."""
    if not identity.holds(Duty.APPROVER):
        raise ApprovalDenied(_("只有企业的审批人可以审批用印申请。"))
    rule = approval_rule(approval.seal)
    if rule is None or not rule.approvers.filter(pk=identity.person.pk).exists():
        raise ApprovalDenied()


def seal_approvals(seal: Seal) -> QuerySet[SealApproval]:
    """The seal's use requests, newest first, for its 印章使用记录."""
    return SealApproval.objects.filter(seal=seal).select_related("decided_by").order_by("-created_at", "-pk")


def check_decide(identity: CurrentIdentity, approval: SealApproval, approve: bool, reason: str) -> str:
    check_view(identity, approval)
    if approval.requester_phone and approval.requester_phone == identity.person.phone:
        raise ApprovalDenied(_("不能审批自己提交的用印申请。"))
    reason = reason.strip()
    if not approve and not reason:
        raise ApprovalInvalid(_("驳回时请填写原因。"))
    return reason[:255]


def do_decide_approval(
    identity: CurrentIdentity, approval: SealApproval, *, approve: bool, reason: str = "", acting: Acting
) -> SealApproval:
    """同意 or 驳回 (with a reason): one move of the approval's machine, audited."""
    reason = check_decide(identity, approval, approve, reason)
    with transaction.atomic():
        locked = SealApproval.objects.select_for_update().select_related("seal").get(pk=approval.pk)
        target = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
        locked.decided_by, locked.reason, locked.decided_at = identity.person, reason, timezone.now()
        SEAL_APPROVAL.move(
            locked,
            target,
            audit=lambda event: record(
                event,
                **acting.audit(),
                target=f"seal:{locked.seal_id}",
                data={
                    "approval": str(locked.public_id),
                    "kind": locked.seal.kind,
                    **({"reason": reason} if reason else {}),
                },
            ),
        )
        locked.save(update_fields=["state", "decided_by", "reason", "decided_at"])
    return locked


# --- the administrator's settings ------------------------------------------------------------------


def check_set_rules(identity: CurrentIdentity) -> None:
    if not identity.is_enterprise or identity.role != Membership.Role.ADMIN:
        raise PermissionDenied(_("只有企业管理员（经办人）可以设置用印审批。"))


def eligible_approvers(identity: CurrentIdentity) -> QuerySet[Person]:
    """Members of the enterprise holding the approver role."""
    return Person.objects.filter(memberships__enterprise=identity.enterprise, memberships__approver=True).order_by(
        "memberships__created_at"
    )


def approval_rules(identity: CurrentIdentity) -> dict[str, set[int]]:
    """kind → the ids of its approvers, for the settings page."""
    rules = ApprovalRule.objects.filter(owner=identity.party).prefetch_related("approvers")
    return {rule.kind: {p.pk for p in rule.approvers.all()} for rule in rules}


def do_set_approval_rule(
    identity: CurrentIdentity, kind: str, approver_ids: Iterable[int | str], *, acting: Acting
) -> ApprovalRule | None:
    """Require approval for `kind` by these approvers; no approvers removes the requirement."""
    check_set_rules(identity)
    if kind not in ENTERPRISE_TYPES:
        raise ApprovalInvalid(_("请选择企业印章类型。"))
    try:
        wanted = {int(pk) for pk in approver_ids}
    except (TypeError, ValueError):
        wanted = {0}
    approvers = list(eligible_approvers(identity).filter(pk__in=wanted))
    if len(approvers) != len(wanted):
        raise ApprovalInvalid(_("审批人须为本企业担任审批人角色的成员。"))
    with transaction.atomic():
        rule, _created = ApprovalRule.objects.get_or_create(owner=identity.party, kind=kind)
        rule.approvers.set(approvers)
        record(
            events.SEAL_APPROVAL_RULE,
            **acting.audit(),
            target=f"enterprise:{identity.enterprise.pk if identity.enterprise else ''}",
            data={"kind": kind, "approvers": sorted(mask_phone(p.phone) for p in approvers)},
        )
        if not approvers:
            rule.delete()
            return None
    return rule
