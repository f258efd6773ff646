"""A template seal laid out in millimetres: rings, frames, a star and placed glyphs (`SealLayout`),
which the raster and the vector backend (`render`) both draw, so both agree. Pure (no Django).

Proportions follow real 42 mm Chinese seals: a 1.2 mm rim, the name along the upper arc from
about 8 to 4 o'clock with each glyph's top facing outward, a 14 mm five-pointed star in the
centre, the seal type in a horizontal line below it and an optional code along the lower arc.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from inkseal.seals.fonts import SealFont, seal_font
from inkseal.seals.render_spec import Border, SealShape, SealSpec, grid_suffix


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
