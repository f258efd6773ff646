"""提交订单: placing an order (a purchase or a renewal) and cancelling it before review.

One order and its application per confirmation form, however often it is posted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Person
from inkseal.accounts.services import address_for
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.core.errors import NotFound
from inkseal.identity.services import require_identity_verified
from inkseal.orders import states
from inkseal.orders.errors import OrderInvalid, ProductUnavailable
from inkseal.orders.models import Application, ApplicationSeal, Kind, Medium, Order, Payment, Product
from inkseal.orders.payments import provider
from inkseal.orders.services._common import _audit, _locked, _notify
from inkseal.orders.services.access import check_can_manage
from inkseal.orders.services.catalogue import renewal_products
from inkseal.orders.states import APPLICATION, ORDER, PAYMENT, Action, State
from inkseal.pki import services as pki
from inkseal.pki.models import Certificate
from inkseal.seals.models import Seal, SealState

_IDEMPOTENCY_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class ShippingAddress:
    recipient: str
    phone: str
    address: str


def check_order(
    identity: CurrentIdentity, product: Product, *, idempotency_key: str, agreed: bool, address_id: Any
) -> ShippingAddress | None:
    check_can_manage(identity)
    require_identity_verified(identity)
    if not _IDEMPOTENCY_KEY.match(idempotency_key or ""):
        raise OrderInvalid(_("订单确认页已失效，请刷新后重新提交。"))
    if not agreed:
        raise OrderInvalid(_("请阅读并同意《电子认证服务协议》《用户注册服务协议》《隐私政策》。"))
    if product.medium != Medium.UKEY:
        return None
    try:
        address = address_for(identity.person, int(address_id))
    except (TypeError, ValueError, NotFound):
        raise OrderInvalid(_("UKEY 需要邮寄，请选择收货地址。"))
    return ShippingAddress(address.recipient, address.phone, f"{address.region} {address.detail}")


def check_renewal(identity: CurrentIdentity, certificate: Certificate, product: Product) -> None:
    pki.check_renewable(certificate, timezone.now())
    if not renewal_products(certificate).filter(pk=product.pk).exists():
        raise ProductUnavailable(_("该商品不能用于此证书的续期，请重新选择。"))
    open_states = states.IN_PROGRESS
    if Application.objects.filter(renews=certificate, state__in=open_states).exists():
        raise OrderInvalid(_("该证书已有办理中的续期申请。"))


def do_place_order(
    identity: CurrentIdentity,
    product: Product,
    *,
    idempotency_key: str,
    agreed: bool,
    address_id: Any = None,
    renews: Certificate | None = None,
    acting: Acting,
) -> Application:
    """提交订单: one order and its application per confirmation form, however often it is posted.
    Free orders are paid at once (the application starts at 待申请)."""
    shipping = check_order(identity, product, idempotency_key=idempotency_key, agreed=agreed, address_id=address_id)
    if renews is not None:
        check_renewal(identity, renews, product)
    try:
        with transaction.atomic():
            # Serialise one person's submissions, so that a double click finds the first order.
            Person.objects.select_for_update(no_key=True).filter(pk=identity.person.pk).first()
            existing = _existing_order(identity, idempotency_key)
            if existing is not None:
                return existing
            return _create_order(identity, product, idempotency_key, shipping, renews, acting=acting)
    except IntegrityError:
        # Another connection won the unique idempotency key between our check and insert.
        existing = _existing_order(identity, idempotency_key)
        if existing is None:
            raise
        return existing


def _existing_order(identity: CurrentIdentity, idempotency_key: str) -> Application | None:
    order = Order.objects.filter(idempotency_key=idempotency_key).select_related("application").first()
    if order is None:
        return None
    if order.party_id != identity.party.pk:
        raise OrderInvalid(_("订单确认页已失效，请刷新后重新提交。"))
    return order.application


def _create_order(
    identity: CurrentIdentity,
    product: Product,
    idempotency_key: str,
    shipping: ShippingAddress | None,
    renews: Certificate | None,
    *,
    acting: Acting,
) -> Application:
    now = timezone.now()
    free = product.price <= Decimal(0)
    kind = Kind.RENEWAL if renews is not None else Kind.PURCHASE
    order = Order.objects.create(
        idempotency_key=idempotency_key,
        party=identity.party,
        person=identity.person,
        platform=product.platform,
        product=product,
        kind=kind,
        amount=product.price,
        state=Order.State.PAID if free else Order.State.PENDING_PAYMENT,
        ship_recipient=shipping.recipient if shipping else "",
        ship_phone=shipping.phone if shipping else "",
        ship_address=shipping.address if shipping else "",
        agreed_at=now,
        paid_at=now if free else None,
    )
    application = Application.objects.create(
        order=order,
        party=identity.party,
        person=identity.person,
        platform=product.platform,
        kind=kind,
        medium=product.medium,
        state=State.DRAFT if free else State.PENDING_PAYMENT,
        renews=renews,
    )
    if renews is not None:
        # Renewal keeps the seals bound to the old certificate unless the user changes them.
        for seal in Seal.objects.filter(bindings__certificate=renews, state=SealState.ACTIVE):
            ApplicationSeal.objects.create(application=application, seal=seal)
    _audit(
        events.ORDER_PLACE,
        application,
        acting,
        product=product.code,
        amount=str(product.price),
        kind=kind,
        renews=renews.serial if renews else "",
    )
    _notify(application, "order.placed")
    return application


def do_cancel(identity: CurrentIdentity, application: Application, *, acting: Acting) -> Application:
    """取消 before review (待支付, 待申请, 已驳回); a paid order's payment is refunded."""
    check_can_manage(identity)
    with transaction.atomic():
        locked = _locked(application)
        APPLICATION.check(locked, State.CANCELLED, via=Action.CANCEL)
        order = locked.order
        ORDER.move(order, Order.State.CANCELLED)
        order.save(update_fields=["state"])
        for payment in Payment.objects.select_for_update(no_key=True).filter(
            order=order, state=Payment.State.SUCCEEDED
        ):
            provider().refund(payment)
            PAYMENT.move(payment, Payment.State.REFUNDED)
            payment.save(update_fields=["state"])
        Payment.objects.filter(order=order, state=Payment.State.PENDING).delete()
        APPLICATION.move(
            locked,
            State.CANCELLED,
            via=Action.CANCEL,
            audit=lambda event: _audit(event, locked, acting),
        )
        locked.save(update_fields=["state", "updated_at"])
        _notify(locked, "application.cancelled")
    return locked
