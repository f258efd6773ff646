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
from inkseal.signing.models import TaskStatus

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
