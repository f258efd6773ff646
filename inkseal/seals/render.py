"""Template seals: round enterprise seals and square / strip name seals, as PNG or SVG, and stamp
images at true size for PDFs.

Pure (no Django). A seal (`render_spec.SealSpec`) is first laid out in millimetres
(`render_layout.seal_layout`) and then drawn by the raster or the vector backend here, so both agree.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from inkseal.seals.fonts import SealFont, seal_font
from inkseal.seals.image_errors import StampSizeRequired
from inkseal.seals.ink import apply_texture, colorize, texture_seed
from inkseal.seals.render_layout import Frame, Glyph, Ring, SealLayout, Shape, seal_layout
from inkseal.seals.render_spec import SealSpec

if TYPE_CHECKING:
    import numpy as np  # imported where a raster is drawn: the CLI and Django start without it

DEFAULT_PX_PER_MM = 700 / 42  # a 42 mm seal is 700 px across (~423 dpi)
SUPERSAMPLE = 2  # draw at twice the size and box-filter down: anti-aliased rims and star


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
        raise StampSizeRequired()
    with Image.open(io.BytesIO(source)) as image:
        width, height = image.size
    longer = max(width, height)
    return StampImage(source, size_mm * width / longer, size_mm * height / longer)
