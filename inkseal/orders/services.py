"""Ordering, paying, applying, reviewing, issuing, shipping and invoicing.

check_* validate and raise a DomainError in the user's language, changing nothing; do_* change
state in one transaction, lock the application (then its order) first, move it only along
`states.TRANSITIONS`, write the audit row inside and queue the SMS notice for after commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Party, Person
from inkseal.accounts.services import address_for, person_actor
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.errors import NotFound, PermissionDenied
from inkseal.identity.services import require_identity_verified
from inkseal.notify.backends import gateway
from inkseal.orders import invoices, states
from inkseal.orders.errors import (
    ApplicationInvalid,
    ApplicationNotFound,
    InvoiceInvalid,
    OrderInvalid,
    PaymentInvalid,
    ProductUnavailable,
    TransitionNotAllowed,
)
from inkseal.orders.models import (
    Application,
    ApplicationSeal,
    Invoice,
    Kind,
    Medium,
    Order,
    Payment,
    Product,
    Shipment,
    SubjectKind,
)
from inkseal.orders.payments import provider
from inkseal.orders.states import Action, State
from inkseal.pki import services as pki
from inkseal.pki.algorithms import get_algorithm
from inkseal.pki.escrow import EncryptionKeyDelivery
from inkseal.pki.escrow import deliver_encryption_key as deliver_escrowed_key
from inkseal.pki.models import Certificate
from inkseal.platforms.models import CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import do_authorize_certificate
from inkseal.seals.models import Seal, SealState
from inkseal.seals.services import do_bind_seal, seal_for

_IDEMPOTENCY_KEY = re.compile(r"^[0-9a-f]{32}$")
_TAX_NUMBER = re.compile(r"^[0-9A-Z]{15,20}$")


# --- the catalogue ---------------------------------------------------------------------------


def subject_kind_of(identity: CurrentIdentity) -> str:
    return SubjectKind.ENTERPRISE if identity.is_enterprise else SubjectKind.PERSONAL


def catalogue(platform: TradingPlatform | None = None) -> QuerySet[Product]:
    """Enabled products of enabled platforms (what users and the API may see), SM2 first within
    each medium and subject kind: the first product listed is the one pre-selected when buying."""
    products = Product.objects.filter(enabled=True, platform__enabled=True).select_related("platform")
    if platform is not None:
        products = products.filter(platform=platform)
    sm2_first = Case(When(algorithm=Product.Algorithm.SM2, then=Value(0)), default=Value(1))
    return products.order_by("platform__name", "platform_id", "medium", "subject_kind", sm2_first, "years", "code")


def platforms_with_products() -> QuerySet[TradingPlatform]:
    return TradingPlatform.objects.filter(enabled=True, products__enabled=True).distinct().order_by("name")


def product_for(identity: CurrentIdentity, product_id: Any) -> Product:
    """An enabled product this identity may buy (personal products for a person, enterprise ones
    for an enterprise identity); ProductUnavailable otherwise."""
    try:
        pk = int(product_id)
    except (TypeError, ValueError):
        pk = 0
    product = catalogue().filter(pk=pk, subject_kind=subject_kind_of(identity)).first()
    if product is None:
        raise ProductUnavailable(_("商品不存在或已下架，请重新选择。"))
    return product


def renewal_products(certificate: Certificate) -> QuerySet[Product]:
    return catalogue().filter(
        medium=certificate.medium, subject_kind=certificate.subject_kind, algorithm=certificate.algorithm
    )


# --- access gate -----------------------------------------------------------------------------


def applications_of(identity: CurrentIdentity) -> QuerySet[Application]:
    """A person sees personal applications, an enterprise identity the enterprise's."""
    return Application.objects.filter(party=identity.party).select_related(
        "order__product", "platform", "person", "certificate"
    )


def application_for(identity: CurrentIdentity, number: Any) -> Application:
    """The identity's application by number, or 404 for anything else, existing or not."""
    application = applications_of(identity).filter(number=str(number)).first()
    if application is None:
        raise ApplicationNotFound(_("办理单不存在。"))
    return application


def check_can_manage(identity: CurrentIdentity) -> None:
    if not identity.is_admin:
        raise PermissionDenied(_("只有企业管理员（经办人）可以办理企业证书。"))


# --- notifications and audit -----------------------------------------------------------------

_NOTICES = {
    "order.placed": gettext_noop("您的证书订单 %(order)s 已提交，办理单号 %(number)s。"),
    "order.paid": gettext_noop("您的订单 %(order)s 已支付，请在“我的办理”中完成申请（办理单 %(number)s）。"),
    "application.submitted": gettext_noop("您的办理单 %(number)s 已提交，等待审核。"),
    "application.approved": gettext_noop("您的办理单 %(number)s 已审核通过，证书已签发。"),
    "application.rejected": gettext_noop("您的办理单 %(number)s 未通过审核：%(reason)s。请修改后重新提交。"),
    "application.shipped": gettext_noop("您的 UKEY 已发货（%(courier)s %(tracking)s），办理单 %(number)s。"),
    "application.received": gettext_noop("您已确认收到办理单 %(number)s 的 UKEY，办理完成。"),
    "application.cancelled": gettext_noop("您的办理单 %(number)s 已取消。"),
    "invoice.issued": gettext_noop("办理单 %(number)s 的发票已开具，可在“我的办理”中下载。"),
}


def _notify(application: Application, event: str, **values: str) -> None:
    """SMS to the applicant after commit, so that a rolled-back change sends nothing."""
    phone = application.person.phone
    body = "【Inkseal】" + _(_NOTICES[event]) % {
        "number": application.number,
        "order": application.order.number,
        **values,
    }
    transaction.on_commit(lambda: gateway().send(phone, body, f"orders.{event}"))


def _audit(event: str, application: Application, acting: Acting, **data: Any) -> None:
    record(
        event,
        **acting.audit(),
        target=f"application:{application.number}",
        data={"order": application.order.number, "state": application.state, **data},
    )


def _locked(application: Application) -> Application:
    # Lock order: application, then its order (always in this order; pk order among applications).
    locked = (
        Application.objects.select_for_update(of=("self",), no_key=True)
        .select_related("order__product", "person")
        .get(pk=application.pk)
    )
    Order.objects.select_for_update(no_key=True).filter(pk=locked.order_id).first()
    return locked


def _move(application: Application, action: str, target: str | None = None) -> str:
    """Move along an allowed transition; TransitionNotAllowed (409) otherwise. Returns the old state."""
    allowed = states.targets(application.state, action)
    if not allowed or (target is not None and target not in allowed):
        raise TransitionNotAllowed(
            _("办理单当前状态为“%(state)s”，不能%(action)s。")
            % {"state": application.get_state_display(), "action": Action(action).label}
        )
    old = application.state
    application.state = target if target is not None else next(iter(allowed))
    return old


# --- ordering --------------------------------------------------------------------------------


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


# --- payment ---------------------------------------------------------------------------------


def do_start_payment(identity: CurrentIdentity, application: Application, *, acting: Acting) -> Payment:
    """The order's one live payment (created on first use): paying twice settles one row."""
    check_can_manage(identity)
    with transaction.atomic():
        locked = _locked(application)
        if not states.allowed(locked.state, Action.PAY):
            _move(locked, Action.PAY)  # raises with the state in the message
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
        if payment.state != Payment.State.PENDING:
            raise PaymentInvalid(_("该支付已退款，不能再次支付。"), status=409)
        _move(application, Action.PAY)
        now = timezone.now()
        payment.state = Payment.State.SUCCEEDED
        payment.settled_at = now
        payment.save(update_fields=["state", "settled_at"])
        order = application.order
        order.state = Order.State.PAID
        order.paid_at = now
        order.save(update_fields=["state", "paid_at"])
        application.save(update_fields=["state", "updated_at"])
        _audit(events.PAYMENT_SETTLE, application, acting, reference=reference, amount=str(payment.amount))
        _notify(application, "order.paid")
    return application


# --- the application -------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationInput:
    seals: list[Seal]
    subject: dict[str, str]
    csr_der: bytes | None
    ukey_serial: str


def selectable_seals(identity: CurrentIdentity) -> QuerySet[Seal]:
    return Seal.objects.filter(owner=identity.party, state=SealState.ACTIVE).order_by("pk")


def needs_csr(application: Application) -> bool:
    return application.medium == Medium.UKEY


def check_application(
    identity: CurrentIdentity,
    application: Application,
    *,
    seal_ids: Iterable[Any],
    csr: bytes | None = None,
    ukey_serial: str = "",
) -> ApplicationInput:
    check_can_manage(identity)
    if not states.allowed(application.state, Action.SUBMIT):
        _move(application, Action.SUBMIT)
    seals = [seal_for(identity, seal_id) for seal_id in dict.fromkeys(seal_ids)]
    if not seals:
        raise ApplicationInvalid(_("请选择至少一枚要绑定的印章。"))
    for seal in seals:
        if seal.state != SealState.ACTIVE:
            raise ApplicationInvalid(_("%(type)s不可用，不能绑定。") % {"type": seal.get_kind_display()})
    subject = pki.check_holder(identity.party)
    csr_der: bytes | None = None
    serial = ""
    if needs_csr(application):
        if not csr:
            raise ApplicationInvalid(_("请上传 UKEY 生成的证书请求（PKCS#10）。"))
        request = pki.check_csr(csr)
        product = application.order.product
        if request.public_key.algorithm.name != product.algorithm:
            raise ApplicationInvalid(
                _("证书请求的密钥算法（%(got)s）与商品（%(want)s）不符。")
                % {"got": request.public_key.algorithm.name, "want": product.get_algorithm_display()}
            )
        serial = pki.check_ukey_serial(ukey_serial)
        csr_der = request.der
    return ApplicationInput(seals, {**subject.snapshot, "common_name": subject.common_name}, csr_der, serial)


def do_submit_application(
    identity: CurrentIdentity,
    application: Application,
    *,
    seal_ids: Iterable[Any],
    csr: bytes | None = None,
    ukey_serial: str = "",
    acting: Acting,
) -> Application:
    """申请 (or 重新提交 after a rejection): seals to bind, subject confirmed, UKEY request attached."""
    data = check_application(identity, application, seal_ids=seal_ids, csr=csr, ukey_serial=ukey_serial)
    with transaction.atomic():
        locked = _locked(application)
        _move(locked, Action.SUBMIT)
        locked.subject = data.subject
        locked.csr_der = data.csr_der
        locked.ukey_serial = data.ukey_serial
        locked.reject_reason = ""
        locked.submitted_at = timezone.now()
        locked.save()
        ApplicationSeal.objects.filter(application=locked).delete()
        ApplicationSeal.objects.bulk_create([ApplicationSeal(application=locked, seal=seal) for seal in data.seals])
        _audit(
            events.APPLICATION_SUBMIT,
            locked,
            acting,
            seals=[seal.kind for seal in data.seals],
            ukey_serial=data.ukey_serial,
        )
        _notify(locked, "application.submitted")
    return locked


def do_cancel(identity: CurrentIdentity, application: Application, *, acting: Acting) -> Application:
    """取消 before review (待支付, 待申请, 已驳回); a paid order's payment is refunded."""
    check_can_manage(identity)
    with transaction.atomic():
        locked = _locked(application)
        _move(locked, Action.CANCEL)
        order = locked.order
        order.state = Order.State.CANCELLED
        order.save(update_fields=["state"])
        for payment in Payment.objects.select_for_update(no_key=True).filter(
            order=order, state=Payment.State.SUCCEEDED
        ):
            provider().refund(payment)
            payment.state = Payment.State.REFUNDED
            payment.save(update_fields=["state"])
        Payment.objects.filter(order=order, state=Payment.State.PENDING).delete()
        locked.save(update_fields=["state", "updated_at"])
        _audit(events.APPLICATION_CANCEL, locked, acting)
        _notify(locked, "application.cancelled")
    return locked


# --- review and issuance (operators) ---------------------------------------------------------


def do_approve(application: Application, *, acting: Acting) -> Application:
    """审核通过 and 制证 in one transaction: the certificate is issued (or renewed), the chosen seals
    bound to it, and the application moves to 已完成 (cloud) or 待发货 (UKEY)."""
    with transaction.atomic():
        locked = _locked(application)
        _move(locked, Action.APPROVE, State.COMPLETED if locked.medium == Medium.CLOUD else State.TO_SHIP)
        certificate = _issue_for(locked, acting)
        for chosen in ApplicationSeal.objects.filter(application=locked).select_related("seal").order_by("seal_id"):
            do_bind_seal(chosen.seal, certificate, acting=acting)
        if locked.renews is not None:
            _carry_authorizations(locked.renews, certificate, acting)
        locked.certificate = certificate
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = acting.actor.label
        locked.save()
        _audit(events.APPLICATION_APPROVE, locked, acting, certificate=certificate.serial)
        _notify(locked, "application.approved")
    return locked


def _issue_for(application: Application, acting: Acting) -> Certificate:
    product = application.order.product
    csr = bytes(application.csr_der) if application.csr_der is not None else None
    if application.renews is not None:
        return pki.renew_certificate(
            application.renews,
            years=product.years,
            acting=acting,
            csr=csr,
            ukey_serial=application.ukey_serial or None,
        )
    if application.medium == Medium.UKEY:
        if csr is None:
            raise ApplicationInvalid(_("办理单缺少 UKEY 证书请求。"))
        return pki.issue_from_csr(
            application.party,
            csr,
            ukey_serial=application.ukey_serial,
            years=product.years,
            acting=acting,
        )
    return pki.issue_cloud_certificate(
        application.party,
        algorithm=get_algorithm(product.algorithm),
        years=product.years,
        acting=acting,
    )


def _carry_authorizations(old: Certificate, new: Certificate, acting: Acting) -> None:
    """Renewal keeps the old certificate's live authorisations (same platform, person, end date)."""
    now = timezone.now()
    live = CertificateAuthorization.objects.filter(certificate=old, revoked_at__isnull=True, valid_until__gt=now)
    for grant in live.select_related("platform").order_by("pk"):
        do_authorize_certificate(
            new,
            grant.platform,
            grantee_name=grant.grantee_name,
            grantee_phone=grant.grantee_phone,
            valid_from=now,
            valid_until=grant.valid_until,
            acting=acting,
            # the authorised person proved the phone for the old certificate; a pending one stays pending
            confirmed_by="renewal" if grant.confirmed_at is not None else "",
        )


def check_reject_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 255:
        raise ApplicationInvalid(_("请填写驳回原因（不超过 255 个字）。"))
    return reason


def do_reject(application: Application, reason: str, *, acting: Acting) -> Application:
    reason = check_reject_reason(reason)
    with transaction.atomic():
        locked = _locked(application)
        _move(locked, Action.REJECT)
        locked.reject_reason = reason
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = acting.actor.label
        locked.save()
        _audit(events.APPLICATION_REJECT, locked, acting, reason=reason)
        _notify(locked, "application.rejected", reason=reason)
    return locked


def check_shipment(courier: str, tracking_number: str) -> tuple[str, str]:
    courier, tracking_number = (courier or "").strip(), (tracking_number or "").strip()
    if not courier or len(courier) > 64:
        raise ApplicationInvalid(_("请填写快递公司。"))
    if not re.fullmatch(r"[A-Za-z0-9-]{6,40}", tracking_number):
        raise ApplicationInvalid(_("快递单号须为 6–40 位字母、数字或横线。"))
    return courier, tracking_number


def do_ship(application: Application, courier: str, tracking_number: str, *, acting: Acting) -> Shipment:
    courier, tracking_number = check_shipment(courier, tracking_number)
    with transaction.atomic():
        locked = _locked(application)
        _move(locked, Action.SHIP)
        shipment = Shipment.objects.create(
            application=locked,
            courier=courier,
            tracking_number=tracking_number,
            shipped_at=timezone.now(),
            shipped_by=acting.actor.label,
        )
        locked.save(update_fields=["state", "updated_at"])
        _audit(events.APPLICATION_SHIP, locked, acting, courier=courier, tracking=tracking_number)
        _notify(locked, "application.shipped", courier=courier, tracking=tracking_number)
    return shipment


def do_confirm_receipt(identity: CurrentIdentity, application: Application, *, acting: Acting) -> Application:
    check_can_manage(identity)
    with transaction.atomic():
        locked = _locked(application)
        _move(locked, Action.RECEIVE)
        Shipment.objects.filter(application=locked).update(received_at=timezone.now())
        locked.save(update_fields=["state", "updated_at"])
        _audit(events.APPLICATION_RECEIVE, locked, acting)
        _notify(locked, "application.received")
    return locked


# --- invoices --------------------------------------------------------------------------------


def check_invoice_request(application: Application, title: str, tax_number: str) -> tuple[str, str]:
    order = application.order
    if order.state != Order.State.PAID or application.state == State.CANCELLED:
        raise InvoiceInvalid(_("订单支付后方可申请开票。"))
    if order.amount <= Decimal(0):
        raise InvoiceInvalid(_("免费订单无需开票。"))
    if Invoice.objects.filter(order=order).exists():
        raise InvoiceInvalid(_("该订单已申请开票。"), status=409)
    title = (title or "").strip()
    tax_number = (tax_number or "").strip().upper()
    if not title or len(title) > 128:
        raise InvoiceInvalid(_("请填写发票抬头。"))
    if application.party.kind == Party.Kind.ENTERPRISE and not _TAX_NUMBER.match(tax_number):
        raise InvoiceInvalid(_("企业发票须填写 15–20 位的纳税人识别号。"))
    if tax_number and not _TAX_NUMBER.match(tax_number):
        raise InvoiceInvalid(_("纳税人识别号须为 15–20 位数字或大写字母。"))
    return title, tax_number


def do_request_invoice(
    identity: CurrentIdentity, application: Application, *, title: str, tax_number: str, email: str, acting: Acting
) -> Invoice:
    """开票: request an invoice for a paid order (one per order)."""
    check_can_manage(identity)
    title, tax_number = check_invoice_request(application, title, tax_number)
    with transaction.atomic():
        locked = _locked(application)
        if Invoice.objects.filter(order=locked.order).exists():
            raise InvoiceInvalid(_("该订单已申请开票。"), status=409)
        invoice = Invoice.objects.create(
            order=locked.order, title=title, tax_number=tax_number, email=email[:254], amount=locked.order.amount
        )
        _audit(events.INVOICE_REQUEST, locked, acting, title=title, tax_number=tax_number)
    return invoice


def do_issue_invoice(invoice: Invoice, *, pdf: bytes | None = None, acting: Acting) -> Invoice:
    """Mark the invoice issued with the uploaded PDF, or one generated here."""
    if pdf is not None and not pdf.startswith(b"%PDF-"):
        raise InvoiceInvalid(_("请上传 PDF 格式的发票文件。"))
    with transaction.atomic():
        application = _locked(invoice.order.application)
        locked = Invoice.objects.select_for_update(no_key=True).get(pk=invoice.pk)
        if locked.state == Invoice.State.ISSUED:
            raise InvoiceInvalid(_("该发票已开具。"), status=409)
        locked.state = Invoice.State.ISSUED
        locked.issued_at = timezone.now()
        locked.issued_by = acting.actor.label
        content = pdf if pdf is not None else invoices.render_invoice(locked, application)
        locked.pdf.save(f"invoice-{locked.order.number}.pdf", ContentFile(content), save=False)
        locked.save()
        _audit(events.INVOICE_ISSUE, application, acting, generated=pdf is None)
        _notify(application, "invoice.issued")
    return locked


def invoice_pdf(identity: CurrentIdentity, application: Application) -> bytes:
    invoice = Invoice.objects.filter(order=application.order, state=Invoice.State.ISSUED).first()
    if invoice is None or not invoice.pdf:
        raise NotFound(_("发票尚未开具。"))
    with invoice.pdf.open("rb") as handle:
        return bytes(handle.read())


# --- the UKEY client tool --------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_issue_client_token(identity: CurrentIdentity, application: Application, *, acting: Acting) -> str:
    """A bearer token for the client tool to submit this application's PKCS#10 and fetch the
    certificate; shown once, stored as a hash, replaced by the next one."""
    check_can_manage(identity)
    if application.medium != Medium.UKEY:
        raise ApplicationInvalid(_("只有 UKEY 办理单需要客户端工具。"))
    token = f"{application.number}.{secrets.token_urlsafe(24)}"
    with transaction.atomic():
        locked = _locked(application)
        locked.client_token_hash = _token_hash(token)
        locked.save(update_fields=["client_token_hash", "updated_at"])
        _audit(events.APPLICATION_CLIENT_TOKEN, locked, acting)
    return token


def application_for_client_token(number: str, token: str) -> Application:
    application = Application.objects.filter(number=number).exclude(client_token_hash="").first()
    if application is None or not hmac.compare_digest(application.client_token_hash, _token_hash(token)):
        raise PermissionDenied(_("客户端令牌无效。"), status=401)
    return application


def deliver_encryption_key(application: Application, *, acting: Acting) -> EncryptionKeyDelivery:
    """双证书: the issued UKEY pair's encryption key for the client tool, as an SM2EnvelopedKey
    sealed to the token's signing key (key management audits each delivery)."""
    if application.certificate is None:
        raise ApplicationInvalid(
            _("办理单当前状态为“%(state)s”，证书尚未签发。") % {"state": application.get_state_display()}, status=409
        )
    identity = client_identity(application)
    acting = Acting(person_actor(application.person), acting.ip, acting.identity or identity.key)
    return deliver_escrowed_key(application.certificate, acting=acting)


def client_identity(application: Application) -> CurrentIdentity:
    """The identity the client tool acts as: the applicant, as the application's party."""
    enterprise = (
        getattr(application.party, "enterprise", None) if application.party.kind == Party.Kind.ENTERPRISE else None
    )
    return CurrentIdentity(application.person, enterprise, "admin" if enterprise else "")


# --- the home page ---------------------------------------------------------------------------


def next_step(application: Application) -> tuple[str, str]:
    """(label, url) of the button an applicant needs next."""
    number = application.number
    if application.state == State.PENDING_PAYMENT:
        return _("支付"), reverse("orders:pay", args=[number])
    if application.state == State.DRAFT:
        return _("申请"), reverse("orders:apply", args=[number])
    if application.state == State.REJECTED:
        return _("重新申请"), reverse("orders:apply", args=[number])
    if application.state == State.SHIPPED:
        return _("确认收货"), reverse("orders:detail", args=[number])
    return _("详情"), reverse("orders:detail", args=[number])


def in_progress_rows(party: Party, limit: int = 5) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    applications = Application.objects.filter(party=party, state__in=states.IN_PROGRESS).select_related("order")
    for application in applications.order_by("-created_at", "-pk")[:limit]:
        label, url = next_step(application)
        rows.append(
            {
                "number": application.number,
                "subject": str(party),
                "kind": application.get_kind_display(),
                "created_at": application.created_at,
                "state": application.get_state_display(),
                "url": url,
                "action": label,
            }
        )
    return rows


def search_applications(
    applications: QuerySet[Application],
    *,
    in_progress: bool,
    platform: str = "",
    number: str = "",
    applicant: str = "",
    kind: str = "",
    medium: str = "",
    state: str = "",
) -> QuerySet[Application]:
    if in_progress:
        applications = applications.filter(state__in=states.IN_PROGRESS)
    if platform.isdigit():
        applications = applications.filter(platform_id=int(platform))
    if number:
        applications = applications.filter(Q(number__contains=number) | Q(order__number__contains=number))
    if applicant:
        applications = applications.filter(Q(person__name__contains=applicant) | Q(person__phone__contains=applicant))
    if kind in Kind.values:
        applications = applications.filter(kind=kind)
    if medium in Medium.values:
        applications = applications.filter(medium=medium)
    if state in State.values:
        applications = applications.filter(state=state)
    return applications.order_by("-created_at", "-pk")
