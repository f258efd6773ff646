"""The confirm page (签章确认), reached by a one-time link with no login: the documents' pages with the
real seals drawn where they will go, and the seal images. Thin: inkseal.signing.tasks does the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inkseal.accounts.services import person_actor
from inkseal.core.acting import Acting, Actor
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import client_ip
from inkseal.seals.models import SealType
from inkseal.signing.core import preview
from inkseal.signing.core.errors import PdfTooComplex
from inkseal.signing.models import SignTask
from inkseal.signing.tasks import confirm, planning, spec


@never_cache
@require_GET
def confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        task = confirm.pending_task_for_token(token)
    except DomainError as exc:
        closed = confirm.any_task_for_token(token) if not isinstance(exc, NotFound) else None
        return render(
            request,
            "signing/confirm_closed.html",
            {"error": exc, "return_url": spec.return_url(closed) if closed else ""},
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
            "return_url": spec.return_url(task),
        },
    )


@require_GET
def confirm_page_image(request: HttpRequest, token: str, number: int, page: int) -> HttpResponse:
    task = confirm.pending_task_for_token(token)
    document = task.documents.filter(number=number).first()
    if document is None or not 1 <= page <= min(document.pages, preview.MAX_PREVIEW_PAGES):
        raise NotFound(_("页面不存在。"))
    try:
        png = planning.page_png(document, page)
    except PdfTooComplex as exc:  # audited as on the API, against whoever uploaded the document
        ip = client_ip(request)
        uploader = (
            Acting.platform(task.platform, ip)
            if task.platform is not None
            else Acting(person_actor(task.requested_by), ip)
            if task.requested_by is not None
            else Acting(Actor.system(), ip)
        )
        planning.record_budget_exceeded(
            exc,
            uploader,
            "sign_task.preview",
            task=task.public_id,
            document=str(number),
        )
        raise
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.4f}"


def _seal_previews(
    overlays: list[dict[str, Any]], token: str, seal_url: Callable[[str], str] | None = None
) -> list[dict[str, Any]]:
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
                "image_url": seal_url(seal_type) if seal_url else reverse("signing:seal", args=[token, seal_type]),
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
    task = confirm.pending_task_for_token(token)
    if seal_type not in _seal_types(task):
        raise NotFound(_("印章不存在。"))
    _seal, image = planning.seal_for_placement(task.certificate, seal_type)
    response = HttpResponse(image.png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response
