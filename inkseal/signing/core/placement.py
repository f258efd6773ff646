"""Where seals go: placement requests, and their resolution into widget rectangles.

Coordinate convention (API and portal alike): `x`, `y` are the CENTRE of the seal, in PDF
points, on the page as displayed (crop box turned by /Rotate), origin at the displayed page's
bottom-left corner, y up. Pages count from 1. A seal must lie entirely on its page.

Three kinds of anchor:
- `AtPoint(page, x, y)`;
- `AtKeyword(keyword, occurrence, offset)`: centre of the seal on the centre of the found
  text, moved by `offset` (dx, dy in displayed-page points); the first occurrence in page
  order, or every occurrence (one signature per occurrence);
- `CrossPage(...)` (骑缝章): the seal cut into N vertical slices, slice i at the right edge of
  page i, so that the fanned pages show the whole seal; long documents are split into groups
  of at most `max_pages_per_seal` pages, each group showing a whole seal. One signature: its
  widget shows the first slice, the other slices are locked stamp annotations written in the
  same revision (a signature field with several widgets would be clearer, but poppler reports
  each extra widget as an unsigned signature).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pypdfium2 as pdfium
from pyhanko.pdf_utils.rw_common import PdfHandler

from inkseal.signing.core.appearance import DateLabel, SealImage, WidgetArt
from inkseal.signing.core.errors import (
    CrossPageTooFewPages,
    KeywordNotFound,
    PageOutOfRange,
    PlacementError,
    PlacementOffPage,
)
from inkseal.signing.core.geometry import PageGeometry, Rect, page_count, read_page_geometry

Occurrence = Literal["first", "all"]


@dataclass(frozen=True)
class AtPoint:
    page: int
    x: float
    y: float


@dataclass(frozen=True)
class AtKeyword:
    keyword: str
    occurrence: Occurrence = "first"
    offset: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class CrossPage:
    first_page: int = 1
    last_page: int | None = None  # default: the last page
    y: float | None = None  # centre height on each displayed page; default: the middle
    max_pages_per_seal: int = 20


Anchor = AtPoint | AtKeyword | CrossPage


@dataclass(frozen=True)
class Placement:
    """One seal to apply: one signature, shown by one or more widgets."""

    seal: SealImage
    anchor: Anchor
    show_date: bool = False

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], seal: SealImage) -> Placement:
        """Read the API's placement object (`page`/`x`/`y`, `keyword`…, or `cross_page`)."""
        show_date = bool(spec.get("show_date", spec.get("date", False)))
        if spec.get("cross_page"):
            anchor: Anchor = CrossPage(y=_optional_float(spec.get("y")))
        elif spec.get("keyword"):
            anchor = _keyword_anchor(spec)
        elif {"page", "x", "y"} <= spec.keys():
            anchor = AtPoint(page=_int(spec["page"]), x=_float(spec["x"]), y=_float(spec["y"]))
        else:
            raise PlacementError("a placement needs page/x/y, a keyword, or cross_page")
        return cls(seal=seal, anchor=anchor, show_date=show_date)


def _keyword_anchor(spec: Mapping[str, Any]) -> AtKeyword:
    occurrence = spec.get("occurrence", "first")
    if occurrence not in ("first", "all"):
        raise PlacementError("occurrence must be 'first' or 'all'")
    offset = spec.get("offset") or (0, 0)
    if not isinstance(offset, list | tuple) or len(offset) != 2:
        raise PlacementError("offset must be [dx, dy]")
    return AtKeyword(str(spec["keyword"]), occurrence, (_float(offset[0]), _float(offset[1])))


def _float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PlacementError(f"not a number: {value!r}")
    if number != number or number in (float("inf"), float("-inf")):
        raise PlacementError(f"not a finite number: {value!r}")
    return number


def _optional_float(value: Any) -> float | None:
    return None if value is None else _float(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise PlacementError(f"not a page number: {value!r}")
    return int(value)


@dataclass(frozen=True)
class WidgetPlan:
    page: int  # 0-based
    rect: Rect  # default user space, for /Rect
    rotate: int
    art: WidgetArt


@dataclass(frozen=True)
class PlacementPlan:
    """One signature: its widget, plus the stamp annotations showing the rest of a cross-page seal."""

    placement: Placement
    widget: WidgetPlan
    stamps: tuple[WidgetPlan, ...] = ()


TextOpener = Callable[[], pdfium.PdfDocument]


class Planner:
    """Resolves placements against one document."""

    def __init__(self, handler: PdfHandler, open_text: TextOpener, date: DateLabel | None, pages: int | None = None):
        self.handler = handler
        self.pages = pages if pages is not None else page_count(handler)  # counted when the document was opened
        self.date = date
        self._open_text = open_text
        self._geometry: dict[int, PageGeometry] = {}

    def plan(self, placements: Sequence[Placement]) -> list[PlacementPlan]:
        return [plan for placement in placements for plan in self._plans(placement)]

    def geometry(self, index: int) -> PageGeometry:
        if index not in self._geometry:
            self._geometry[index] = read_page_geometry(self.handler, index)
        return self._geometry[index]

    def _plans(self, placement: Placement) -> Iterator[PlacementPlan]:
        anchor = placement.anchor
        if isinstance(anchor, AtPoint):
            widget = self._seal_widget(placement, self._page_index(anchor.page), anchor.x, anchor.y)
            yield PlacementPlan(placement, widget)
        elif isinstance(anchor, AtKeyword):
            for index, centre in self._keyword_centres(anchor):
                yield PlacementPlan(placement, self._seal_widget(placement, index, centre[0], centre[1]))
        else:
            first, *others = self._cross_page_widgets(placement.seal, anchor)
            yield PlacementPlan(placement, first, tuple(others))

    def _page_index(self, page: int) -> int:
        if not 1 <= page <= self.pages:
            raise PageOutOfRange(f"page {page} is not in 1..{self.pages}", page=page, pages=self.pages)
        return page - 1

    def _seal_widget(self, placement: Placement, index: int, x: float, y: float) -> WidgetPlan:
        seal_w, seal_h = placement.seal.size_pt
        date = self.date if placement.show_date else None
        date_w, date_h = date.size_pt if date else (0.0, 0.0)
        width = max(seal_w, date_w)
        display = (x - width / 2, y - seal_h / 2 - date_h, x + width / 2, y + seal_h / 2)
        art = WidgetArt(
            size=(width, seal_h + date_h),
            seal_size=(seal_w, seal_h),
            seal_origin=((width - seal_w) / 2, date_h),
            date=date,
            date_origin=((width - date_w) / 2, 0.0),
        )
        return self._widget(index, display, art)

    def _widget(self, index: int, display: Rect, art: WidgetArt) -> WidgetPlan:
        geometry = self.geometry(index)
        if not geometry.contains(display):
            raise PlacementOffPage(
                f"the seal does not fit on page {index + 1}",
                page=index + 1,
                rect=[round(v, 2) for v in display],
                page_size=[round(v, 2) for v in geometry.display_size],
            )
        return WidgetPlan(page=index, rect=geometry.user_rect(display), rotate=geometry.rotate, art=art)

    def _keyword_centres(self, anchor: AtKeyword) -> Iterator[tuple[int, tuple[float, float]]]:
        found = False
        for index, user_box in find_keyword(self._open_text(), anchor.keyword, anchor.occurrence == "first"):
            found = True
            box = self.geometry(index).display_rect(user_box)
            centre = ((box[0] + box[2]) / 2 + anchor.offset[0], (box[1] + box[3]) / 2 + anchor.offset[1])
            yield index, centre
        if not found:
            raise KeywordNotFound(f"keyword {anchor.keyword!r} not found", keyword=anchor.keyword)

    def _cross_page_widgets(self, seal: SealImage, anchor: CrossPage) -> Iterator[WidgetPlan]:
        first = self._page_index(anchor.first_page)
        last = self._page_index(anchor.last_page or self.pages)
        if last <= first:
            raise CrossPageTooFewPages("a cross-page seal needs at least two pages")
        for group in _page_groups(list(range(first, last + 1)), max(2, anchor.max_pages_per_seal)):
            yield from self._slices(seal, group, anchor.y)

    def _slices(self, seal: SealImage, pages: list[int], y: float | None) -> Iterator[WidgetPlan]:
        seal_w, seal_h = seal.size_pt
        slice_w = seal_w / len(pages)
        for position, index in enumerate(pages):
            page_w, page_h = self.geometry(index).display_size
            centre_y = page_h / 2 if y is None else y
            display = (page_w - slice_w, centre_y - seal_h / 2, page_w, centre_y + seal_h / 2)
            art = WidgetArt(size=(slice_w, seal_h), seal_size=(seal_w, seal_h), seal_origin=(-position * slice_w, 0.0))
            yield self._widget(index, display, art)


def _page_groups(pages: list[int], max_size: int) -> list[list[int]]:
    """Split into the fewest groups of at most max_size, sizes as even as possible (never 1)."""
    count = -(-len(pages) // max_size)
    size, extra = divmod(len(pages), count)
    groups, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        groups.append(pages[start:end])
        start = end
    return groups


def find_keyword(pdf: pdfium.PdfDocument, keyword: str, first_only: bool) -> Iterator[tuple[int, Rect]]:
    """(page index, box in default user space) of each occurrence, in page order."""
    for index in range(len(pdf)):
        page = pdf[index]
        text = page.get_textpage()
        try:
            searcher = text.search(keyword, match_case=True)
            while (hit := searcher.get_next()) is not None:
                yield index, _union(text.get_charbox(i) for i in range(hit[0], hit[0] + hit[1]))
                if first_only:
                    return
        finally:
            text.close()
            page.close()


def _union(boxes: Iterator[tuple[float, float, float, float]]) -> Rect:
    lefts, bottoms, rights, tops = zip(*boxes, strict=True)
    return min(lefts), min(bottoms), max(rights), max(tops)
