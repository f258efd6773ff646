"""Reading flows: a flow's documents and signers, and the platform's own documents."""

from __future__ import annotations

from django.utils.translation import gettext as _

from inkseal.core.db.rows import unique_row
from inkseal.core.errors import NotFound
from inkseal.platforms.models import TradingPlatform
from inkseal.signing.flows.create import flow_of_platform
from inkseal.signing.flows.models import FlowDocument, FlowSigner, SignFlow
from inkseal.signing.tasks.errors import DocumentPurged


def flow_parts(flow: SignFlow) -> tuple[list[FlowDocument], list[FlowSigner]]:
    documents = list(flow.documents.order_by("number"))
    signers = list(flow.signers.select_related("certificate", "flow").order_by("number"))
    return documents, signers


def document_of_platform(platform: TradingPlatform, public_id: str, number: int) -> FlowDocument:
    """Document `number` of the platform's own flow; 404 for any other."""
    document = unique_row(
        FlowDocument.objects.filter(flow__platform=platform, flow__public_id=str(public_id), number=number)
    )
    if document is None:
        flow_of_platform(platform, public_id)
        raise NotFound(_("文件不存在。"))
    if document.purged_at is not None:
        raise DocumentPurged()
    return document
