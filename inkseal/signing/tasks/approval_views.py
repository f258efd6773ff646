"""用印审批 detail page for the approver (issue #19): the request's document pages with the seals drawn
where they will go (the confirm page's preview), and 同意 / 驳回 (posted to the seals inbox's
decide URL). Only an approver named in the seal type's rule sees it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import identity_of
from inkseal.core.errors import NotFound
from inkseal.seals.models import SealApproval
from inkseal.seals.services import approvals
from inkseal.signing.core import preview
from inkseal.signing.models import SignDocument, TaskApproval
from inkseal.signing.tasks import planning
from inkseal.signing.tasks.views import _seal_previews


def _approval_document(request: HttpRequest, public_id: Any) -> tuple[SealApproval, SignDocument | None]:
    """The request (the identity's enterprise's, else 404; a named approver, else 403) and the
    document of a task it was asked for (None: asked for through the service, no document kept)."""
    identity = identity_of(request)
    approval = approvals.approval_of(identity, public_id)
    approvals.check_view(identity, approval)
    link = (
        TaskApproval.objects.filter(approval=approval, document__purged_at__isnull=True)
        .select_related("document__task__certificate")
        .order_by("-pk")
        .first()
    )
    return approval, link.document if link is not None else None


@portal_login_required
@never_cache
@require_GET
def approval_page(request: HttpRequest, public_id: Any) -> HttpResponse:
    approval, document = _approval_document(request, public_id)
    pages: list[dict[str, Any]] = []
    if document is not None:
        seals = _seal_previews(
            document.placements.get("overlays", []),
            "",
            seal_url=lambda kind: reverse("signing:approval_seal", args=[approval.public_id, kind]),
        )
        shown = min(document.pages, preview.MAX_PREVIEW_PAGES)
        pages = [{"number": p, "seals": [s for s in seals if s["page"] == p]} for p in range(1, shown + 1)]
    context = {"nav": "seals", "approval": approval, "document": document, "pages": pages}
    return render(request, "signing/approval_detail.html", context)


@portal_login_required
@require_GET
def approval_page_image(request: HttpRequest, public_id: Any, number: int, page: int) -> HttpResponse:
    _approval, document = _approval_document(request, public_id)
    if document is None or document.number != number or not 1 <= page <= min(document.pages, preview.MAX_PREVIEW_PAGES):
        raise NotFound(_("页面不存在。"))
    response = HttpResponse(planning.page_png(document, page), content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


@portal_login_required
@require_GET
def approval_seal_image(request: HttpRequest, public_id: Any, seal_type: str) -> HttpResponse:
    _approval, document = _approval_document(request, public_id)
    if document is None or seal_type not in {o["seal_type"] for o in document.placements.get("overlays", [])}:
        raise NotFound(_("印章不存在。"))
    _seal, image = planning.seal_for_placement(document.task.certificate, seal_type)
    response = HttpResponse(image.png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response
