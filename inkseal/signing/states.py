"""The sign task and sign document state machines, as data. Drawn in docs/states.md.

A task is claimed (pending → signing) and expired (pending → expired) by conditional UPDATEs
(`move_where`) so that a confirmation and the expiry job cannot both win; the in-memory task then
takes the same move with `move()`, which records the audit entry. A document has no 签章中 state
of its own: it waits while its task signs. Callback deliveries (CallbackJob) are left out: they
are moving onto Huey.
"""

from __future__ import annotations

from typing import Any

from inkseal.audit import events
from inkseal.core.states import BY_SYSTEM, BY_USER, StateMachine, Transition
from inkseal.signing.models import FlowStatus, TaskStatus

_T = TaskStatus
SIGN_TASK: StateMachine[Any] = StateMachine(
    "sign_task",
    title="Sign task (签章任务)",
    field="status",
    states=_T,
    initial=(_T.PENDING,),
    transitions=(
        Transition(
            _T.PENDING, _T.SIGNING, "confirm", events.SIGN_TASK_CONFIRM, BY_USER
        ),  # the confirmer's SMS code or PIN
        Transition(_T.PENDING, _T.EXPIRED, "expire", events.SIGN_TASK_EXPIRE, BY_SYSTEM),
        # 用印审批 rejected: the approver's reason (signing.tasks.approvals)
        Transition(_T.PENDING, _T.FAILED, "reject", events.SIGN_TASK_FAIL, BY_USER),
        Transition(_T.SIGNING, _T.COMPLETED, "complete", events.SIGN_TASK_COMPLETE, BY_SYSTEM),
        Transition(_T.SIGNING, _T.FAILED, "fail", events.SIGN_TASK_FAIL, BY_SYSTEM),
    ),
)

# The failure of a document is written in its 应用记录 (SigningRecord), not the audit log; an
# expired task's audit entry covers its documents.
SIGN_DOCUMENT: StateMachine[Any] = StateMachine(
    "sign_document",
    title="Sign document (签署文件)",
    field="status",
    states=(_T.PENDING, _T.COMPLETED, _T.FAILED, _T.EXPIRED),
    initial=(_T.PENDING,),
    transitions=(
        Transition(_T.PENDING, _T.COMPLETED, "sign", events.SIGNING_SIGN, BY_SYSTEM),
        Transition(_T.PENDING, _T.FAILED, "fail", "", BY_SYSTEM),
        Transition(_T.PENDING, _T.EXPIRED, "expire", "", BY_SYSTEM),
    ),
)

# A sign flow (签署流程) runs while "pending" and ends signed (every signer signed), refused (a
# signer refused), cancelled (by its platform), expired or failed (a signature could not be applied).
_F = FlowStatus
SIGN_FLOW: StateMachine[Any] = StateMachine(
    "sign_flow",
    title="Sign flow (签署流程)",
    field="status",
    states=(_F.PENDING, _F.SIGNED, _F.REFUSED, _F.CANCELLED, _F.EXPIRED, _F.FAILED),
    initial=(_F.PENDING,),
    transitions=(
        Transition(_F.PENDING, _F.SIGNED, "complete", events.SIGN_FLOW_COMPLETE, BY_SYSTEM),
        Transition(_F.PENDING, _F.REFUSED, "refuse", events.SIGN_FLOW_REFUSE, BY_USER),
        Transition(_F.PENDING, _F.CANCELLED, "cancel", events.SIGN_FLOW_CANCEL, BY_USER),
        Transition(_F.PENDING, _F.EXPIRED, "expire", events.SIGN_FLOW_EXPIRE, BY_SYSTEM),
        Transition(_F.PENDING, _F.FAILED, "fail", events.SIGN_FLOW_FAIL, BY_SYSTEM),
    ),
)

# A signer of a flow: "waiting" for an earlier step, "pending" (its link and SMS sent), "signing"
# once confirmed (its sign task's confirmation, audited there) until its signature is applied.
# Signers still to sign when the flow ends are cancelled or expired by the flow's audit entry.
FLOW_SIGNER: StateMachine[Any] = StateMachine(
    "flow_signer",
    title="Sign flow signer (流程签署人)",
    field="status",
    states=(_F.WAITING, _F.PENDING, _F.SIGNING, _F.SIGNED, _F.REFUSED, _F.CANCELLED, _F.EXPIRED, _F.FAILED),
    initial=(_F.WAITING, _F.PENDING),
    transitions=(
        Transition(_F.WAITING, _F.PENDING, "start", events.SIGN_FLOW_SIGNER_READY, BY_SYSTEM),
        Transition(_F.PENDING, _F.SIGNING, "confirm", "", BY_USER),  # the sign task's confirm entry
        Transition(_F.SIGNING, _F.SIGNED, "sign", events.SIGN_FLOW_SIGNER_SIGN, BY_SYSTEM),
        Transition(_F.SIGNING, _F.FAILED, "fail", events.SIGN_FLOW_SIGNER_FAIL, BY_SYSTEM),
        Transition(_F.SIGNING, _F.CANCELLED, "abandon", "", BY_SYSTEM),  # the flow ended first
        Transition(_F.PENDING, _F.REFUSED, "refuse", events.SIGN_FLOW_SIGNER_REFUSE, BY_USER),
        Transition(_F.PENDING, _F.CANCELLED, "cancel", "", BY_SYSTEM),
        Transition(_F.WAITING, _F.CANCELLED, "cancel", "", BY_SYSTEM),
        Transition(_F.PENDING, _F.EXPIRED, "expire", "", BY_SYSTEM),
        Transition(_F.WAITING, _F.EXPIRED, "expire", "", BY_SYSTEM),
    ),
)
