from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts import oidc
from inkseal.accounts import session as portal_session
from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.errors import SsoError
from inkseal.accounts.forms import AddressForm, EnterpriseForm, SmsLoginForm
from inkseal.accounts.identity import identities_of, identity_for
from inkseal.accounts.services import (
    RequestContext,
    address_for,
    do_add_address,
    do_create_enterprise,
    do_delete_address,
    do_logout,
    do_set_default_address,
    do_sms_login,
    do_sso_login,
    do_switch_identity,
    record_sso_failure,
)
from inkseal.accounts.sso import SsoClaims, verify_jump_ticket
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import client_ip
from inkseal.notify.services import send_code
from inkseal.platforms.services import platform_by_code


def _ctx(request: HttpRequest) -> RequestContext:
    identity = getattr(request, "identity", None)
    return RequestContext(ip=client_ip(request), identity=identity.key if identity else "")


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return reverse("portal:home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = SmsLoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            person = do_sms_login(form.cleaned_data["phone"], form.cleaned_data["code"], _ctx(request))
        except DomainError as exc:
            error = str(exc.message)
        else:
            portal_session.start(request, person)
            return redirect(_safe_next(request, request.POST.get("next")))
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
        do_logout(person, _ctx(request), everywhere=request.POST.get("everywhere") == "1")
    portal_session.end(request)
    return redirect(reverse("accounts:login"))


def _finish_sso(
    request: HttpRequest, claims: SsoClaims, platform_code: str, method: str, next_url: str
) -> HttpResponse:
    person = do_sso_login(claims, platform_code, method, _ctx(request))
    portal_session.start(request, person)
    if claims.entry == "enterprise":
        enterprises = [i for i in identities_of(person) if i.is_enterprise]
        if not enterprises:
            return redirect(reverse("accounts:create_enterprise"))
        portal_session.set_identity(request, enterprises[0].key)
    return redirect(_safe_next(request, next_url))


def _sso_failed(request: HttpRequest, platform_code: str, method: str, error: DomainError) -> HttpResponse:
    record_sso_failure(platform_code, method, error.code, _ctx(request), str(error.message))
    return render(request, "accounts/sso_error.html", {"error": error}, status=error.status)


@require_GET
def sso_jump(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("platform", "")[:64]
    try:
        claims = verify_jump_ticket(platform_by_code(code), request.GET.get("ticket", ""))
        return _finish_sso(request, claims, code, "ticket", request.GET.get("next", ""))
    except DomainError as error:
        return _sso_failed(request, code, "ticket", error)


def _oidc_redirect_uri(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("accounts:oidc_callback", args=[code]))


@require_GET
def oidc_start(request: HttpRequest, code: str) -> HttpResponse:
    platform = platform_by_code(code)
    try:
        if platform is None:
            raise SsoError(_("未知或已停用的交易平台。"), code="platform_unknown", status=404)
        url = oidc.begin(
            platform,
            _oidc_redirect_uri(request, code),
            request.session,
            request.GET.get("next", ""),
            request.GET.get("entry", ""),
        )
    except DomainError as error:
        return _sso_failed(request, code, "oidc", error)
    return redirect(url)


@require_GET
def oidc_callback(request: HttpRequest, code: str) -> HttpResponse:
    platform = platform_by_code(code)
    try:
        if platform is None:
            raise SsoError(_("未知或已停用的交易平台。"), code="platform_unknown", status=404)
        params = {k: request.GET.get(k, "") for k in ("code", "state", "error")}
        claims, next_url = oidc.complete(platform, _oidc_redirect_uri(request, code), request.session, params)
        return _finish_sso(request, claims, code, "oidc", next_url)
    except DomainError as error:
        return _sso_failed(request, code, "oidc", error)


@portal_login_required
@require_POST
def switch_identity(request: HttpRequest) -> HttpResponse:
    identity = identity_for(request.person, request.POST.get("identity"))  # type: ignore[attr-defined]
    portal_session.set_identity(request, identity.key)
    do_switch_identity(identity, _ctx(request))
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
                _ctx(request),
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
    return render(
        request,
        "accounts/profile.html",
        {
            "profile": person,
            "identities": identities_of(person),
            "addresses": person.addresses.all(),
        },
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
                _ctx(request),
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
        do_set_default_address(address, _ctx(request))
    elif action == "delete":
        do_delete_address(address, _ctx(request))
    else:
        raise NotFound(_("页面不存在。"))
    return redirect(reverse("accounts:addresses"))
