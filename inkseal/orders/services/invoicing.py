"""开票: invoice requests by applicants, issuance by operators, the PDF download."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Party
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.core.errors import NotFound
from inkseal.orders import invoices
from inkseal.orders.errors import InvoiceInvalid
from inkseal.orders.models import Application, Invoice, Order
from inkseal.orders.services._common import _audit, _locked, _notify
from inkseal.orders.services.access import check_can_manage
from inkseal.orders.states import INVOICE, State

_TAX_NUMBER = re.compile(r"^[0-9A-Z]{15,20}$")


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
        INVOICE.check(locked, Invoice.State.ISSUED)
        locked.issued_at = timezone.now()
        locked.issued_by = acting.actor.label
        content = pdf if pdf is not None else invoices.render_invoice(locked, application)
        locked.pdf.save(f"invoice-{locked.order.number}.pdf", ContentFile(content), save=False)
        INVOICE.move(
            locked,
            Invoice.State.ISSUED,
            audit=lambda event: _audit(event, application, acting, generated=pdf is None),
        )
        locked.save()
        _notify(application, "invoice.issued")
    return locked


def invoice_pdf(identity: CurrentIdentity, application: Application) -> bytes:
    invoice = Invoice.objects.filter(order=application.order, state=Invoice.State.ISSUED).first()
    if invoice is None or not invoice.pdf:
        raise NotFound(_("发票尚未开具。"))
    with invoice.pdf.open("rb") as handle:
        return bytes(handle.read())
