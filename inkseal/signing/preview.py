"""Page pictures for the confirm page (PDFium), small enough for a browser."""

from __future__ import annotations

import io

import pypdfium2 as pdfium

PREVIEW_WIDTH_PX = 900
MAX_PREVIEW_PAGES = 30


def page_png(data: bytes, page_number: int, width_px: int = PREVIEW_WIDTH_PX) -> bytes:
    """PNG of page `page_number` (1-based) as displayed: rotation applied, and form fields drawn by
    PDFium's form layer, as signing fixes them in the file (inkseal.signing.formdraw)."""
    document = pdfium.PdfDocument(data)
    document.init_forms()  # before any page is loaded, or the page has no form layer
    try:
        if not 1 <= page_number <= len(document):
            raise IndexError(page_number)
        page = document[page_number - 1]
        width_pt = page.get_width()
        image = page.render(scale=width_px / width_pt, may_draw_forms=True).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=False, compress_level=3)
        return out.getvalue()
    finally:
        document.close()


def page_sizes(data: bytes, limit: int = MAX_PREVIEW_PAGES) -> list[tuple[float, float]]:
    """(width, height) in points of the first `limit` pages as displayed (crop box, rotation applied):
    the same page the PNGs show, so preview pixels convert to placement points."""
    document = pdfium.PdfDocument(data)
    try:
        return [document[i].get_size() for i in range(min(len(document), limit))]
    finally:
        document.close()
