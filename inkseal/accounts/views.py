from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts import session as portal_session
from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.forms import AddressForm, EnterpriseForm, SmsLoginForm
from inkseal.accounts.hooks import profile_sections
from inkseal.accounts.identity import identities_of, identity_for
from inkseal.accounts.services import (
    address_for,
    do_add_address,
    do_create_enterprise,
    do_delete_address,
    do_logout,
    do_set_default_address,
    do_sms_login,
    do_switch_identity,
    person_actor,
    request_acting,
)
from inkseal.accounts.stepup import do_step_up_sms, send_step_up_code
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import client_ip, error_json
from inkseal.notify.services import send_code


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` if it stays on this site, else the portal's home page (where to go after a sign-in)."""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("portal:home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = SmsLoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            person = do_sms_login(form.cleaned_data["phone"], form.cleaned_data["code"], acting=request_acting(request))
        except DomainError as exc:
            error = str(exc.message)
        else:
            portal_session.start(request, person)
            return redirect(safe_next(request, request.POST.get("next")))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def send_login_code(request: HttpRequest) -> JsonResponse:
    phone = request.POST.get("phone", "").strip()
    send_code(phone, "login", client_ip(request))
    return JsonResponse({"sent": True, "message": _("验证码已发送，5分钟内有效。")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    person = getattr(request, "person", None)
    if person is not None:
        do_logout(
            person,
            acting=Acting.from_request(request, person_actor(person)),
            everywhere=request.POST.get("everywhere") == "1",
        )
    portal_session.end(request)
    return redirect(reverse("accounts:login"))


@portal_login_required
@require_POST
def switch_identity(request: HttpRequest) -> HttpResponse:
    identity = identity_for(request.person, request.POST.get("identity"))  # type: ignore[attr-defined]
    portal_session.set_identity(request, identity.key)
    do_switch_identity(identity, acting=request_acting(request))
    return redirect(reverse("portal:home"))


@portal_login_required
@require_http_methods(["GET", "POST"])
def create_enterprise(request: HttpRequest) -> HttpResponse:
    form = EnterpriseForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enterprise = do_create_enterprise(
                request.person,  # type: ignore[attr-defined]
                data["name"],
                data["uscc"],
                data["enterprise_type"],
                data["legal_rep_name"],
                acting=request_acting(request),
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            portal_session.set_identity(request, f"enterprise:{enterprise.pk}")
            # Creating is the first step: enterprise verification (企业实名认证) follows.
            return redirect(reverse("identity:enterprise_verify", args=[enterprise.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/create_enterprise.html", {"form": form, "error": error}, status=status)


@portal_login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    person = request.person  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "profile": person,
        "identities": identities_of(person),
        "addresses": person.addresses.all(),
    }
    context.update(profile_sections(request))  # 关联的交易平台 (the platforms app)
    return render(request, "accounts/profile.html", context)


@portal_login_required
@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """二次验证 on its own page (the action forms also take the code inline)."""
    next_url = request.POST.get("next") or request.GET.get("next", "")
    error = ""
    if request.method == "POST":
        try:
            do_step_up_sms(request, request.POST.get("code", ""))
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("身份验证已完成。"))
            return redirect(safe_next(request, next_url))
    person = request.person  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/step_up.html",
        {"next": next_url, "error": error, "masked_phone": person.masked_phone},
        status=400 if error else 200,
    )


@portal_login_required
@require_POST
def step_up_code(request: HttpRequest) -> JsonResponse:
    """Send the step-up code to the logged-in person's own phone (no phone is taken from the request)."""
    try:
        send_step_up_code(request)
    except DomainError as exc:
        return error_json(exc)
    person = request.person  # type: ignore[attr-defined]
    return JsonResponse(
        {"sent": True, "message": _("验证码已发送至 %(phone)s，5分钟内有效。") % {"phone": person.masked_phone}}
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def addresses(request: HttpRequest) -> HttpResponse:
    """地址管理: the person's shipping addresses (UKEY delivery, invoices)."""
    person = request.person  # type: ignore[attr-defined]
    form = AddressForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_add_address(
                person,
                data["recipient"],
                data["phone"],
                data["region"],
                data["detail"],
                data["is_default"],
                acting=request_acting(request),
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            back = request.GET.get("next")  # + 新增收货地址 on the order page comes back to the order
            if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                return redirect(back)
            return redirect(reverse("accounts:addresses"))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "error": error, "addresses": person.addresses.all()}
    return render(request, "accounts/addresses.html", context, status=status)


@portal_login_required
@require_POST
def address_action(request: HttpRequest, address_id: int, action: str) -> HttpResponse:
    address = address_for(request.person, address_id)  # type: ignore[attr-defined]
    if action == "default":
        do_set_default_address(address, acting=request_acting(request))
    elif action == "delete":
        do_delete_address(address, acting=request_acting(request))
    else:
        raise NotFound(_("页面不存在。"))
    return redirect(reverse("accounts:addresses"))
