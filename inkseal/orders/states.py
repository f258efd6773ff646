"""The application (办理单) state machine: states, actions and the allowed transitions, as data.

An application is born with its order: 待支付 when there is something to pay, else 待申请. Every
other change is one of the `TRANSITIONS` below; anything else is refused (409) by services.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("待支付")
    DRAFT = "draft", _("待申请")
    REVIEWING = "reviewing", _("审核中")
    REJECTED = "rejected", _("已驳回")
    TO_SHIP = "to_ship", _("待发货")
    SHIPPED = "shipped", _("已发货")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Action(models.TextChoices):
    PAY = "pay", _("支付")
    SUBMIT = "submit", _("提交申请")
    APPROVE = "approve", _("审核通过")
    REJECT = "reject", _("驳回")
    SHIP = "ship", _("发货")
    RECEIVE = "receive", _("确认收货")
    CANCEL = "cancel", _("取消")


@dataclass(frozen=True)
class Transition:
    source: str
    action: str
    target: str
    by: str  # "user" (the identity's administrator), "operator" or "system"


# Approval of a cloud application completes it; of a UKEY one sends it to shipping. Both are
# listed; services pick the target by medium.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.PENDING_PAYMENT, Action.PAY, State.DRAFT, "system"),
    Transition(State.PENDING_PAYMENT, Action.CANCEL, State.CANCELLED, "user"),
    Transition(State.DRAFT, Action.SUBMIT, State.REVIEWING, "user"),
    Transition(State.DRAFT, Action.CANCEL, State.CANCELLED, "user"),
    Transition(State.REVIEWING, Action.APPROVE, State.COMPLETED, "operator"),
    Transition(State.REVIEWING, Action.APPROVE, State.TO_SHIP, "operator"),
    Transition(State.REVIEWING, Action.REJECT, State.REJECTED, "operator"),
    Transition(State.REJECTED, Action.SUBMIT, State.REVIEWING, "user"),
    Transition(State.REJECTED, Action.CANCEL, State.CANCELLED, "user"),
    Transition(State.TO_SHIP, Action.SHIP, State.SHIPPED, "operator"),
    Transition(State.SHIPPED, Action.RECEIVE, State.COMPLETED, "user"),
)

IN_PROGRESS = frozenset(
    {State.PENDING_PAYMENT, State.DRAFT, State.REVIEWING, State.REJECTED, State.TO_SHIP, State.SHIPPED}
)


def targets(source: str, action: str) -> frozenset[str]:
    return frozenset(t.target for t in TRANSITIONS if t.source == source and t.action == action)


def allowed(source: str, action: str) -> bool:
    return bool(targets(source, action))


def actions_from(source: str, by: str) -> list[str]:
    return [t.action for t in TRANSITIONS if t.source == source and t.by == by]
