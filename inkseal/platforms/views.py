"""A certificate's authorisations to trading platforms (证书授权): list, add (with step-up), revoke,
resend, and the holder's confirmation link."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from inkseal.accounts import session as portal_session
from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import identity_of
from inkseal.accounts.services import person_actor
from inkseal.accounts.stepup import require_step_up, step_up_context
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError, NotFound, PermissionDenied
from inkseal.core.http import client_ip, error_json
from inkseal.notify.services import CodeInvalid
from inkseal.pki.models import Certificate
from inkseal.pki.services import certificate_for
from inkseal.platforms.models import CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import (
    AuthorizationInvalid,
    authorization_state,
    do_authorize_certificate,
    do_confirm_authorization,
    do_resend_authorization_code,
    do_revoke_authorization,
    pending_authorization_for_token,
    send_confirmation_code,
)


@portal_login_required
@require_http_methods(["GET", "POST"])
def authorizations(request: HttpRequest, pk: int) -> HttpResponse:
    identity = identity_of(request)
    certificate = certificate_for(identity, pk)
    if request.method == "POST":
        if not identity.is_admin:
            raise PermissionDenied(_("只有企业管理员（经办人）可以添加或撤销证书授权。"))
        platform = TradingPlatform.objects.filter(pk=request.POST.get("platform") or 0, enabled=True).first()
        if platform is None:
            raise AuthorizationInvalid(_("请选择交易平台。"))
        # In a platform's SSO session only an SMS code to the holder's own phone will do.
        require_step_up(request, certificate=certificate, sms_only=bool(portal_session.sso_platform(request)))
        try:
            added = do_authorize_certificate(
                certificate,
                platform,
                grantee_name=request.POST.get("grantee_name", ""),
                grantee_phone=request.POST.get("grantee_phone", ""),
                valid_from=_parse_date(request.POST.get("valid_from", ""), end=False),
                valid_until=_parse_date(request.POST.get("valid_until", ""), end=True),
                acting=Acting.from_request(request, person_actor(request.person)),  # type: ignore[attr-defined]
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            if added.confirmed_at is None:
                messages.success(
                    request,
                    _("已添加授权，待被授权人确认：验证码和确认链接已发送至 %(phone)s，确认后授权生效。")
                    % {"phone": added.grantee_phone[:3] + "****" + added.grantee_phone[-4:]},
                )
            else:
                messages.success(request, _("已添加授权。"))
        return redirect("platforms:authorizations", pk=certificate.pk)
    now = timezone.now()
    rows = [
        (row, authorization_state(row, now))
        for row in CertificateAuthorization.objects.filter(certificate=certificate).select_related("platform")
    ]
    today = timezone.localdate()
    return render(
        request,
        "platforms/authorizations.html",
        {
            "nav": "certificates",
            "certificate": certificate,
            "rows": rows,
            "platforms": TradingPlatform.objects.filter(enabled=True),
            "can_manage": identity.is_admin,
            "default_from": today.isoformat(),
            "default_until": timezone.localtime(certificate.not_after).date().isoformat(),
            **step_up_context(request, certificate=certificate, sms_only=bool(portal_session.sso_platform(request))),
        },
    )


def _authorization_for_admin(
    identity: Any, pk: int, authorization_id: int
) -> tuple[Certificate, CertificateAuthorization]:
    """The access gate of one authorisation of the identity's certificate `pk`: 404 outside it,
    403 for members who are not administrators."""
    certificate = certificate_for(identity, pk)
    if not identity.is_admin:
        raise PermissionDenied(_("只有企业管理员（经办人）可以添加或撤销证书授权。"))
    row = CertificateAuthorization.objects.filter(certificate=certificate, pk=authorization_id).first()
    if row is None:
        raise NotFound(_("授权不存在。"))
    return certificate, row


@portal_login_required
@require_POST
def authorization_revoke(request: HttpRequest, pk: int, authorization_id: int) -> HttpResponse:
    identity = identity_of(request)
    certificate, row = _authorization_for_admin(identity, pk, authorization_id)
    do_revoke_authorization(row, acting=Acting.from_request(request, person_actor(request.person)))  # type: ignore[attr-defined]
    messages.success(request, _("已撤销授权。"))
    return redirect("platforms:authorizations", pk=certificate.pk)


@portal_login_required
@require_POST
def authorization_resend(request: HttpRequest, pk: int, authorization_id: int) -> HttpResponse:
    """重新发送: a new confirmation link and code to the authorised person of a pending authorisation."""
    identity = identity_of(request)
    certificate, row = _authorization_for_admin(identity, pk, authorization_id)
    do_resend_authorization_code(row, acting=Acting.from_request(request, person_actor(request.person)))  # type: ignore[attr-defined]
    messages.success(request, _("已重新发送确认短信。"))
    return redirect("platforms:authorizations", pk=certificate.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def authorization_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The authorised person (no login) proves the phone with the code sent to it (授权确认)."""
    authorization = pending_authorization_for_token(token)
    error = ""
    if request.method == "POST":
        try:
            do_confirm_authorization(token, request.POST.get("code", ""), acting=Acting.anonymous(client_ip(request)))
        except CodeInvalid as exc:
            error = str(exc.message)
        else:
            return render(
                request, "platforms/authorization_confirm.html", {"authorization": authorization, "done": True}
            )
    return render(
        request,
        "platforms/authorization_confirm.html",
        {"authorization": authorization, "token": token, "error": error},
        status=400 if error else 200,
    )


@require_POST
def authorization_confirm_code(request: HttpRequest, token: str) -> HttpResponse:
    try:
        send_confirmation_code(token, client_ip(request))
    except DomainError as exc:
        return error_json(exc)
    return JsonResponse({"sent": True, "message": _("验证码已发送，5分钟内有效。")})


def _parse_date(value: str, end: bool) -> datetime:
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise AuthorizationInvalid(_("请填写正确的授权期限（年-月-日）。"))
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))
