"""The orders app's state machines, as data: applications (办理单), orders, payments, invoices.

An application is born with its order: 待支付 when there is something to pay, else 待申请. Every
other change is one of the transitions below, made by `core.states.StateMachine.move`; anything
else is refused (409). The tables are drawn in docs/states.md.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.audit import events
from inkseal.core.errors import DomainError
from inkseal.core.states import BY_OPERATOR, BY_SYSTEM, BY_USER, StateMachine, Transition
from inkseal.orders.errors import InvoiceInvalid, PaymentInvalid, TransitionNotAllowed


class State(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", gettext_lazy("待支付")
    DRAFT = "draft", gettext_lazy("待申请")
    REVIEWING = "reviewing", gettext_lazy("审核中")
    REJECTED = "rejected", gettext_lazy("已驳回")
    TO_SHIP = "to_ship", gettext_lazy("待发货")
    SHIPPED = "shipped", gettext_lazy("已发货")
    COMPLETED = "completed", gettext_lazy("已完成")
    CANCELLED = "cancelled", gettext_lazy("已取消")


class Action(models.TextChoices):
    PAY = "pay", gettext_lazy("支付")
    SUBMIT = "submit", gettext_lazy("提交申请")
    APPROVE = "approve", gettext_lazy("审核通过")
    REJECT = "reject", gettext_lazy("驳回")
    SHIP = "ship", gettext_lazy("发货")
    RECEIVE = "receive", gettext_lazy("确认收货")
    CANCEL = "cancel", gettext_lazy("取消")


class OrderState(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", gettext_lazy("待支付")
    PAID = "paid", gettext_lazy("已支付")
    CANCELLED = "cancelled", gettext_lazy("已取消")


class PaymentState(models.TextChoices):
    PENDING = "pending", gettext_lazy("待支付")
    SUCCEEDED = "succeeded", gettext_lazy("已支付")
    REFUNDED = "refunded", gettext_lazy("已退款")


class InvoiceState(models.TextChoices):
    REQUESTED = "requested", gettext_lazy("待开票")
    ISSUED = "issued", gettext_lazy("已开票")


def _application_refused(application: Any, to: str, via: str | None) -> DomainError:
    action = Action(via).label if via in Action.values else _("执行该操作")
    return TransitionNotAllowed(
        _("办理单当前状态为“%(state)s”，不能%(action)s。")
        % {"state": application.get_state_display(), "action": action}
    )


# Approval of a cloud application completes it; of a UKEY one sends it to shipping. Both are
# listed; services pick the target by medium. The payment's settle records the paying move.
APPLICATION: StateMachine[Any] = StateMachine(
    "application",
    title="Application (办理单)",
    field="state",
    states=State,
    initial=(State.PENDING_PAYMENT, State.DRAFT),
    transitions=(
        Transition(State.PENDING_PAYMENT, State.DRAFT, Action.PAY, "", BY_SYSTEM),
        Transition(State.PENDING_PAYMENT, State.CANCELLED, Action.CANCEL, events.APPLICATION_CANCEL, BY_USER),
        Transition(State.DRAFT, State.REVIEWING, Action.SUBMIT, events.APPLICATION_SUBMIT, BY_USER),
        Transition(State.DRAFT, State.CANCELLED, Action.CANCEL, events.APPLICATION_CANCEL, BY_USER),
        Transition(State.REVIEWING, State.COMPLETED, Action.APPROVE, events.APPLICATION_APPROVE, BY_OPERATOR),
        Transition(State.REVIEWING, State.TO_SHIP, Action.APPROVE, events.APPLICATION_APPROVE, BY_OPERATOR),
        Transition(State.REVIEWING, State.REJECTED, Action.REJECT, events.APPLICATION_REJECT, BY_OPERATOR),
        Transition(State.REJECTED, State.REVIEWING, Action.SUBMIT, events.APPLICATION_SUBMIT, BY_USER),
        Transition(State.REJECTED, State.CANCELLED, Action.CANCEL, events.APPLICATION_CANCEL, BY_USER),
        Transition(State.TO_SHIP, State.SHIPPED, Action.SHIP, events.APPLICATION_SHIP, BY_OPERATOR),
        Transition(State.SHIPPED, State.COMPLETED, Action.RECEIVE, events.APPLICATION_RECEIVE, BY_USER),
    ),
    refuse=_application_refused,
)

# An order moves with its application, whose moves record the audit entries.
ORDER: StateMachine[Any] = StateMachine(
    "order",
    title="Order (订单)",
    field="state",
    states=OrderState,
    initial=(OrderState.PENDING_PAYMENT, OrderState.PAID),  # free orders are born paid
    transitions=(
        Transition(OrderState.PENDING_PAYMENT, OrderState.PAID, "pay", "", BY_SYSTEM),
        Transition(OrderState.PENDING_PAYMENT, OrderState.CANCELLED, "cancel", "", BY_USER),
        Transition(OrderState.PAID, OrderState.CANCELLED, "cancel", "", BY_USER),
    ),
)


def _payment_refused(payment: Any, to: str, via: str | None) -> DomainError:
    if payment.state == PaymentState.REFUNDED:
        return PaymentInvalid(_("该支付已退款，不能再次支付。"), status=409)
    return PaymentInvalid(_("支付记录当前状态不允许此操作。"), status=409)


# A pending payment of a cancelled order is deleted, not moved.
PAYMENT: StateMachine[Any] = StateMachine(
    "payment",
    title="Payment (支付记录)",
    field="state",
    states=PaymentState,
    initial=(PaymentState.PENDING,),
    transitions=(
        Transition(PaymentState.PENDING, PaymentState.SUCCEEDED, "settle", events.PAYMENT_SETTLE, BY_SYSTEM),
        Transition(PaymentState.SUCCEEDED, PaymentState.REFUNDED, "refund", "", BY_USER),  # by application.cancel
    ),
    refuse=_payment_refused,
)


def _invoice_refused(invoice: Any, to: str, via: str | None) -> DomainError:
    return InvoiceInvalid(_("该发票已开具。"), status=409)


INVOICE: StateMachine[Any] = StateMachine(
    "invoice",
    title="Invoice (发票)",
    field="state",
    states=InvoiceState,
    initial=(InvoiceState.REQUESTED,),
    transitions=(Transition(InvoiceState.REQUESTED, InvoiceState.ISSUED, "issue", events.INVOICE_ISSUE, BY_OPERATOR),),
    refuse=_invoice_refused,
)

IN_PROGRESS = frozenset(
    {State.PENDING_PAYMENT, State.DRAFT, State.REVIEWING, State.REJECTED, State.TO_SHIP, State.SHIPPED}
)
