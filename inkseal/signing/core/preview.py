"""Page pictures for the confirm page (PDFium), small enough for a browser.

These read untrusted uploads: callers run them in a parser process under the parsing budget
(inkseal.signing.parsing.inspection, budget). PDFium's refusals are PdfMalformed here; a page whose
picture would be absurdly tall (a page a thousandth of a point wide) is refused before PDFium
allocates it.
"""

from __future__ import annotations

import io
import math

import pypdfium2 as pdfium

from inkseal.signing.core.errors import PdfMalformed
from inkseal.signing.core.ofd import render as ofd_render
from inkseal.signing.core.ofd.errors import OfdMalformed
from inkseal.signing.core.pdfium_lock import serialised

PREVIEW_WIDTH_PX = 900
MAX_PREVIEW_PAGES = 30
MAX_PREVIEW_HEIGHT_PX = 20 * PREVIEW_WIDTH_PX  # a page 20 times taller than wide


def is_zip(data: bytes) -> bool:
    """An OFD package by content (a ZIP; a PDF never starts so): the OFD reader decides the rest,
    so a truncated or hostile package gets the OFD core's OfdError, not a PDF error."""
    return data[:4] == b"PK\x03\x04"


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PdfMalformed(f"PDFium cannot open the PDF: {exc}") from exc


def page_png(data: bytes, page_number: int, width_px: int = PREVIEW_WIDTH_PX) -> bytes:
    """PNG of page `page_number` (1-based) as displayed: rotation applied, and form fields drawn by
    PDFium's form layer, as signing fixes them in the file (inkseal.signing.core.formdraw).
    An OFD (by content) is translated page by page into PDF (inkseal.signing.core.ofd.render),
    its seals (StampAnnot) drawn; its refusals are the OFD core's OfdError."""
    if is_zip(data):  # an OFD (or a broken one: the OFD reader says why); translated outside the lock
        translated = ofd_render.page_pdf(data, page_number)
        try:
            return _pdf_page_png(translated, 1, width_px)
        except PdfMalformed as exc:  # a page PDFium cannot draw (too narrow): the OFD's refusal
            raise OfdMalformed(f"page {page_number} cannot be drawn: {exc}") from exc
    return _pdf_page_png(data, page_number, width_px)


@serialised
def _pdf_page_png(data: bytes, page_number: int, width_px: int) -> bytes:
    document = _open(data)
    document.init_forms()  # before any page is loaded, or the page has no form layer
    try:
        if not 1 <= page_number <= len(document):
            raise PdfMalformed(f"the PDF has no page {page_number}")
        page = document[page_number - 1]
        width_pt, height_pt = page.get_size()
        if not (math.isfinite(width_pt) and math.isfinite(height_pt)) or width_pt < 1 or height_pt < 1:
            raise PdfMalformed(f"page {page_number} measures {width_pt} x {height_pt} points")
        scale = width_px / width_pt
        if height_pt * scale > MAX_PREVIEW_HEIGHT_PX:
            raise PdfMalformed(f"page {page_number} is too narrow to preview ({width_pt} x {height_pt} points)")
        image = page.render(scale=scale, may_draw_forms=True).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=False, compress_level=3)
        return out.getvalue()
    except pdfium.PdfiumError as exc:
        raise PdfMalformed(f"PDFium cannot render page {page_number}: {exc}") from exc
    finally:
        document.close()


@serialised
def page_sizes(data: bytes, limit: int = MAX_PREVIEW_PAGES) -> list[tuple[float, float]]:
    """(width, height) in points of the first `limit` pages as displayed (crop box, rotation applied):
    the same page the PNGs show, so preview pixels convert to placement points. For an OFD (by
    content): millimetres, the PhysicalBox, the unit of its placements (from the top left)."""
    if is_zip(data):
        return ofd_render.page_sizes(data, limit)
    document = _open(data)
    try:
        return [document[i].get_size() for i in range(min(len(document), limit))]
    except pdfium.PdfiumError as exc:
        raise PdfMalformed(f"PDFium cannot read the pages: {exc}") from exc
    finally:
        document.close()


def stamped_pages(data: bytes) -> list[int]:
    """The pages (1-based) of an OFD that its signatures stamp seals on (StampAnnot)."""
    return ofd_render.stamped_pages(data)
