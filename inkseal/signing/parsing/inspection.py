"""What the web process asks of an untrusted PDF, run in a parser process under the parsing
budget (inkseal.signing.parsing.budget): open it, count its pages, plan the seals, render previews.

Module-level functions of plain data in and out (they cross a pipe); no Django. A `Source` is
the bytes of the upload or the path of a file holding them (a spooled upload, a stored
original), read here rather than copied through the pipe.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, cast

from inkseal.signing.core import (
    fastparse,  # noqa: F401  (the parser process reads hex strings fast too)
    guards,  # noqa: F401  (pyHanko's xref streams checked before allocation)
    preview,
)
from inkseal.signing.core.document import open_document
from inkseal.signing.core.formdraw import check_form_drawable
from inkseal.signing.core.geometry import read_page_geometry
from inkseal.signing.core.ofd.anchors import stamp_box, stamp_placements
from inkseal.signing.core.ofd.errors import OfdNoPages, OfdTooManyPages
from inkseal.signing.core.ofd.model import document as ofd_document
from inkseal.signing.core.ofd.model import documents
from inkseal.signing.core.ofd.package import open_package
from inkseal.signing.core.ofd.sign import _check_not_locked as check_not_locked
from inkseal.signing.core.pdf import _text_document
from inkseal.signing.core.placement import CrossPage, Placement, Planner

Source = bytes | str
_SPOOL = 4 * 1024 * 1024


@dataclass(frozen=True)
class PlannedSeal:
    """Where a seal lands on the displayed page, in fractions of the page (for previews)."""

    placement: int  # index into the placements asked for
    page: int  # 1-based
    left: float
    top: float
    width: float
    height: float
    seal_box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # the picture in the box: WidgetArt.seal_box
    cross_page: bool = False  # a slice of a 骑缝章


@dataclass(frozen=True)
class Plan:
    pages: int
    seals: tuple[PlannedSeal, ...]


def _stream(source: Source) -> BinaryIO:
    """A private read/write copy (a damaged file is repaired in it, never in the original)."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    copy = cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=_SPOOL))
    with open(source, "rb") as handle:
        shutil.copyfileobj(handle, copy, 1 << 20)
    copy.seek(0)
    return copy


def _bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    with open(source, "rb") as handle:
        return handle.read()


def plan(source: Source, placements: Sequence[Placement], max_pages: int) -> Plan:
    """Resolve the placements against the PDF without signing (pages, keywords, off-page seals)."""
    document = open_document(_stream(source), password=None, max_pages=max_pages, repair=True)
    check_form_drawable(document.writer)  # refused when the task is created, not when it is signed
    seals = []
    with _text_document(document) as open_text:
        planner = Planner(document.writer, open_text, None, document.pages)
        for number, placement in enumerate(placements):
            for planned in planner.plan([placement]):
                for widget in (planned.widget, *planned.stamps):
                    geometry = planner.geometry(widget.page)
                    x0, y0, x1, y1 = geometry.display_rect(widget.rect)
                    width, height = geometry.display_size
                    seals.append(
                        PlannedSeal(
                            number,
                            widget.page + 1,
                            x0 / width,
                            1 - y1 / height,
                            (x1 - x0) / width,
                            (y1 - y0) / height,
                            widget.art.seal_box,
                            isinstance(placement.anchor, CrossPage),
                        )
                    )
    return Plan(document.pages, tuple(seals))


def check_upload(source: Source, max_pages: int) -> tuple[int, list[tuple[float, float]]]:
    """The checks of a self-service upload: (page count, displayed sizes of the previewed pages)."""
    document = open_document(_stream(source), password=None, max_pages=max_pages)
    check_form_drawable(document.writer)  # a form we cannot draw faithfully is refused now, not at signing
    for index in range(min(document.pages, preview.MAX_PREVIEW_PAGES)):  # the pages seals may go on
        read_page_geometry(document.writer, index)
    return document.pages, preview.page_sizes(_bytes(source))


def ofd_seal_pages(source: Source, limit: int, width_px: int) -> list[tuple[int, bytes]]:
    """(page number, PNG) of the pages of a signed OFD that carry seals (StampAnnot), the seals
    drawn, at most `limit`; the first page when none does. One parser call for the verify page."""
    data = _bytes(source)
    numbers = preview.stamped_pages(data)[:limit] or [1]
    return [(number, preview.page_png(data, number, width_px)) for number in numbers]


def page_png(source: Source, page_number: int) -> bytes:
    return preview.page_png(_bytes(source), page_number)


def plan_ofd(source: Source, placements: Sequence[Placement], max_pages: int) -> Plan:
    """The same for an OFD package (its first document): read it safely (OfdError otherwise),
    resolve every placement to its StampAnnots (page numbers, keywords, off-page stamps) without
    signing. Point and riding placements are in millimetres from the page's top left."""
    package = open_package(_bytes(source))
    doc = ofd_document(package)
    if not doc.pages:
        raise OfdNoPages("the document has no page")
    if len(doc.pages) > max_pages:
        raise OfdTooManyPages(f"{len(doc.pages)} pages, at most {max_pages}")
    # refused now rather than at signing: an existing signature protects what a seal changes
    check_not_locked(package, documents(package), {doc.signatures_entry or "OFD.xml"})
    seals = []
    for number, placement in enumerate(placements):
        cross_page = isinstance(placement.anchor, CrossPage)
        for stamp in stamp_placements(package, doc, placement):
            box = stamp_box(doc, stamp)  # refuses a page out of range or a stamp off its page
            seals.append(
                PlannedSeal(number, box.page, box.left, box.top, box.width, box.height, box.seal_box, cross_page)
            )
    return Plan(len(doc.pages), tuple(seals))


def check_ofd(source: Source) -> int:
    """An OFD package read as the verifier will read it (entries, sizes, the document model's
    XML), under the parser's limits: its page count, OfdError otherwise."""
    return sum(len(doc.pages) for doc in documents(open_package(_bytes(source))))
