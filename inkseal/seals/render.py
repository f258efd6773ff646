"""Template seals: round enterprise seals and square / strip name seals, as PNG or SVG.

Pure (no Django). A seal is first laid out in millimetres — rings, frames, a star and placed
glyphs (`SealLayout`) — and then drawn by the raster or the vector backend, so both agree.
Proportions follow real 42 mm Chinese seals: a 1.2 mm rim, the name along the upper arc from
about 8 to 4 o'clock with each glyph's top facing outward, a 14 mm five-pointed star in the
centre, the seal type in a horizontal line below it and an optional code along the lower arc.
"""

from __future__ import annotations

import dataclasses
import io
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from inkseal.seals.fonts import SealFont, seal_font
from inkseal.seals.image_errors import (
    EmptyName,
    LowerTextTooLong,
    NameTooLong,
    SealImageError,
    SealSizeOutOfRange,
)
from inkseal.seals.ink import InkColor, apply_texture, colorize, ink_color, texture_seed

if TYPE_CHECKING:
    import numpy as np  # imported where a raster is drawn: the CLI and Django start without it

DEFAULT_PX_PER_MM = 700 / 42  # a 42 mm seal is 700 px across (~423 dpi)
SUPERSAMPLE = 2  # draw at twice the size and box-filter down: anti-aliased rims and star
SIZE_RANGE_MM = (10.0, 60.0)
MAX_ROUND_NAME = 30
MAX_GRID_NAME = 8
MAX_STRIP_NAME = 10
MAX_LOWER_TEXT = 20
MAX_TYPE_TEXT = 10


class SealShape(StrEnum):
    ROUND = "round"
    SQUARE = "square"
    STRIP = "strip"


class SealKind(StrEnum):
    """Seal kinds; the values are the stable codes used by the API and the signing service."""

    OFFICIAL = "official"
    CONTRACT = "contract"
    FINANCE = "finance"
    INVOICE = "invoice"
    BUSINESS = "business"
    LEGAL_REPRESENTATIVE = "legal_representative"
    NAME_SQUARE = "name_square"
    NAME_STRIP = "name_strip"

    @property
    def shape(self) -> SealShape:
        return _KIND_SHAPE.get(self, SealShape.ROUND)

    @property
    def label_zh(self) -> str:
        """The seal kind as Chinese users name it (公章, 合同专用章, …)."""
        return _KIND_LABEL_ZH[self]

    @property
    def type_text(self) -> str:
        """The text engraved below the star ("" for the official seal, which carries none)."""
        return _KIND_TYPE_TEXT.get(self, "")

    @classmethod
    def parse(cls, value: SealKind | str) -> SealKind:
        """Accept a code ("contract") or a Chinese label ("合同专用章")."""
        if isinstance(value, SealKind):
            return value
        text = str(value).strip()
        for kind in cls:
            if text in (kind.value, kind.label_zh):
                return kind
        raise SealImageError(f"Unknown seal kind {text!r}.", f"未知的印章类型“{text}”。", code="unknown_seal_kind")


_KIND_SHAPE = {
    SealKind.LEGAL_REPRESENTATIVE: SealShape.SQUARE,
    SealKind.NAME_SQUARE: SealShape.SQUARE,
    SealKind.NAME_STRIP: SealShape.STRIP,
}
_KIND_LABEL_ZH = {
    SealKind.OFFICIAL: "公章",
    SealKind.CONTRACT: "合同专用章",
    SealKind.FINANCE: "财务专用章",
    SealKind.INVOICE: "发票专用章",
    SealKind.BUSINESS: "业务专用章",
    SealKind.LEGAL_REPRESENTATIVE: "法定代表人章",
    SealKind.NAME_SQUARE: "人名章-方形",
    SealKind.NAME_STRIP: "人名章-条形",
}
_KIND_TYPE_TEXT = {kind: label for kind, label in _KIND_LABEL_ZH.items() if label.endswith("专用章")}
# Default sizes: 42 mm round seals, 20 mm square name seals, strip seals 10 mm high.
_DEFAULT_SIZE_MM = {SealShape.ROUND: 42.0, SealShape.SQUARE: 20.0, SealShape.STRIP: 10.0}


class Border(StrEnum):
    SINGLE = "single"
    DOUBLE = "double"


@dataclass(frozen=True)
class SealSpec:
    """What to draw. Constructing one validates and normalises everything but font coverage.

    `size_mm` is the diameter of a round seal, the side of a square one and the height of a
    strip one; None takes the kind's usual size. `type_text` overrides the kind's text below
    the star (round seals only).
    """

    kind: SealKind | str
    name: str
    lower_text: str | None = None
    color: InkColor | str = InkColor.RED
    size_mm: float | None = None
    border: Border | str = Border.SINGLE
    texture: bool = False
    type_text: str | None = None

    def __post_init__(self) -> None:
        kind = SealKind.parse(self.kind)
        size = float(self.size_mm) if self.size_mm is not None else _DEFAULT_SIZE_MM[kind.shape]
        if not SIZE_RANGE_MM[0] <= size <= SIZE_RANGE_MM[1]:
            raise SealSizeOutOfRange(size, *SIZE_RANGE_MM)
        try:
            border = Border(str(self.border).lower())
        except ValueError:
            raise SealImageError(f"Unknown border {self.border!r}.", "未知的边框样式。", code="unknown_border")
        set_field = object.__setattr__  # frozen: normalise once, here
        set_field(self, "kind", kind)
        set_field(self, "name", _clean_text(self.name))
        set_field(self, "lower_text", _clean_text(self.lower_text or "") or None)
        set_field(self, "type_text", None if self.type_text is None else _clean_text(self.type_text))
        set_field(self, "color", ink_color(self.color))
        set_field(self, "size_mm", size)
        set_field(self, "border", border)
        self._check_lengths()

    def _check_lengths(self) -> None:
        if not self.name:
            raise EmptyName()
        limit = {SealShape.ROUND: MAX_ROUND_NAME, SealShape.SQUARE: MAX_GRID_NAME}.get(self.shape, MAX_STRIP_NAME)
        if len(self.name) > limit:
            raise NameTooLong(len(self.name), limit)
        if self.lower_text and len(self.lower_text) > MAX_LOWER_TEXT:
            raise LowerTextTooLong(len(self.lower_text), MAX_LOWER_TEXT)
        if len(self.centre_text) > MAX_TYPE_TEXT:
            raise NameTooLong(len(self.centre_text), MAX_TYPE_TEXT)

    @property
    def shape(self) -> SealShape:
        return SealKind.parse(self.kind).shape

    @property
    def ink(self) -> InkColor:
        return ink_color(self.color)

    @property
    def centre_text(self) -> str:
        """The horizontal text below the star."""
        return self.type_text if self.type_text is not None else SealKind.parse(self.kind).type_text

    @property
    def all_text(self) -> str:
        return self.name + (self.lower_text or "") + self.centre_text + grid_suffix(self)


def _clean_text(text: str) -> str:
    """NFC, without whitespace, control or invisible format characters (a pasted name still
    renders); private-use and unassigned characters stay, to be refused by the font check."""
    text = unicodedata.normalize("NFC", text or "")
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf"))


def grid_suffix(spec: SealSpec) -> str:
    """印 / 之印 that Chinese convention appends to a name in a square seal, filling the grid."""
    if spec.shape is not SealShape.SQUARE:
        return ""
    return {1: "印", 2: "之印", 3: "印", 5: "印", 7: "印"}.get(len(spec.name), "")


# --- layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ring:
    """A circular rim: `width` is drawn inward from `radius`."""

    cx: float
    cy: float
    radius: float
    width: float


@dataclass(frozen=True)
class Frame:
    """A rectangular rim: `width` is drawn inward from the box."""

    x: float
    y: float
    w: float
    h: float
    width: float


@dataclass(frozen=True)
class Star:
    cx: float
    cy: float
    radius: float  # to the points

    def points(self) -> list[tuple[float, float]]:
        inner = self.radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
        corners = []
        for i in range(10):
            r = self.radius if i % 2 == 0 else inner
            angle = math.radians(-90 + 36 * i)
            corners.append((self.cx + r * math.cos(angle), self.cy + r * math.sin(angle)))
        return corners


@dataclass(frozen=True)
class Glyph:
    """A character whose em box is centred on (x, y), `em` mm tall, squeezed to `x_scale`, and
    rotated `rotation` degrees clockwise."""

    char: str
    x: float
    y: float
    em: float
    x_scale: float = 1.0
    rotation: float = 0.0


Shape = Ring | Frame | Star


@dataclass(frozen=True)
class SealLayout:
    width: float
    height: float
    shapes: tuple[Shape, ...]
    glyphs: tuple[Glyph, ...]


def seal_layout(spec: SealSpec, font: SealFont | None = None) -> SealLayout:
    """Lay the seal out in millimetres; raises UnrenderableCharacter for text the font lacks."""
    font = font or seal_font()
    font.require(spec.all_text)
    if spec.shape is SealShape.ROUND:
        return _round_layout(spec, font)
    if spec.shape is SealShape.SQUARE:
        return _square_layout(spec, font)
    return _strip_layout(spec, font)


# Round seal proportions, in mm for a 42 mm seal (scaled for other sizes).
RIM_WIDTH = 1.2
RIM_GAP = 0.75  # between rim and text
INNER_RING_GAP, INNER_RING_WIDTH = 0.55, 0.35  # double border: a thin ring inside the rim
STAR_RADIUS = 7.0
NAME_EM = 6.6
NAME_MAX_X_SCALE = 0.86  # seal lettering is a little condensed even for short names
TYPE_EM, TYPE_X_SCALE, TYPE_MAX_WIDTH, TYPE_Y = 4.4, 0.82, 16.5, 10.9
LOWER_EM, LOWER_X_SCALE = 2.9, 0.9
MAX_NAME_SPAN = 270.0
MAX_NAME_SPAN_OVER_TYPE = 240.0  # leaves the lower corners to the type text


def _round_layout(spec: SealSpec, font: SealFont) -> SealLayout:
    size = float(spec.size_mm or 42.0)
    scale, c = size / 42.0, size / 2
    shapes: list[Shape] = [Ring(c, c, c, RIM_WIDTH * scale), Star(c, c, STAR_RADIUS * scale)]
    text_edge = c - (RIM_WIDTH + RIM_GAP) * scale  # outer limit of the lettering
    if spec.border == Border.DOUBLE:
        inner = c - (RIM_WIDTH + INNER_RING_GAP) * scale
        shapes.append(Ring(c, c, inner, INNER_RING_WIDTH * scale))
        text_edge = inner - (INNER_RING_WIDTH + RIM_GAP) * scale
    glyphs: list[Glyph] = []
    lower_span = 0.0
    if spec.lower_text:
        lower, lower_span = _lower_arc(spec.lower_text, font, c, text_edge, scale)
        glyphs += lower
    max_span = MAX_NAME_SPAN_OVER_TYPE if spec.centre_text else MAX_NAME_SPAN
    if lower_span:
        max_span = min(max_span, 360.0 - lower_span - 36.0)
    glyphs += _name_arc(spec.name, c, text_edge, scale, max_span)
    if spec.centre_text:
        line = _centre_line(spec.centre_text, font, c, c + TYPE_Y * scale, scale)
        if spec.lower_text:
            line = _clear_of_lower_arc(line, c, text_edge - (LOWER_EM + 0.4) * scale)
        glyphs += line
    return SealLayout(size, size, tuple(shapes), tuple(glyphs))


def _clear_of_lower_arc(line: list[Glyph], c: float, lower_top: float) -> list[Glyph]:
    """Lift the type text so its outer bottom corners stay inside the lower-arc code's circle."""
    half_width = max(abs(g.x - c) for g in line) + line[0].em * line[0].x_scale / 2
    bottom_limit = c + math.sqrt(max(lower_top**2 - half_width**2, 0.0))
    lift = max(0.0, line[0].y + line[0].em * 0.5 - bottom_limit)
    return [dataclasses.replace(g, y=g.y - lift) for g in line]


def name_arc_span(length: int, max_span: float = MAX_NAME_SPAN) -> float:
    """Degrees of the upper arc a name of `length` characters occupies (longer names wrap further)."""
    return min(max_span, 110.0 + 14.0 * length)


def _name_arc(name: str, c: float, text_edge: float, scale: float, max_span: float) -> list[Glyph]:
    em = NAME_EM * scale
    radius = text_edge - em / 2  # centre line of the lettering
    span = name_arc_span(len(name), max_span)
    step = span / len(name)
    inner_chord = 2 * (radius - 0.42 * em) * math.sin(math.radians(step) / 2)
    x_scale = min(NAME_MAX_X_SCALE, 0.9 * inner_chord / em)
    glyphs = []
    for i, char in enumerate(name):
        angle = -90.0 - span / 2 + step * (i + 0.5)  # clockwise from 3 o'clock, y down
        x, y = _polar(c, radius, angle)
        glyphs.append(Glyph(char, x, y, em, x_scale, rotation=angle + 90.0))
    return glyphs


def _lower_arc(text: str, font: SealFont, c: float, text_edge: float, scale: float) -> tuple[list[Glyph], float]:
    """The lower-arc code, read left to right with glyph tops toward the centre; returns its span."""
    em = LOWER_EM * scale
    radius = text_edge - em / 2 - 0.1 * scale
    widths = [em * LOWER_X_SCALE * _advance_em(font, ch) * 1.12 for ch in text]
    span = math.degrees(sum(widths) / radius)
    glyphs, travelled = [], 0.0
    for char, width in zip(text, widths, strict=True):
        angle = 90.0 + span / 2 - math.degrees((travelled + width / 2) / radius)
        travelled += width
        x, y = _polar(c, radius, angle)
        glyphs.append(Glyph(char, x, y, em, LOWER_X_SCALE, rotation=angle - 90.0))
    return glyphs, span


def _centre_line(text: str, font: SealFont, cx: float, cy: float, scale: float) -> list[Glyph]:
    em = TYPE_EM * scale
    advances = [_advance_em(font, ch) for ch in text]
    natural = em * TYPE_X_SCALE * sum(advances) * 1.06
    x_scale = TYPE_X_SCALE * min(1.0, TYPE_MAX_WIDTH * scale / natural)
    return _line(text, advances, cx, cy, em, x_scale, spacing=1.06)


def _line(
    text: str, advances: list[float], cx: float, cy: float, em: float, x_scale: float, spacing: float
) -> list[Glyph]:
    """A horizontal line of glyphs centred on (cx, cy)."""
    widths = [em * x_scale * adv * spacing for adv in advances]
    x = cx - sum(widths) / 2
    glyphs = []
    for char, width in zip(text, widths, strict=True):
        glyphs.append(Glyph(char, x + width / 2, cy, em, x_scale))
        x += width
    return glyphs


def _advance_em(font: SealFont, char: str) -> float:
    return font.advance(char) / font.metrics.units_per_em


def _polar(c: float, radius: float, angle_deg: float) -> tuple[float, float]:
    angle = math.radians(angle_deg)
    return c + radius * math.cos(angle), c + radius * math.sin(angle)


# Square and strip seals, as fractions of the seal's side / height.
GRID_RIM, GRID_PAD, GRID_INNER_GAP, GRID_INNER_WIDTH = 0.06, 0.045, 0.035, 0.02
STRIP_RIM, STRIP_PAD, STRIP_X_SCALE = 0.08, 0.08, 0.92


def _square_layout(spec: SealSpec, font: SealFont) -> SealLayout:
    side = float(spec.size_mm or 20.0)
    shapes, inset = _frames(side, side, side, GRID_RIM, spec.border == Border.DOUBLE)
    text = spec.name + grid_suffix(spec)
    cols, rows = math.ceil(len(text) / 2), 2
    inner = side - 2 * (inset + GRID_PAD * side)
    cell_w, cell_h = inner / cols, inner / rows
    em = cell_h * 1.02
    x_scale = min(1.0, cell_w / cell_h) * 0.97
    glyphs = []
    for i, char in enumerate(text):  # traditional order: columns right to left, top to bottom
        col, row = divmod(i, rows)
        x = side - inset - GRID_PAD * side - (col + 0.5) * cell_w
        y = inset + GRID_PAD * side + (row + 0.5) * cell_h
        glyphs.append(Glyph(char, x, y, em, x_scale))
    return SealLayout(side, side, tuple(shapes), tuple(glyphs))


def _strip_layout(spec: SealSpec, font: SealFont) -> SealLayout:
    height = float(spec.size_mm or 10.0)
    inset_guess = (STRIP_RIM + (GRID_INNER_GAP + GRID_INNER_WIDTH if spec.border == Border.DOUBLE else 0)) * height
    em = height - 2 * (inset_guess + STRIP_PAD * height)
    advances = [_advance_em(font, ch) for ch in spec.name]
    text_width = em * STRIP_X_SCALE * sum(advances) * 1.08
    width = text_width + 2 * (inset_guess + 1.4 * STRIP_PAD * height)
    shapes, _ = _frames(width, height, height, STRIP_RIM, spec.border == Border.DOUBLE)
    glyphs = _line(spec.name, advances, width / 2, height / 2, em, STRIP_X_SCALE, spacing=1.08)
    return SealLayout(width, height, tuple(shapes), tuple(glyphs))


def _frames(width: float, height: float, unit: float, rim: float, double: bool) -> tuple[list[Shape], float]:
    """The rim (and, for a double border, a thin inner frame); returns them and the total inset."""
    shapes: list[Shape] = [Frame(0, 0, width, height, rim * unit)]
    inset = rim * unit
    if double:
        gap, thin = GRID_INNER_GAP * unit, GRID_INNER_WIDTH * unit
        shapes.append(Frame(inset + gap, inset + gap, width - 2 * (inset + gap), height - 2 * (inset + gap), thin))
        inset += gap + thin
    return shapes, inset


# --- raster backend ---------------------------------------------------------------------------


def render_image(spec: SealSpec, px_per_mm: float = DEFAULT_PX_PER_MM) -> Image.Image:
    """The seal as an RGBA image: ink in the seal's colour on a transparent background."""
    font = seal_font()
    layout = seal_layout(spec, font)
    alpha = rasterize(layout, font, px_per_mm)
    if spec.texture:
        seed = texture_seed(spec.kind, spec.name, spec.lower_text, spec.centre_text, spec.size_mm, spec.border)
        alpha = apply_texture(alpha, seed, px_per_mm)
    return colorize(alpha, spec.ink)


def render_png(spec: SealSpec, px_per_mm: float = DEFAULT_PX_PER_MM) -> bytes:
    return png_bytes(render_image(spec, px_per_mm))


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def rasterize(layout: SealLayout, font: SealFont, px_per_mm: float) -> np.ndarray:
    """The layout's ink as a uint8 alpha mask, `px_per_mm` pixels per millimetre."""
    import numpy as np

    width_px, height_px = round(layout.width * px_per_mm), round(layout.height * px_per_mm)
    scale = SUPERSAMPLE * width_px / layout.width
    canvas = Image.new("L", (width_px * SUPERSAMPLE, height_px * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(canvas)
    for shape in layout.shapes:
        _draw_shape(draw, shape, scale)
    ink = np.asarray(canvas).copy()
    for glyph in layout.glyphs:
        tile = _glyph_tile(font, glyph, scale)
        _stamp_max(ink, np.asarray(tile), glyph.x * scale, glyph.y * scale)
    return np.asarray(Image.fromarray(ink).reduce(SUPERSAMPLE))


def _draw_shape(draw: ImageDraw.ImageDraw, shape: Shape, scale: float) -> None:
    if isinstance(shape, Ring):
        r = shape.radius * scale
        box = (shape.cx * scale - r, shape.cy * scale - r, shape.cx * scale + r, shape.cy * scale + r)
        draw.ellipse(box, outline=255, width=max(1, round(shape.width * scale)))
    elif isinstance(shape, Frame):
        box = (shape.x * scale, shape.y * scale, (shape.x + shape.w) * scale - 1, (shape.y + shape.h) * scale - 1)
        draw.rectangle(box, outline=255, width=max(1, round(shape.width * scale)))
    else:
        draw.polygon([(x * scale, y * scale) for x, y in shape.points()], fill=255)


def _glyph_tile(font: SealFont, glyph: Glyph, scale: float) -> Image.Image:
    """The glyph drawn into its em box (plus a margin for overhangs), squeezed and rotated."""
    metrics = font.metrics
    em_px = glyph.em * scale
    unit = em_px / metrics.units_per_em
    pad = math.ceil(0.12 * em_px)
    advance = font.advance(glyph.char) * unit
    size = (math.ceil(advance) + 2 * pad, math.ceil(metrics.box_height * unit) + 2 * pad)
    tile = Image.new("L", size, 0)
    left = (size[0] - advance) / 2  # centre the advance box so the tile centre is the em-box centre
    ImageDraw.Draw(tile).text(
        (left, pad + metrics.ascent * unit), glyph.char, font=font.pil(round(em_px)), fill=255, anchor="ls"
    )
    if glyph.x_scale != 1.0:
        tile = tile.resize((max(1, round(size[0] * glyph.x_scale)), size[1]), Image.Resampling.LANCZOS)
    if glyph.rotation % 360:
        tile = tile.rotate(-glyph.rotation, resample=Image.Resampling.BICUBIC, expand=True)
    return tile


def _stamp_max(canvas: np.ndarray, tile: np.ndarray, cx: float, cy: float) -> None:
    """Merge `tile` centred at (cx, cy) into `canvas`, keeping the stronger ink."""
    import numpy as np

    h, w = tile.shape
    x0, y0 = round(cx - w / 2), round(cy - h / 2)
    cx0, cy0 = max(0, x0), max(0, y0)
    cx1, cy1 = min(canvas.shape[1], x0 + w), min(canvas.shape[0], y0 + h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    region = canvas[cy0:cy1, cx0:cx1]
    np.maximum(region, tile[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0], out=region)


# --- vector backend ---------------------------------------------------------------------------


def render_svg(spec: SealSpec) -> str:
    """The seal as a standalone SVG in millimetres, glyphs as outlines (no font needed to view)."""
    font = seal_font()
    layout = seal_layout(spec, font)
    color = spec.ink.hex
    body = "\n".join(_svg_elements(layout, font, color))
    w, h = _num(layout.width), _num(layout.height)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">\n'
        f'<g fill="{color}">\n{body}\n</g>\n</svg>\n'
    )


def _svg_elements(layout: SealLayout, font: SealFont, color: str) -> Iterable[str]:
    stroke = f'fill="none" stroke="{color}"'
    for shape in layout.shapes:
        if isinstance(shape, Ring):
            r = shape.radius - shape.width / 2
            yield (
                f'<circle cx="{_num(shape.cx)}" cy="{_num(shape.cy)}" r="{_num(r)}" '
                f'{stroke} stroke-width="{_num(shape.width)}"/>'
            )
        elif isinstance(shape, Frame):
            half = shape.width / 2
            x, y, w, h = shape.x + half, shape.y + half, shape.w - shape.width, shape.h - shape.width
            yield (
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
                f'{stroke} stroke-width="{_num(shape.width)}"/>'
            )
        else:
            yield f'<polygon points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in shape.points())}"/>'
    m = font.metrics
    for glyph in layout.glyphs:
        k = glyph.em / m.units_per_em
        transform = (
            f"translate({_num(glyph.x)} {_num(glyph.y)}) rotate({_num(glyph.rotation)}) "
            f"scale({_num(k * glyph.x_scale, 6)} {_num(-k, 6)}) "
            f"translate({_num(-font.advance(glyph.char) / 2)} {_num(-(m.ascent + m.descent) / 2)})"
        )
        yield f'<path transform="{transform}" d="{font.outline(glyph.char)}"/>'


def _num(value: float, digits: int = 3) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- stamping into PDFs -----------------------------------------------------------------------


@dataclass(frozen=True)
class StampImage:
    """A seal image and the size it must have on paper."""

    png: bytes
    width_mm: float
    height_mm: float


def stamp_png(
    source: SealSpec | bytes, size_mm: float | None = None, px_per_mm: float = DEFAULT_PX_PER_MM
) -> StampImage:
    """The PNG to place in a PDF and its true size.

    For a template, `size_mm` overrides the spec's size. For a stored image (uploaded seal,
    handwritten signature) `size_mm` is the length of its longer side and is required.
    """
    if isinstance(source, SealSpec):
        spec = source if size_mm is None else dataclasses.replace(source, size_mm=size_mm)
        image = render_image(spec, px_per_mm)
        return StampImage(png_bytes(image), image.width / px_per_mm, image.height / px_per_mm)
    if size_mm is None:
        raise SealImageError(
            "The stamp size is required for a seal image.", "缺少印章图片的尺寸。", code="stamp_size_required"
        )
    with Image.open(io.BytesIO(source)) as image:
        width, height = image.size
    longer = max(width, height)
    return StampImage(source, size_mm * width / longer, size_mm * height / longer)
