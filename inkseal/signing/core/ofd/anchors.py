"""The API's placements (`inkseal.signing.core.placement`: a point, a keyword, 骑缝章) on an OFD
page, in the page's own unit and axes: millimetres, origin top left, y downwards. Pure.

- a point `page`/`x`/`y`: the seal's centre at (x, y) mm;
- a keyword: the seal centred on the keyword (the first or every occurrence), moved by `offset` mm;
- `cross_page`: one riding seal over the pages, its slices' centre at height `y` mm (default: mid-page).

Each placement is one signature (`seal_ofd` call) with one StampAnnot per stamp returned here.
Not imported by `inkseal.signing.core.ofd` itself (the verifier does not need the PDF placement model).
"""

from __future__ import annotations

from dataclasses import dataclass

from inkseal.signing.core.appearance import MM
from inkseal.signing.core.errors import CrossPageTooFewPages
from inkseal.signing.core.ofd.model import Document
from inkseal.signing.core.ofd.package import OfdPackage
from inkseal.signing.core.ofd.placement import keyword_placements, riding_placements
from inkseal.signing.core.ofd.sign import StampPlacement
from inkseal.signing.core.ofd.sign import _stamp as check_stamp
from inkseal.signing.core.placement import AtKeyword, AtPoint, CrossPage, Placement


def stamp_placements(package: OfdPackage, doc: Document, placement: Placement) -> list[StampPlacement]:
    """The StampAnnots of one placement, each the seal picture's size (SealImage, millimetres)."""
    width, height = (size / MM for size in placement.seal.size_pt)  # the height kept to the picture's aspect
    anchor = placement.anchor
    if isinstance(anchor, AtPoint):
        return [StampPlacement(anchor.page, anchor.x - width / 2, anchor.y - height / 2, width, height)]
    if isinstance(anchor, AtKeyword):
        return keyword_placements(
            package,
            doc,
            anchor.keyword,
            width_mm=width,
            height_mm=height,
            occurrence=anchor.occurrence,
            offset=anchor.offset,
        )
    assert isinstance(anchor, CrossPage)
    if len(doc.pages) < 2:
        raise CrossPageTooFewPages("a cross-page seal needs at least two pages")
    return riding_placements(
        doc,
        width_mm=width,
        height_mm=height,
        first_page=anchor.first_page,
        last_page=anchor.last_page,
        y_mm=None if anchor.y is None else anchor.y - height / 2,
    )


@dataclass(frozen=True)
class StampBox:
    """What shows of a stamp on its page, in fractions of the page (top measured downwards), and
    the whole seal picture against that box (a riding slice shows part of a wider picture)."""

    page: int
    left: float
    top: float
    width: float
    height: float
    seal_box: tuple[float, float, float, float]


def stamp_box(doc: Document, stamp: StampPlacement) -> StampBox:
    """PageOutOfRange or PlacementOffPage as `seal_ofd` would refuse the stamp, else its box."""
    check_stamp(doc, stamp, stamp.width_mm or 0.0, stamp.height_mm or 0.0)
    _, _, page_width, page_height = doc.pages[stamp.page - 1].box
    w, h = stamp.width_mm or 0.0, stamp.height_mm or 0.0
    if stamp.clip is None:
        return StampBox(
            stamp.page,
            stamp.x_mm / page_width,
            stamp.y_mm / page_height,
            w / page_width,
            h / page_height,
            (0.0, 0.0, 1.0, 1.0),
        )
    cx, cy, cw, ch = stamp.clip
    return StampBox(
        stamp.page,
        (stamp.x_mm + cx) / page_width,
        (stamp.y_mm + cy) / page_height,
        cw / page_width,
        ch / page_height,
        (-cx / cw, -cy / ch, w / cw, h / ch),
    )
