"""The flow signer's confirm page (签署确认), reached by the signer's own link with no login: the
documents as they will be when this signer signs (the current version, earlier signers' seals
already on it, this signer's seals drawn where they will go), who has signed and who is still to
sign. Thin: inkseal.signing.flows and the sign task's planning do the work."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import client_ip
from inkseal.signing.core import preview
from inkseal.signing.core.errors import PdfTooComplex
from inkseal.signing.flows import confirm
from inkseal.signing.flows.models import FlowDocument, FlowSigner
from inkseal.signing.flows.schemas import shown_status
from inkseal.signing.parsing import budget, inspection
from inkseal.signing.tasks import planning
from inkseal.signing.tasks.views import _seal_previews


@never_cache
@require_GET
def flow_confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    signer = confirm.signer_for_token(token)
    flow = signer.flow
    try:
        confirm.check_pending(signer)
    except DomainError as exc:
        return render(request, "signing/confirm_closed.html", {"error": exc, "return_url": ""}, status=exc.status)
    sign_documents = {d.number: d for d in signer.task.documents.all()}
    documents = []
    for flow_document in flow.documents.order_by("number"):
        mine = sign_documents.get(flow_document.number)
        overlays = mine.placements.get("overlays", []) if mine else []
        seals = _flow_seal_previews(overlays, token)
        shown = min(flow_document.pages, preview.MAX_PREVIEW_PAGES)
        documents.append(
            {
                "number": flow_document.number,
                "name": flow_document.name,
                "pages": flow_document.pages,
                "signatures": flow_document.version,
                "mine": mine is not None,
                "preview_pages": [
                    {"number": p, "seals": [s for s in seals if s["page"] == p]} for p in range(1, shown + 1)
                ],
            }
        )
    signers = [
        {"signer": other, "status": shown_status(other.status, flow.expires_at), "me": other.pk == signer.pk}
        for other in flow.signers.order_by("step", "number")
    ]
    return render(
        request,
        "signing/flow_confirm.html",
        {
            "flow": flow,
            "signer": signer,
            "token": token,
            "documents": documents,
            "signers": signers,
            "certificate": signer.certificate,
            "masked_phone": signer.confirmer_phone[:3] + "****" + signer.confirmer_phone[-4:],
            "has_pin": signer.certificate.has_pin,
        },
    )


def _flow_seal_previews(overlays: list[dict[str, object]], token: str) -> list[dict[str, object]]:
    previews = _seal_previews(overlays, token)  # the sign task's drawing of each seal, our image URL
    for item, overlay in zip(previews, overlays, strict=True):
        item["image_url"] = f"/sign/flow/{token}/seals/{overlay['seal_type']}.png"
    return previews


def _pending_signer(token: str) -> FlowSigner:
    return confirm.pending_signer_for_token(token)


@require_GET
def flow_page_image(request: HttpRequest, token: str, number: int, page: int) -> HttpResponse:
    """A page of the document's current version (what this signer signs), rendered under the
    parsing budget."""
    signer = _pending_signer(token)
    document = FlowDocument.objects.filter(flow_id=signer.flow_id, number=number).first()
    if document is None or not 1 <= page <= min(document.pages, preview.MAX_PREVIEW_PAGES):
        raise NotFound(_("页面不存在。"))
    try:
        png = budget.run(inspection.page_png, planning.pdf_source(document.current), page)
    except PdfTooComplex as exc:
        planning.record_budget_exceeded(
            exc.localised(), Acting.platform(signer.flow.platform, client_ip(request)), "sign_flow.preview"
        )
        raise exc.localised()
    except DomainError as exc:
        raise exc.localised()
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"  # the version changes as others sign
    return response


@require_GET
def flow_seal_image(request: HttpRequest, token: str, seal_type: str) -> HttpResponse:
    """The picture of a seal this signer will stamp, only through its link and only for the seal
    types it places."""
    signer = _pending_signer(token)
    types = {o["seal_type"] for d in signer.task.documents.all() for o in d.placements.get("overlays", [])}
    if seal_type not in types:
        raise NotFound(_("印章不存在。"))
    _seal, image = planning.seal_for_placement(signer.certificate, seal_type)
    response = HttpResponse(image.png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response
