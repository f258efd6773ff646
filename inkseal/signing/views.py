"""Signing pages: the confirm page (reached by a one-time link, no login), its page previews,
应用记录 (list and detail) and a certificate's authorisations (证书授权). Thin: services do the work."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.services import person_actor
from inkseal.core.errors import DomainError, NotFound, PermissionDenied
from inkseal.core.http import client_ip
from inkseal.pki.services import certificate_for
from inkseal.platforms.models import CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import authorization_state, do_authorize_certificate, do_revoke_authorization
from inkseal.signing import preview, services


def _identity(request: HttpRequest) -> CurrentIdentity:
    return request.identity  # type: ignore[attr-defined,no-any-return]


# --- confirm page (签章确认) -------------------------------------------------------------------


@never_cache
@require_GET
def confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        task = services.task_for_token(token)
    except DomainError as exc:
        return render(request, "signing/confirm_closed.html", {"error": exc}, status=exc.status)
    documents = list(task.documents.order_by("number"))
    for document in documents:
        overlays = document.placements.get("overlays", [])
        shown = min(document.pages, preview.MAX_PREVIEW_PAGES)
        document.preview_pages = [  # type: ignore[attr-defined]
            {"number": p, "overlays": [o for o in overlays if o["page"] == p]} for p in range(1, shown + 1)
        ]
    return render(
        request,
        "signing/confirm.html",
        {
            "task": task,
            "token": token,
            "documents": documents,
            "certificate": task.certificate,
            "masked_phone": task.confirmer_phone[:3] + "****" + task.confirmer_phone[-4:],
            "has_pin": task.certificate.has_pin,
        },
    )


@require_GET
def confirm_page_image(request: HttpRequest, token: str, number: int, page: int) -> HttpResponse:
    task = services.task_for_token(token)
    document = task.documents.filter(number=number).first()
    if document is None or not 1 <= page <= min(document.pages, preview.MAX_PREVIEW_PAGES):
        raise NotFound(_("页面不存在。"))
    with document.original.open("rb") as handle:
        png = preview.page_png(handle.read(), page)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


# --- 应用记录 ---------------------------------------------------------------------------------


@portal_login_required
@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:64]
    rows = services.records_of(_identity(request).party, query)
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    return render(request, "signing/record_list.html", {"nav": "records", "page": page, "query": query})


@portal_login_required
@require_GET
def record_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    row = services.record_for(_identity(request).party, event_id)
    return render(request, "signing/record_detail.html", {"nav": "records", "record": row})


# --- 证书授权 -----------------------------------------------------------------------------------


def _parse_date(value: str, end: bool) -> datetime:
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise DomainError(_("请填写正确的授权期限（年-月-日）。"), code="authorization_invalid")
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@portal_login_required
@require_http_methods(["GET", "POST"])
def authorizations(request: HttpRequest, pk: int) -> HttpResponse:
    identity = _identity(request)
    certificate = certificate_for(identity, pk)
    if request.method == "POST":
        if not identity.is_admin:
            raise PermissionDenied(_("只有企业管理员（经办人）可以添加或撤销证书授权。"))
        platform = TradingPlatform.objects.filter(pk=request.POST.get("platform") or 0, enabled=True).first()
        if platform is None:
            raise DomainError(_("请选择交易平台。"), code="authorization_invalid")
        try:
            do_authorize_certificate(
                certificate,
                platform,
                grantee_name=request.POST.get("grantee_name", ""),
                grantee_phone=request.POST.get("grantee_phone", ""),
                valid_from=_parse_date(request.POST.get("valid_from", ""), end=False),
                valid_until=_parse_date(request.POST.get("valid_until", ""), end=True),
                actor=person_actor(request.person),  # type: ignore[attr-defined]
                ip=client_ip(request),
                identity=identity.key,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已添加授权。"))
        return redirect("signing:authorizations", pk=certificate.pk)
    now = timezone.now()
    rows = [
        (row, authorization_state(row, now))
        for row in CertificateAuthorization.objects.filter(certificate=certificate).select_related("platform")
    ]
    today = timezone.localdate()
    return render(
        request,
        "signing/authorizations.html",
        {
            "nav": "certificates",
            "certificate": certificate,
            "rows": rows,
            "platforms": TradingPlatform.objects.filter(enabled=True),
            "can_manage": identity.is_admin,
            "default_from": today.isoformat(),
            "default_until": timezone.localtime(certificate.not_after).date().isoformat(),
        },
    )


@portal_login_required
@require_POST
def authorization_revoke(request: HttpRequest, pk: int, authorization_id: int) -> HttpResponse:
    identity = _identity(request)
    certificate = certificate_for(identity, pk)
    if not identity.is_admin:
        raise PermissionDenied(_("只有企业管理员（经办人）可以添加或撤销证书授权。"))
    row = CertificateAuthorization.objects.filter(certificate=certificate, pk=authorization_id).first()
    if row is None:
        raise NotFound(_("授权不存在。"))
    do_revoke_authorization(
        row,
        actor=person_actor(request.person),  # type: ignore[attr-defined]
        ip=client_ip(request),
        identity=identity.key,  # type: ignore[attr-defined]
    )
    messages.success(request, _("已撤销授权。"))
    return redirect("signing:authorizations", pk=certificate.pk)
