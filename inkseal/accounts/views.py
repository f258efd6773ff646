from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
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
    LinkRequired,
    address_for,
    check_sso_entry,
    do_add_address,
    do_create_enterprise,
    do_delete_address,
    do_logout,
    do_request_sso_link,
    do_set_default_address,
    do_sms_login,
    do_sso_login,
    do_switch_identity,
    person_actor,
    record_sso_failure,
)
from inkseal.accounts.sso import SsoClaims, verify_jump_ticket
from inkseal.accounts.stepup import do_step_up_sms, send_step_up_code
from inkseal.core.acting import Acting, Actor
from inkseal.core.crypto import decrypt, encrypt
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import client_ip, error_json
from inkseal.notify.services import CodeInvalid, send_code
from inkseal.platforms.models import PlatformLink, TradingPlatform
from inkseal.platforms.services import do_unlink_platform, link_for, links_of, platform_by_code


def _acting(request: HttpRequest) -> Acting:
    """The logged-in person (anonymous before login) acting from the request's address and identity."""
    person = getattr(request, "person", None)
    return Acting.from_request(request, person_actor(person) if person is not None else Actor("anonymous"))


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
            person = do_sms_login(form.cleaned_data["phone"], form.cleaned_data["code"], acting=_acting(request))
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
        do_logout(
            person,
            acting=Acting.from_request(request, person_actor(person)),
            everywhere=request.POST.get("everywhere") == "1",
        )
    portal_session.end(request)
    return redirect(reverse("accounts:login"))


SSO_PENDING = "sso_pending"


def _finish_sso(
    request: HttpRequest, claims: SsoClaims, platform: TradingPlatform, method: str, next_url: str
) -> HttpResponse:
    try:
        _person, link = do_sso_login(claims, platform, method, acting=_acting(request))
    except LinkRequired:
        _keep_pending(request, claims, platform, method, next_url)
        try:
            do_request_sso_link(claims, platform, method, acting=_acting(request))
        except DomainError as exc:  # rate limits: the page says so and offers to send again
            messages.error(request, str(exc.message))
        return redirect(reverse("accounts:sso_link"))
    return _sign_in(request, link, claims, platform, next_url)


def _sign_in(
    request: HttpRequest, link: PlatformLink, claims: SsoClaims, platform: TradingPlatform, next_url: str
) -> HttpResponse:
    identity = check_sso_entry(link.person, claims)
    portal_session.start(request, link.person, platform=platform.code, link=link.pk)
    if identity is not None:
        portal_session.set_identity(request, identity.key)
    elif claims.entry == "enterprise":
        return redirect(reverse("accounts:create_enterprise"))
    return redirect(_safe_next(request, next_url))


def _keep_pending(
    request: HttpRequest, claims: SsoClaims, platform: TradingPlatform, method: str, next_url: str
) -> None:
    """The verified claims wait in the session for the SMS code (the ID number encrypted)."""
    request.session[SSO_PENDING] = {
        "platform": platform.code,
        "method": method,
        "subject": claims.subject,
        "name": claims.name,
        "phone": claims.phone,
        "id_enc": encrypt(claims.id_number, "sso-pending") if claims.id_number else "",
        "entry": claims.entry,
        "enterprise": claims.enterprise,
        "next": next_url,
        "expires": timezone.now().timestamp() + settings.SSO_LINK_PENDING_SECONDS,
    }


def _pending(request: HttpRequest) -> tuple[SsoClaims, TradingPlatform, dict[str, str]]:
    pending = request.session.get(SSO_PENDING) or {}
    platform = platform_by_code(str(pending.get("platform", "")))
    if platform is None or float(pending.get("expires", 0)) < timezone.now().timestamp():
        raise SsoError(_("登录请求已失效，请回到交易平台重新点击“电子签章”。"), code="sso_link_expired", status=400)
    claims = SsoClaims(
        subject=pending["subject"],
        name=pending["name"],
        phone=pending["phone"],
        id_number=decrypt(pending["id_enc"], "sso-pending") if pending.get("id_enc") else "",
        entry=pending["entry"],
        enterprise=pending.get("enterprise", ""),
    )
    return claims, platform, pending


@require_http_methods(["GET", "POST"])
def sso_link(request: HttpRequest) -> HttpResponse:
    """First SSO of a platform for a person: the person enters the code sent to their own phone."""
    try:
        claims, platform, pending = _pending(request)
    except DomainError as expired:
        return render(request, "accounts/sso_error.html", {"error": expired}, status=expired.status)
    error = ""
    if request.method == "POST":
        try:
            _person, link = do_sso_login(
                claims, platform, pending["method"], acting=_acting(request), code=request.POST.get("code", "")
            )
            request.session.pop(SSO_PENDING, None)
            return _sign_in(request, link, claims, platform, pending.get("next", ""))
        except CodeInvalid as exc:
            error = str(exc.message)
        except DomainError as failure:
            request.session.pop(SSO_PENDING, None)
            return _sso_failed(request, platform.code, pending["method"], failure)
    return render(
        request,
        "accounts/sso_link.html",
        {"platform": platform, "masked_phone": claims.phone[:3] + "****" + claims.phone[-4:], "error": error},
        status=400 if error else 200,
    )


@require_POST
def sso_link_code(request: HttpRequest) -> JsonResponse:
    try:
        claims, platform, pending = _pending(request)
        do_request_sso_link(claims, platform, pending["method"], acting=_acting(request))
    except DomainError as exc:
        return error_json(exc)
    return JsonResponse({"sent": True, "message": _("验证码已发送，5分钟内有效。")})


def _sso_failed(request: HttpRequest, platform_code: str, method: str, error: DomainError) -> HttpResponse:
    record_sso_failure(platform_code, method, error.code, acting=_acting(request), detail=str(error.message))
    return render(request, "accounts/sso_error.html", {"error": error}, status=error.status)


@require_GET
def sso_jump(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("platform", "")[:64]
    platform = platform_by_code(code)
    try:
        claims = verify_jump_ticket(platform, request.GET.get("ticket", ""))
        assert platform is not None  # verify_jump_ticket refuses an unknown platform
        return _finish_sso(request, claims, platform, "ticket", request.GET.get("next", ""))
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
        return _finish_sso(request, claims, platform, "oidc", next_url)
    except DomainError as error:
        return _sso_failed(request, code, "oidc", error)


@portal_login_required
@require_POST
def switch_identity(request: HttpRequest) -> HttpResponse:
    identity = identity_for(request.person, request.POST.get("identity"))  # type: ignore[attr-defined]
    portal_session.set_identity(request, identity.key)
    do_switch_identity(identity, acting=_acting(request))
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
                acting=_acting(request),
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
    origin = portal_session.sso_platform(request)
    session_platform = TradingPlatform.objects.filter(code=origin).first() if origin else None
    return render(
        request,
        "accounts/profile.html",
        {
            "profile": person,
            "identities": identities_of(person),
            "addresses": person.addresses.all(),
            "platform_links": links_of(person),
            "session_platform": session_platform,
            "session_link": request.session.get(portal_session.SSO_LINK),
        },
    )


@portal_login_required
@require_POST
def unlink_platform(request: HttpRequest, link_id: int) -> HttpResponse:
    """解除关联: the platform can no longer sign the person in without a new SMS proof."""
    person = request.person  # type: ignore[attr-defined]
    link = link_for(person, link_id)
    do_unlink_platform(link, acting=Acting(person_actor(person), client_ip(request)))
    messages.success(request, _("已解除与交易平台“%(name)s”的关联。") % {"name": link.platform.name})
    return redirect(reverse("accounts:profile"))


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
            return redirect(_safe_next(request, next_url))
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
                acting=_acting(request),
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
        do_set_default_address(address, acting=_acting(request))
    elif action == "delete":
        do_delete_address(address, acting=_acting(request))
    else:
        raise NotFound(_("页面不存在。"))
    return redirect(reverse("accounts:addresses"))
