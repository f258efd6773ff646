"""Where seals go on OFD pages: keyword anchoring in the page text (TextObject / TextCode, a
keyword may run over several TextCodes and TextObjects) and 骑缝章 (riding seals) across the
right edge of consecutive pages. Pure. Coordinates are the page's own: millimetres, origin top
left, y down.

Text positions (GB/T 33190-2016 section 11): a TextObject's Boundary gives its origin; a
TextCode's X/Y (from that origin; absent: after the previous TextCode) place its first glyph on
the baseline, and DeltaX/DeltaY the advances to the next glyphs ("g n d" repeats d n times; past
the list the last advance repeats). A glyph's box is taken as one em (the TextObject's Size)
above the baseline and its advance wide. CTM is honoured for its scale and translation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from inkseal.signing.core.errors import KeywordNotFound, PageOutOfRange
from inkseal.signing.core.ofd.model import Document
from inkseal.signing.core.ofd.package import OfdPackage, local
from inkseal.signing.core.ofd.sign import StampPlacement

Box = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Glyph:
    char: str
    box: Box


def _numbers(text: str | None) -> list[float]:
    if not text:
        return []
    values: list[float] = []
    tokens = text.split()
    index = 0
    while index < len(tokens):
        if tokens[index] == "g" and index + 2 < len(tokens):  # "g count value"
            values += [float(tokens[index + 2])] * int(float(tokens[index + 1]))
            index += 3
        else:
            values.append(float(tokens[index]))
            index += 1
    return values


def _floats(text: str | None, count: int) -> list[float] | None:
    try:
        values = [float(v) for v in (text or "").split()]
    except ValueError:
        return None
    return values if len(values) == count else None


def page_glyphs(package: OfdPackage, content_entry: str) -> list[Glyph]:
    """Every glyph of a page in document order (later TextCodes after earlier ones)."""
    if not package.has(content_entry):
        return []
    glyphs: list[Glyph] = []
    for element in package.xml(content_entry).iter():
        if isinstance(element.tag, str) and local(element) == "TextObject":
            glyphs += _text_object(element)
    return glyphs


def _text_object(text_object: etree._Element) -> list[Glyph]:
    boundary = _floats(text_object.get("Boundary"), 4) or [0.0, 0.0, 0.0, 0.0]
    ctm = _floats(text_object.get("CTM"), 6) or [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    try:
        size = float(text_object.get("Size", "3.5"))
    except ValueError:
        size = 3.5
    glyphs: list[Glyph] = []
    x = y = 0.0
    for code in text_object:
        if not isinstance(code.tag, str) or local(code) != "TextCode":
            continue
        try:
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
            dx, dy = _numbers(code.get("DeltaX")), _numbers(code.get("DeltaY"))
        except ValueError:
            continue
        for index, char in enumerate(code.text or ""):
            advance = dx[index] if index < len(dx) else (dx[-1] if dx else size)
            left, top = x, y - size
            x0, y0 = ctm[0] * left + ctm[2] * top + ctm[4], ctm[1] * left + ctm[3] * top + ctm[5]
            width, height = abs(ctm[0]) * (advance if advance > 0 else size), abs(ctm[3]) * size
            glyphs.append(Glyph(char, (boundary[0] + x0, boundary[1] + y0, width, height)))
            x += advance  # the next glyph, or where a following TextCode without X starts
            y += dy[index] if index < len(dy) else 0.0
    return glyphs


def find_keyword(
    package: OfdPackage, doc: Document, keyword: str, first_only: bool = False
) -> Iterator[tuple[int, Box]]:
    """(page number from 1, the keyword's box) of each occurrence, in page order."""
    if not keyword:
        raise KeywordNotFound("an empty keyword")
    for number, page in enumerate(doc.pages, start=1):
        glyphs = page_glyphs(package, page.content)
        text = "".join(g.char for g in glyphs)
        start = text.find(keyword)
        while start >= 0:
            boxes = [g.box for g in glyphs[start : start + len(keyword)]]
            left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
            right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
            yield number, (left, top, right - left, bottom - top)
            if first_only:
                return
            start = text.find(keyword, start + len(keyword))


def keyword_placements(
    package: OfdPackage,
    doc: Document,
    keyword: str,
    *,
    width_mm: float,
    height_mm: float,
    occurrence: str = "first",
    offset: tuple[float, float] = (0.0, 0.0),
) -> list[StampPlacement]:
    """A seal centred on each occurrence (or the first), moved by `offset` millimetres;
    KeywordNotFound when the text has none."""
    found = list(find_keyword(package, doc, keyword, first_only=occurrence == "first"))
    if not found:
        raise KeywordNotFound(f"keyword {keyword!r} not found", keyword=keyword)
    placements = []
    for page, (x, y, w, h) in found:
        centre_x, centre_y = x + w / 2 + offset[0], y + h / 2 + offset[1]
        placements.append(StampPlacement(page, centre_x - width_mm / 2, centre_y - height_mm / 2, width_mm, height_mm))
    return placements


def riding_placements(
    doc: Document,
    *,
    width_mm: float,
    height_mm: float,
    first_page: int = 1,
    last_page: int | None = None,
    y_mm: float | None = None,
) -> list[StampPlacement]:
    """骑缝章: one stamp per page, each clipped to its slice of the seal, the slices side by side
    across the right edges of the pages (page i shows slice i)."""
    last = last_page or len(doc.pages)
    if not 1 <= first_page < last <= len(doc.pages):
        raise PageOutOfRange(f"a riding seal needs two pages or more within 1-{len(doc.pages)}")
    count = last - first_page + 1
    slice_width = width_mm / count
    placements = []
    for index, number in enumerate(range(first_page, last + 1)):
        _, _, page_width, page_height = doc.pages[number - 1].box
        y = y_mm if y_mm is not None else (page_height - height_mm) / 2
        placements.append(
            StampPlacement(
                number,
                page_width - slice_width * (index + 1),
                y,
                width_mm,
                height_mm,
                clip=(slice_width * index, 0.0, slice_width, height_mm),
            )
        )
    return placements
