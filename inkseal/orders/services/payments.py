"""支付: starting an order's payment and settling it when the provider confirms."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.orders.errors import PaymentInvalid
from inkseal.orders.models import Application, Order, Payment
from inkseal.orders.payments import provider
from inkseal.orders.services._common import _audit, _locked, _notify
from inkseal.orders.services.access import check_can_manage
from inkseal.orders.states import APPLICATION, ORDER, PAYMENT, Action, State


def do_start_payment(identity: CurrentIdentity, application: Application, *, acting: Acting) -> Payment:
    """The order's one live payment (created on first use): paying twice settles one row."""
    check_can_manage(identity)
    with transaction.atomic():
        locked = _locked(application)
        APPLICATION.check(locked, State.DRAFT, via=Action.PAY)
        payment = locked.order.payments.exclude(state=Payment.State.REFUNDED).first()
        if payment is None:
            payments = provider()
            payment = Payment.objects.create(
                order=locked.order,
                provider=payments.name,
                reference=payments.new_reference(),
                amount=locked.order.amount,
            )
            _audit(events.PAYMENT_START, locked, acting, reference=payment.reference)
    return payment


def do_settle_payment(reference: str, *, acting: Acting) -> Application:
    """The provider confirmed the payment: the order is paid and the application becomes 待申请.
    Settling an already settled payment changes nothing."""
    payment = Payment.objects.filter(reference=reference).select_related("order__application").first()
    if payment is None:
        raise PaymentInvalid(_("支付记录不存在。"), status=404)
    with transaction.atomic():
        application = _locked(payment.order.application)
        payment = Payment.objects.select_for_update(no_key=True).get(pk=payment.pk)
        if payment.state == Payment.State.SUCCEEDED:
            return application
        PAYMENT.check(payment, Payment.State.SUCCEEDED)
        APPLICATION.move(application, State.DRAFT, via=Action.PAY)
        now = timezone.now()
        order = application.order
        ORDER.move(order, Order.State.PAID)
        order.paid_at = now
        PAYMENT.move(
            payment,
            Payment.State.SUCCEEDED,
            audit=lambda event: _audit(event, application, acting, reference=reference, amount=str(payment.amount)),
        )
        payment.settled_at = now
        payment.save(update_fields=["state", "settled_at"])
        order.save(update_fields=["state", "paid_at"])
        application.save(update_fields=["state", "updated_at"])
        _notify(application, "order.paid")
    return application
