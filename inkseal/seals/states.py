"""The seal state machine, as data. 待变更 seals cannot become usable again: the text on them is
out of date. Drawn in docs/states.md."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.core.errors import DomainError
from inkseal.core.states import BY_SYSTEM, BY_USER, StateMachine, Transition
from inkseal.seals.errors import ApprovalDecided, SealInactive
from inkseal.seals.models import ApprovalState, SealState


def _refused(seal: Any, to: str, via: str | None) -> DomainError:
    return SealInactive(_("印章当前状态为“%(state)s”，不能执行该操作。") % {"state": seal.get_state_display()})


SEAL: StateMachine[Any] = StateMachine(
    "seal",
    title="Seal (印章)",
    field="state",
    states=SealState,
    initial=(SealState.ACTIVE,),
    transitions=(
        Transition(
            SealState.ACTIVE, SealState.PENDING_CHANGE, "mark_for_change", events.SEAL_MARK_FOR_CHANGE, BY_SYSTEM
        ),
        Transition(SealState.ACTIVE, SealState.VOID, "void", events.SEAL_VOID, BY_USER),
        Transition(SealState.PENDING_CHANGE, SealState.VOID, "void", events.SEAL_VOID, BY_USER),
    ),
    refuse=_refused,
)


def _approval_refused(approval: Any, to: str, via: str | None) -> DomainError:
    return ApprovalDecided(_("该用印申请已处理（%(state)s）。") % {"state": approval.get_state_display()})


SEAL_APPROVAL: StateMachine[Any] = StateMachine(
    "seal_approval",
    title="Seal-use approval (用印审批)",
    field="state",
    states=ApprovalState,
    initial=(ApprovalState.PENDING,),
    transitions=(
        Transition(ApprovalState.PENDING, ApprovalState.APPROVED, "approve", events.SEAL_APPROVAL_APPROVE, BY_USER),
        Transition(ApprovalState.PENDING, ApprovalState.REJECTED, "reject", events.SEAL_APPROVAL_REJECT, BY_USER),
    ),
    refuse=_approval_refused,
)
