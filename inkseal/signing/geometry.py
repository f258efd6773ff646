"""Page geometry: the page as the user sees it versus PDF default user space.

Placement coordinates are in points on the *displayed* page: the crop box turned by the
page's /Rotate, origin at its bottom-left corner, x to the right, y up. PDF stores
annotation rectangles in unrotated default user space, so every rectangle is converted here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.rw_common import PdfHandler, find_inherited_value_in_tree

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 with x0 < x1, y0 < y1

MM = 72 / 25.4  # points per millimetre


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


def page_count(handler: PdfHandler) -> int:
    return int(handler.root["/Pages"]["/Count"])


def read_page_geometry(handler: PdfHandler, index: int) -> PageGeometry:
    page_ref = handler.find_page_for_modification(index)[0]
    page = page_ref.get_object()
    media = _box(find_inherited_value_in_tree(page, "/MediaBox", "/Parent")) or (0.0, 0.0, 612.0, 792.0)
    crop = _box(find_inherited_value_in_tree(page, "/CropBox", "/Parent")) or media
    rotate = find_inherited_value_in_tree(page, "/Rotate", "/Parent")
    return PageGeometry(index=index, crop=_intersect(crop, media), rotate=int(rotate or 0) % 360)


def _box(value: generic.PdfObject | None) -> Rect | None:
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value.get_object())  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _intersect(a: Rect, b: Rect) -> Rect:
    box = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return box if box[0] < box[2] and box[1] < box[3] else b
