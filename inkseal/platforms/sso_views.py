"""A trading platform's SSO into the portal: the jump ticket (GET /sso/jump), OpenID Connect
(/sso/oidc/<code>/start and /callback), the SMS proof of a first sign-in (/sso/link), and the
person's 解除关联 of a platform in 个人中心 (the platform-links part of that page: profile_section).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts import session as portal_session
from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.errors import SsoError
from inkseal.accounts.services import person_actor, request_acting
from inkseal.accounts.views import safe_next
from inkseal.core.acting import Acting
from inkseal.core.crypto import decrypt, encrypt
from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip, error_json
from inkseal.notify.services import CodeInvalid
from inkseal.platforms import oidc
from inkseal.platforms.models import PlatformLink, TradingPlatform
from inkseal.platforms.services import do_unlink_platform, link_for, links_of, platform_by_code
from inkseal.platforms.sso import SsoClaims, verify_jump_ticket
from inkseal.platforms.sso_login import (
    LinkRequired,
    check_sso_entry,
    do_request_sso_link,
    do_sso_login,
    record_sso_failure,
)

SSO_PENDING = "sso_pending"


def _finish_sso(
    request: HttpRequest, claims: SsoClaims, platform: TradingPlatform, method: str, next_url: str
) -> HttpResponse:
    try:
        _person, link = do_sso_login(claims, platform, method, acting=request_acting(request))
    except LinkRequired:
        _keep_pending(request, claims, platform, method, next_url)
        try:
            do_request_sso_link(claims, platform, method, acting=request_acting(request))
        except DomainError as exc:  # rate limits: the page says so and offers to send again
            messages.error(request, str(exc.message))
        return redirect(reverse("sso:link"))
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
    return redirect(safe_next(request, next_url))


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
        return render(request, "platforms/sso_error.html", {"error": expired}, status=expired.status)
    error = ""
    if request.method == "POST":
        try:
            _person, link = do_sso_login(
                claims, platform, pending["method"], acting=request_acting(request), code=request.POST.get("code", "")
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
        "platforms/sso_link.html",
        {"platform": platform, "masked_phone": claims.phone[:3] + "****" + claims.phone[-4:], "error": error},
        status=400 if error else 200,
    )


@require_POST
def sso_link_code(request: HttpRequest) -> JsonResponse:
    try:
        claims, platform, pending = _pending(request)
        do_request_sso_link(claims, platform, pending["method"], acting=request_acting(request))
    except DomainError as exc:
        return error_json(exc)
    return JsonResponse({"sent": True, "message": _("验证码已发送，5分钟内有效。")})


def _sso_failed(request: HttpRequest, platform_code: str, method: str, error: DomainError) -> HttpResponse:
    record_sso_failure(platform_code, method, error.code, acting=request_acting(request), detail=str(error.message))
    return render(request, "platforms/sso_error.html", {"error": error}, status=error.status)


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
    return request.build_absolute_uri(reverse("sso:oidc_callback", args=[code]))


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
def unlink_platform(request: HttpRequest, link_id: int) -> HttpResponse:
    """解除关联: the platform can no longer sign the person in without a new SMS proof."""
    person = request.person  # type: ignore[attr-defined]
    link = link_for(person, link_id)
    do_unlink_platform(link, acting=Acting(person_actor(person), client_ip(request)))
    messages.success(request, _("已解除与交易平台“%(name)s”的关联。") % {"name": link.platform.name})
    return redirect(reverse("accounts:profile"))


def profile_section(request: HttpRequest) -> dict[str, Any]:
    """个人中心's platform part: the person's links (with 解除关联) and this SSO session's platform."""
    origin = portal_session.sso_platform(request)
    return {
        "platform_links": links_of(request.person),  # type: ignore[attr-defined]
        "session_platform": TradingPlatform.objects.filter(code=origin).first() if origin else None,
        "session_link": request.session.get(portal_session.SSO_LINK),
    }
