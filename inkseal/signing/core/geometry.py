"""Page geometry: the page as the user sees it versus PDF default user space.

Placement coordinates are in points on the *displayed* page: the crop box turned by the
page's /Rotate, origin at its bottom-left corner, x to the right, y up. PDF stores
annotation rectangles in unrotated default user space, so every rectangle is converted here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.rw_common import PdfHandler

from inkseal.signing.core.errors import PdfMalformed, PdfTooManyPages

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 with x0 < x1, y0 < y1

MM = 72 / 25.4  # points per millimetre
MAX_TREE_DEPTH = 64  # page tree levels (real files use a handful; pdfium stops at 1024)


@dataclass(frozen=True)
class PageGeometry:
    index: int  # 0-based
    crop: Rect  # visible region in default user space
    rotate: int  # 0, 90, 180 or 270: clockwise turn applied when displaying

    @property
    def display_size(self) -> tuple[float, float]:
        width, height = self.crop[2] - self.crop[0], self.crop[3] - self.crop[1]
        return (height, width) if self.rotate in (90, 270) else (width, height)

    def to_user(self, x: float, y: float) -> tuple[float, float]:
        """Displayed-page point → default user space point."""
        llx, lly, urx, ury = self.crop
        if self.rotate == 90:
            return urx - y, lly + x
        if self.rotate == 180:
            return urx - x, ury - y
        if self.rotate == 270:
            return llx + y, ury - x
        return llx + x, lly + y

    def to_display(self, u: float, v: float) -> tuple[float, float]:
        """Default user space point → displayed-page point."""
        llx, lly, urx, ury = self.crop
        if self.rotate == 90:
            return v - lly, urx - u
        if self.rotate == 180:
            return urx - u, ury - v
        if self.rotate == 270:
            return ury - v, u - llx
        return u - llx, v - lly

    def user_rect(self, display_rect: Rect) -> Rect:
        x0, y0 = self.to_user(display_rect[0], display_rect[1])
        x1, y1 = self.to_user(display_rect[2], display_rect[3])
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def display_rect(self, user_rect: Rect) -> Rect:
        x0, y0 = self.to_display(user_rect[0], user_rect[1])
        x1, y1 = self.to_display(user_rect[2], user_rect[3])
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    def contains(self, display_rect: Rect, tolerance: float = 0.01) -> bool:
        width, height = self.display_size
        x0, y0, x1, y1 = display_rect
        return x0 >= -tolerance and y0 >= -tolerance and x1 <= width + tolerance and y1 <= height + tolerance


def page_count(handler: PdfHandler, max_pages: int | None = None) -> int:
    """The pages the tree really holds, walked with a cycle guard, a depth limit and a node budget.

    `/Count` alone is what an attacker writes (`/Count 1` over 5,000 pages), and pyHanko finds a
    page by descending the `/Count`s: every node's `/Count` must match the pages below it. More
    real pages than `max_pages` is PdfTooManyPages (counted up to the node budget)."""
    limit = max_pages if max_pages is not None else 1_000_000
    walk = _TreeWalk(node_budget=max(10 * limit, 10_000))
    try:
        root = handler.root.raw_get("/Pages")
        total = walk.count(root, 0)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PdfMalformed(f"the page tree is damaged: {exc!r}") from exc
    if walk.exhausted or total > limit:
        raise PdfTooManyPages(f"{total} pages, more than {limit}", pages=total, limit=limit)
    if walk.miscounted:
        raise PdfMalformed(walk.miscounted)
    return total


class _TreeWalk:
    def __init__(self, node_budget: int):
        self.seen: set[tuple[int, int]] = set()
        self.budget = node_budget
        self.exhausted = False
        self.miscounted = ""

    def count(self, ref: generic.PdfObject, depth: int) -> int:
        """Pages below the /Pages node `ref` (an indirect reference, as the standard asks)."""
        if depth > MAX_TREE_DEPTH:
            raise PdfMalformed(f"the page tree is more than {MAX_TREE_DEPTH} levels deep")
        node = self._visit(ref)
        kids = node["/Kids"]
        if not isinstance(kids, generic.ArrayObject):
            raise PdfMalformed("a page tree node has no /Kids array")
        total = 0
        for kid_ref in kids:
            if self.exhausted:
                return total
            kind = self._peek_type(kid_ref)
            if kind == "/Pages":
                total += self.count(kid_ref, depth + 1)
            elif kind == "/Page":
                self._visit(kid_ref)
                total += 1
            else:
                raise PdfMalformed(f"a page tree node of type {kind!r}")
        if not self.exhausted and int(node["/Count"]) != total:
            self.miscounted = f"a page tree node says /Count {node['/Count']} over {total} pages"
        return total

    def _visit(self, ref: generic.PdfObject) -> generic.DictionaryObject:
        if not isinstance(ref, generic.IndirectObject):
            raise PdfMalformed("page tree nodes must be indirect objects")
        key = (ref.idnum, ref.generation)
        if key in self.seen:
            raise PdfMalformed("the page tree has a cycle")
        self.seen.add(key)
        self.budget -= 1
        if self.budget <= 0:
            self.exhausted = True
        node = ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            raise PdfMalformed("a page tree node is not a dictionary")
        return node

    @staticmethod
    def _peek_type(ref: generic.PdfObject) -> object:
        node = ref.get_object() if isinstance(ref, generic.IndirectObject) else None
        return node.get("/Type") if isinstance(node, generic.DictionaryObject) else None


def inherited(page: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    """`key` of the page or of its nearest ancestor that has it (ISO 32000 7.7.3.4), climbing
    /Parent with a cycle guard: a page that is its own parent has no ancestors, not infinitely many."""
    node: generic.PdfObject = page
    seen: set[tuple[int, int]] = set()
    for _ in range(MAX_TREE_DEPTH + 1):
        if not isinstance(node, generic.DictionaryObject):
            return None
        if key in node:
            return node[key]
        parent = node.raw_get("/Parent") if "/Parent" in node else None
        if not isinstance(parent, generic.IndirectObject):
            return None
        if (parent.idnum, parent.generation) in seen:
            raise PdfMalformed("a page's /Parent chain has a cycle")
        seen.add((parent.idnum, parent.generation))
        node = parent.get_object()
    raise PdfMalformed(f"a page's /Parent chain is more than {MAX_TREE_DEPTH} levels deep")


def read_page_geometry(handler: PdfHandler, index: int) -> PageGeometry:
    page_ref = handler.find_page_for_modification(index)[0]
    page = page_ref.get_object()
    media = _box(inherited(page, "/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
    crop = _box(inherited(page, "/CropBox")) or media
    rotate = _rotation(inherited(page, "/Rotate"))
    return PageGeometry(index=index, crop=_intersect(crop, media), rotate=rotate)


def _rotation(value: generic.PdfObject | None) -> int:
    """/Rotate: a multiple of 90 (anything else, as viewers do, is no rotation)."""
    if not isinstance(value, int | float | Decimal):  # NumberObject, FloatObject; anything else: none
        return 0
    try:
        turn = int(value)
    except (ValueError, OverflowError, ArithmeticError):
        return 0
    return turn % 360 if turn % 90 == 0 else 0


def _box(value: generic.PdfObject | None) -> Rect | None:
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value.get_object())  # type: ignore[attr-defined]
    except (TypeError, ValueError, OverflowError):
        return None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        return None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _intersect(a: Rect, b: Rect) -> Rect:
    box = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return box if box[0] < box[2] and box[1] < box[3] else b
