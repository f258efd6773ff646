"""Signing pages: the confirm page (reached by a one-time link, no login), its page previews,
应用记录 (list and detail) and a certificate's authorisations (证书授权). Thin: services do the work."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts import session as portal_session
from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.services import person_actor
from inkseal.accounts.stepup import require_step_up, step_up_context
from inkseal.audit.services import Actor
from inkseal.core.errors import DomainError, NotFound, PermissionDenied
from inkseal.core.http import client_ip
from inkseal.core.middleware import with_retry_after
from inkseal.notify.services import CodeInvalid
from inkseal.pki.models import Certificate
from inkseal.pki.services import certificate_for
from inkseal.platforms.models import CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import (
    authorization_state,
    do_authorize_certificate,
    do_confirm_authorization,
    do_resend_authorization_code,
    do_revoke_authorization,
    pending_authorization_for_token,
    send_confirmation_code,
)
from inkseal.seals.models import SealType
from inkseal.signing import preview, selfservice, services
from inkseal.signing.errors import PdfTooComplex
from inkseal.signing.models import SignTask
from inkseal.signing.ses_records import electronic_signatures_of


def _identity(request: HttpRequest) -> CurrentIdentity:
    return request.identity  # type: ignore[attr-defined,no-any-return]


# --- confirm page (签章确认) -------------------------------------------------------------------


@never_cache
@require_GET
def confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        task = services.task_for_token(token)
    except DomainError as exc:
        closed = services.task_by_token(token) if not isinstance(exc, NotFound) else None
        return render(
            request,
            "signing/confirm_closed.html",
            {"error": exc, "return_url": services.return_url(closed) if closed else ""},
            status=exc.status,
        )
    documents = list(task.documents.order_by("number"))
    for document in documents:
        seals = _seal_previews(document.placements.get("overlays", []), token)
        shown = min(document.pages, preview.MAX_PREVIEW_PAGES)
        document.preview_pages = [  # type: ignore[attr-defined]
            {"number": p, "seals": [s for s in seals if s["page"] == p]} for p in range(1, shown + 1)
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
            "download_url": reverse("signing:self_download", args=[task.public_id, 1]) if task.is_self_service else "",
            "return_url": services.return_url(task),
        },
    )


@require_GET
def confirm_page_image(request: HttpRequest, token: str, number: int, page: int) -> HttpResponse:
    task = services.task_for_token(token)
    document = task.documents.filter(number=number).first()
    if document is None or not 1 <= page <= min(document.pages, preview.MAX_PREVIEW_PAGES):
        raise NotFound(_("页面不存在。"))
    try:
        png = services.page_png(document, page)
    except PdfTooComplex as exc:  # audited as on the API, against whoever uploaded the document
        uploader = (
            services.platform_actor(task.platform)
            if task.platform is not None
            else person_actor(task.requested_by)
            if task.requested_by is not None
            else Actor.system()
        )
        services.record_budget_exceeded(
            exc, uploader, client_ip(request), "sign_task.preview", task=task.public_id, document=str(number)
        )
        raise
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.4f}"


def _seal_previews(overlays: list[dict[str, Any]], token: str) -> list[dict[str, Any]]:
    """Each widget of the document's seals as the preview draws it: the box on the page and the
    seal picture in it (a cross-page slice shows part of the picture), in percentages, with the
    seal's name; the picture comes through the confirm link (the signer has no login)."""
    names = dict(SealType.choices)
    previews = []
    for overlay in overlays:
        left, top, width, height = overlay.get("seal_box") or (0.0, 0.0, 1.0, 1.0)
        seal_type = overlay["seal_type"]
        previews.append(
            {
                "page": overlay["page"],
                "label": names.get(seal_type, _("印章")),
                "cross_page": bool(overlay.get("cross_page")),
                "image_url": reverse("signing:seal", args=[token, seal_type]),
                "box": [_percent(overlay[k]) for k in ("left", "top", "width", "height")],
                "picture": [_percent(v) for v in (left, top, width, height)],
            }
        )
    return previews


def _seal_types(task: SignTask) -> set[str]:
    return {o["seal_type"] for d in task.documents.all() for o in d.placements.get("overlays", [])}


@require_GET
def confirm_seal_image(request: HttpRequest, token: str, seal_type: str) -> HttpResponse:
    """The picture of a seal the task will stamp, for its confirm page: only through that task's
    link, only for the seal types it places (the seal management URL needs the holder's login)."""
    task = services.task_for_token(token)
    if seal_type not in _seal_types(task):
        raise NotFound(_("印章不存在。"))
    _seal, image = services.seal_for_placement(task.certificate, seal_type)
    response = HttpResponse(image.png, content_type="image/png")
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
    identity = _identity(request)
    row = services.record_for(identity.party, event_id)
    context = {
        "nav": "records",
        "record": row,
        "electronic_signatures": electronic_signatures_of(row),
        "signed_file": selfservice.signed_file_for(identity, row),
    }
    return render(request, "signing/record_detail.html", context)


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
                actor=person_actor(request.person),  # type: ignore[attr-defined]
                ip=client_ip(request),
                identity=identity.key,
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
    identity = _identity(request)
    certificate, row = _authorization_for_admin(identity, pk, authorization_id)
    do_revoke_authorization(
        row,
        actor=person_actor(request.person),  # type: ignore[attr-defined]
        ip=client_ip(request),
        identity=identity.key,  # type: ignore[attr-defined]
    )
    messages.success(request, _("已撤销授权。"))
    return redirect("signing:authorizations", pk=certificate.pk)


@portal_login_required
@require_POST
def authorization_resend(request: HttpRequest, pk: int, authorization_id: int) -> HttpResponse:
    """重新发送: a new confirmation link and code to the authorised person of a pending authorisation."""
    identity = _identity(request)
    certificate, row = _authorization_for_admin(identity, pk, authorization_id)
    do_resend_authorization_code(
        row,
        actor=person_actor(request.person),  # type: ignore[attr-defined]
        ip=client_ip(request),
        identity=identity.key,
    )
    messages.success(request, _("已重新发送确认短信。"))
    return redirect("signing:authorizations", pk=certificate.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def authorization_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The authorised person (no login) proves the phone with the code sent to it (授权确认)."""
    authorization = pending_authorization_for_token(token)
    error = ""
    if request.method == "POST":
        try:
            do_confirm_authorization(token, request.POST.get("code", ""), ip=client_ip(request))
        except CodeInvalid as exc:
            error = str(exc.message)
        else:
            return render(request, "signing/authorization_confirm.html", {"authorization": authorization, "done": True})
    return render(
        request,
        "signing/authorization_confirm.html",
        {"authorization": authorization, "token": token, "error": error},
        status=400 if error else 200,
    )


@require_POST
def authorization_confirm_code(request: HttpRequest, token: str) -> HttpResponse:
    try:
        send_confirmation_code(token, client_ip(request))
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    return JsonResponse({"sent": True, "message": _("验证码已发送，5分钟内有效。")})


# --- 自助签署 (self-service signing) -----------------------------------------------------------------


def _certificate_rows(identity: CurrentIdentity) -> list[dict[str, object]]:
    return [
        {"certificate": certificate, "seals": "、".join(choice.label for choice in seals)}
        for certificate, seals in selfservice.usable_certificates(identity)
    ]


@never_cache
@portal_login_required
@require_http_methods(["GET", "POST"])
def self_sign(request: HttpRequest) -> HttpResponse:
    """Step 1: choose a certificate with bound seals and upload the PDF."""
    identity = _identity(request)
    selfservice.check_self_service(identity)
    error: DomainError | None = None
    selected = request.POST.get("certificate", "")
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            certificate = selfservice.self_service_certificate(identity, selected)
            data = upload.read() if upload is not None else b""
            name = (upload.name if upload is not None else "") or "document.pdf"
            draft = selfservice.save_draft(
                request.session, identity, certificate, services.UploadedFile(name, data), ip=client_ip(request)
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("signing:self_place", draft_id=draft.id)
    rows = _certificate_rows(identity)
    response = render(
        request,
        "signing/self_sign.html",
        {
            "nav": "records",
            "rows": rows,
            "selected": selected,
            "error": error,
            "max_mb": settings.SIGN_MAX_FILE_BYTES // (1024 * 1024),
        },
        status=error.status if error else 200,
    )
    return with_retry_after(response, error) if error else response


@never_cache
@portal_login_required
@require_http_methods(["GET", "POST"])
def self_sign_place(request: HttpRequest, draft_id: str) -> HttpResponse:
    """Step 2: drag the seals onto the page previews, 下一步 → the confirm page."""
    identity = _identity(request)
    selfservice.check_self_service(identity)
    draft = selfservice.draft_of(request.session, identity, draft_id)
    certificate = selfservice.self_service_certificate(identity, draft.certificate)
    seals = selfservice.bound_seals(certificate)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            _task, token = selfservice.do_create_self_sign_task(
                request.session, identity, draft, request.POST.get("placements", ""), ip=client_ip(request)
            )
        except DomainError as exc:
            error = exc
        else:
            return redirect("signing:confirm", token=token)
    pages = [
        {"number": n, "width": w, "height": h, "url": reverse("signing:self_page", args=[draft.id, n])}
        for n, (w, h) in enumerate(draft.sizes, start=1)
    ]
    palette = [
        {
            "seal_type": c.seal_type,
            "label": c.label,
            "width_mm": c.width_mm,
            "height_mm": c.height_mm,
            "image_url": reverse("seals:image", args=[c.seal.pk]),
        }
        for c in seals
    ]
    return render(
        request,
        "signing/self_sign_place.html",
        {
            "nav": "records",
            "draft": draft,
            "certificate": certificate,
            "pages": pages,
            "palette": palette,
            "more_pages": draft.pages > len(pages),
            "error": error,
            "masked_phone": identity.person.masked_phone,
        },
        status=error.status if error else 200,
    )


@portal_login_required
@require_GET
def self_sign_page_image(request: HttpRequest, draft_id: str, page: int) -> HttpResponse:
    identity = _identity(request)
    draft = selfservice.draft_of(request.session, identity, draft_id)
    if not 1 <= page <= len(draft.sizes):
        raise NotFound(_("页面不存在。"))
    png = selfservice.draft_png(draft, page, identity=identity, ip=client_ip(request))
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


@portal_login_required  # type: ignore[arg-type]  # a FileResponse streams: not an HttpResponse
@require_GET
def self_sign_download(request: HttpRequest, public_id: str, number: int) -> FileResponse:
    """The signed PDF of a self-service task, for the identity that created it only."""
    task = selfservice.task_of_identity(_identity(request), public_id)
    document = services.signed_document(task, number)
    response = FileResponse(
        document.signed.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=_signed_name(document.name),
    )
    response["X-Content-SHA256"] = document.sha256_after
    return response


def _signed_name(name: str) -> str:
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return f"{stem}（已签章）.pdf"
