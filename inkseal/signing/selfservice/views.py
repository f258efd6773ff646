"""自助签署 (self-service signing): upload, place the seals on the page previews, sign, and download the
signed file again while it is kept."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import CurrentIdentity, identity_of
from inkseal.accounts.services import identity_acting
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import client_ip, with_retry_after
from inkseal.signing.selfservice import services as selfservice
from inkseal.signing.tasks import create, spec


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
    identity = identity_of(request)
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
                request.session, identity, certificate, spec.UploadedFile(name, data), ip=client_ip(request)
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
    identity = identity_of(request)
    selfservice.check_self_service(identity)
    draft = selfservice.draft_of(request.session, identity, draft_id)
    certificate = selfservice.self_service_certificate(identity, draft.certificate)
    seals = selfservice.bound_seals(certificate)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            _task, token = selfservice.do_create_self_sign_task(
                request.session,
                identity,
                draft,
                request.POST.get("placements", ""),
                acting=identity_acting(identity, client_ip(request)),
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
    identity = identity_of(request)
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
    task = selfservice.task_of_identity(identity_of(request), public_id)
    document = create.signed_document(task, number)
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
