"""我的办理 pages: buy, confirm the order, pay, apply, follow, cancel, renew, invoice. Thin: every
application comes through `application_for`, every change through services."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import identity_of
from inkseal.accounts.models import Address
from inkseal.accounts.services import request_acting
from inkseal.accounts.stepup import require_step_up, step_up_context
from inkseal.core.errors import DomainError, PermissionDenied
from inkseal.core.masking import mask_phone
from inkseal.core.states import BY_USER
from inkseal.orders import services, states
from inkseal.orders.errors import ApplicationInvalid
from inkseal.orders.models import Application, Invoice, Kind, Medium, Product, Shipment
from inkseal.orders.payments import provider
from inkseal.orders.states import State
from inkseal.pki.services import certificate_for, check_can_manage

MAX_CSR_UPLOAD = 16 * 1024
_USER_STEPS = frozenset({State.PENDING_PAYMENT, State.DRAFT, State.REJECTED, State.SHIPPED})


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("size", ""))
    except ValueError:
        size = 0
    return size if size in settings.ORDERS_PAGE_SIZES else settings.ORDERS_PAGE_SIZES[0]


@portal_login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    """我的办理: tabs 办理中/全部记录, filters, newest first, 10条/页 with 前往 N 页."""
    identity = identity_of(request)
    tab = "all" if request.GET.get("tab") == "all" else "active"
    filters = {
        key: request.GET.get(key, "").strip() for key in ("platform", "number", "applicant", "kind", "medium", "state")
    }
    applications = services.search_applications(
        services.applications_of(identity), in_progress=tab == "active", **filters
    )
    size = _page_size(request)
    page = Paginator(applications, size).get_page(request.GET.get("page"))
    kept = {key: value for key, value in {"tab": tab, **filters, "size": str(size)}.items() if value}
    rows = [
        {
            "application": a,
            "action": services.next_step(a) if a.state in _USER_STEPS else None,
            "can_cancel": states.APPLICATION.allows(a.state, via=states.Action.CANCEL),
        }
        for a in page.object_list
    ]
    context = {
        "nav": "applications",
        "tab": tab,
        "filters": filters,
        "rows": rows,
        "page": page,
        "page_query": urlencode(kept) + "&",
        "size": size,
        "sizes": settings.ORDERS_PAGE_SIZES,
        "platforms": services.platforms_with_products(),
        "kinds": Kind.choices,
        "media": Medium.choices,
        "states": State.choices,
        "can_manage": identity.is_admin,
    }
    return render(request, "orders/list.html", context)


@portal_login_required
@require_GET
def buy(request: HttpRequest) -> HttpResponse:
    """证书初购: choose the trading platform and the product (云证书 by default), then 立即购买."""
    identity = identity_of(request)
    platforms = list(services.platforms_with_products())
    chosen = next(
        (p for p in platforms if str(p.pk) == request.GET.get("platform")), platforms[0] if platforms else None
    )
    medium = Medium.UKEY if request.GET.get("medium") == Medium.UKEY else Medium.CLOUD
    products = services.catalogue(chosen).filter(subject_kind=services.subject_kind_of(identity), medium=medium)
    context = {
        "nav": "applications",
        "platforms": platforms,
        "platform": chosen,
        "medium": medium,
        "media": Medium.choices,
        "products": products if chosen else Product.objects.none(),
    }
    return render(request, "orders/buy.html", context)


def _masked(addresses: Iterable[Address]) -> list[Address]:
    """The page shows 185****5312: the full number is the person's own, but screens are shared."""
    rows = list(addresses)
    for address in rows:
        address.phone_masked = mask_phone(address.phone)  # type: ignore[attr-defined]
    return rows


def _confirm_context(request: HttpRequest, product: Product, renews: Any, **extra: Any) -> dict[str, Any]:
    identity = identity_of(request)
    return {
        "nav": "applications",
        "product": product,
        "renews": renews,
        "addresses": _masked(identity.person.addresses.all()) if product.medium == Medium.UKEY else [],
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        "kind_label": Kind.RENEWAL.label if renews else Kind.PURCHASE.label,
        **extra,
    }


@portal_login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """确认订单信息 → 提交订单. The form carries a fresh idempotency key: re-posting it (double
    click, reload) returns the order already placed."""
    identity = identity_of(request)
    data = request.POST if request.method == "POST" else request.GET
    product = services.product_for(identity, data.get("product"))
    renews = certificate_for(identity, data["renews"]) if data.get("renews") else None
    if request.method == "GET":
        return render(request, "orders/confirm.html", _confirm_context(request, product, renews))
    try:
        application = services.do_place_order(
            identity,
            product,
            idempotency_key=request.POST.get("idempotency_key", ""),
            agreed=request.POST.get("agree") == "1",
            address_id=request.POST.get("address"),
            renews=renews,
            acting=request_acting(request),
        )
    except DomainError as exc:
        if exc.status in (401, 403, 404):
            raise
        context = _confirm_context(request, product, renews, error=exc.message)
        return render(request, "orders/confirm.html", context, status=exc.status)
    if application.state == State.PENDING_PAYMENT:
        return redirect("orders:pay", application.number)
    messages.success(request, _("订单已提交，请选择要绑定的印章并提交申请。"))
    return redirect("orders:apply", application.number)


@portal_login_required
@require_GET
def renew(request: HttpRequest, certificate_id: int) -> HttpResponse:
    """续期 from a 待续期 certificate: pick the renewal product, then confirm the order."""
    identity = identity_of(request)
    certificate = certificate_for(identity, certificate_id)
    check_can_manage(identity, certificate)
    products = services.renewal_products(certificate)
    context = {"nav": "applications", "certificate": certificate, "products": products}
    return render(request, "orders/renew.html", context)


@portal_login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    identity = identity_of(request)
    application = services.application_for(identity, number)
    invoice = Invoice.objects.filter(order=application.order).first()
    context = {
        "nav": "applications",
        "application": application,
        "order": application.order,
        "product": application.order.product,
        "seals": [chosen.seal for chosen in application.chosen_seals.select_related("seal").order_by("seal_id")],
        "shipment": Shipment.objects.filter(application=application).first(),
        "invoice": invoice,
        "user_actions": states.APPLICATION.names_from(application.state, by=BY_USER) if identity.is_admin else [],
        "can_invoice": identity.is_admin
        and invoice is None
        and application.order.amount > 0
        and application.order.state == "paid",
        "client_token": request.session.pop(f"client-token:{application.number}", ""),
    }
    return render(request, "orders/detail.html", context)


def _apply_context(request: HttpRequest, application: Application, **extra: Any) -> dict[str, Any]:
    identity = identity_of(request)
    chosen = {chosen.seal_id for chosen in application.chosen_seals.all()}
    return {
        "nav": "applications",
        "application": application,
        "product": application.order.product,
        "seals": services.selectable_seals(identity),
        "chosen": {int(s) for s in request.POST.getlist("seals") if s.isdigit()} or chosen,
        "needs_csr": services.needs_csr(application),
        "subject": application.party,
        **step_up_context(request),
        **extra,
    }


@portal_login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, number: str) -> HttpResponse:
    """申请: choose the seals to bind, confirm the subject, attach the UKEY request; submit."""
    identity = identity_of(request)
    application = services.application_for(identity, number)
    if request.method == "GET":
        services.check_can_manage(identity)
        if not states.APPLICATION.allows(application.state, via=states.Action.SUBMIT):
            return redirect("orders:detail", application.number)
        return render(request, "orders/apply.html", _apply_context(request, application))
    csr_file = request.FILES.get("csr")
    if csr_file is not None and csr_file.size is not None and csr_file.size > MAX_CSR_UPLOAD:
        exc = ApplicationInvalid(_("证书请求文件过大（不超过 16 KB）。"))
        return render(request, "orders/apply.html", _apply_context(request, application, error=exc.message), status=400)
    try:
        if request.POST.getlist("seals"):  # binding seals to the certificate is a sensitive action
            require_step_up(request)
        services.do_submit_application(
            identity,
            application,
            seal_ids=request.POST.getlist("seals"),
            csr=csr_file.read() if csr_file is not None else None,
            ukey_serial=request.POST.get("ukey_serial", ""),
            acting=request_acting(request),
        )
    except DomainError as exc:
        if exc.status == 404 or isinstance(exc, PermissionDenied):
            raise
        context = _apply_context(request, application, error=exc.message)
        return render(request, "orders/apply.html", context, status=exc.status)
    messages.success(request, _("申请已提交，请等待审核。"))
    return redirect("orders:detail", application.number)


@portal_login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """The sandbox cashier: says it is a sandbox; 确认支付 settles at once."""
    identity = identity_of(request)
    application = services.application_for(identity, number)
    payments = provider()
    if payments.is_sandbox and not settings.SANDBOX:
        raise PermissionDenied(_("沙箱支付仅在沙箱环境中可用。"))
    if application.state != State.PENDING_PAYMENT:
        return redirect("orders:detail", application.number)
    payment = services.do_start_payment(identity, application, acting=request_acting(request))
    if request.method == "GET":
        context = {
            "nav": "applications",
            "application": application,
            "payment": payment,
            "sandbox": payments.is_sandbox,
        }
        return render(request, "orders/pay.html", context)
    services.do_settle_payment(payment.reference, acting=request_acting(request))
    messages.success(request, _("支付成功（沙箱）。请选择要绑定的印章并提交申请。"))
    return redirect("orders:apply", application.number)


@portal_login_required
@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    identity = identity_of(request)
    application = services.application_for(identity, number)
    services.do_cancel(identity, application, acting=request_acting(request))
    messages.success(request, _("办理单已取消。"))
    return redirect(reverse("portal:applications") + "?tab=all")


@portal_login_required
@require_POST
def receive(request: HttpRequest, number: str) -> HttpResponse:
    identity = identity_of(request)
    application = services.application_for(identity, number)
    services.do_confirm_receipt(identity, application, acting=request_acting(request))
    messages.success(request, _("已确认收货，办理完成。"))
    return redirect("orders:detail", application.number)


@portal_login_required
@require_http_methods(["GET", "POST"])
def invoice(request: HttpRequest, number: str) -> HttpResponse:
    """开票: title and tax number; the operator issues it, the user downloads it here."""
    identity = identity_of(request)
    application = services.application_for(identity, number)
    context: dict[str, Any] = {"nav": "applications", "application": application, "order": application.order}
    if request.method == "POST":
        try:
            services.do_request_invoice(
                identity,
                application,
                title=request.POST.get("title", ""),
                tax_number=request.POST.get("tax_number", ""),
                email=request.POST.get("email", "").strip(),
                acting=request_acting(request),
            )
        except DomainError as exc:
            context.update(error=exc.message, form=request.POST)
            return render(request, "orders/invoice.html", context, status=exc.status)
        messages.success(request, _("开票申请已提交，开具后可在详情页下载。"))
        return redirect("orders:detail", application.number)
    default_title = identity.enterprise.name if identity.enterprise else identity.person.name
    default_tax = identity.enterprise.uscc if identity.enterprise else ""
    context["form"] = {"title": default_title, "tax_number": default_tax}
    return render(request, "orders/invoice.html", context)


@portal_login_required
@require_GET
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    identity = identity_of(request)
    application = services.application_for(identity, number)
    response = HttpResponse(services.invoice_pdf(identity, application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{application.order.number}.pdf"'
    return response


@portal_login_required
@require_POST
def client_token(request: HttpRequest, number: str) -> HttpResponse:
    """A one-time-shown token for the UKEY client tool (tools/ukey_client.py)."""
    identity = identity_of(request)
    application = services.application_for(identity, number)
    token = services.do_issue_client_token(identity, application, acting=request_acting(request))
    request.session[f"client-token:{application.number}"] = token
    return redirect("orders:detail", application.number)


@require_GET
def client_tool(request: HttpRequest) -> HttpResponse:
    """The UKEY client tool, as shipped in the repository (证书使用工具下载)."""
    source = settings.BASE_DIR / "tools" / "ukey_client.py"
    response = HttpResponse(source.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ukey_client.py"'
    return response
