"""Seal images as PDF image XObjects, and the widget appearance streams that show them.

Decoding and compressing a seal PNG costs milliseconds; it is done once per image (keyed by
the PNG's SHA-256) and the compressed streams are reused in every document. Each document
gets the image once, however many widgets show it (cross-page slices clip the same image).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from inkseal.signing.core.errors import SealImageInvalid
from inkseal.signing.core.geometry import MM

MAX_SEAL_PIXELS = 4096 * 4096
MAX_SEAL_MM = 300.0
DATE_FONT_SIZE = 10.5  # 五号 in points
DATE_LINE_HEIGHT = 14.0
_DATE_DPI = 600
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


@dataclass(frozen=True)
class SealImage:
    """A seal picture and its true size on paper (a 42 mm seal is 42 mm wide when printed)."""

    png: bytes
    width_mm: float
    height_mm: float | None = None  # default: keep the picture's aspect ratio

    def __post_init__(self) -> None:
        for size in (self.width_mm, self.height_mm):
            if size is not None and not 0 < size <= MAX_SEAL_MM:
                raise SealImageInvalid(f"a seal must measure between 0 and {MAX_SEAL_MM} mm", size_mm=size)

    @functools.cached_property
    def encoded(self) -> EncodedImage:
        return encode_image(self.png)

    @property
    def size_pt(self) -> tuple[float, float]:
        width = self.width_mm * MM
        if self.height_mm is not None:
            return width, self.height_mm * MM
        return width, width * self.encoded.height / self.encoded.width


@dataclass(frozen=True)
class EncodedImage:
    """Flate-compressed samples of an RGBA picture, ready to become PDF streams."""

    sha256: str
    width: int
    height: int
    rgb: bytes
    alpha: bytes  # 8-bit soft mask
    stencil: bytes  # 1-bit hard mask, for PDF/A-1 where soft masks are not allowed
    opaque: bool


def encode_image(png: bytes) -> EncodedImage:
    return _encode_cached(hashlib.sha256(png).hexdigest(), png)


@functools.lru_cache(maxsize=64)
def _encode_cached(sha256: str, png: bytes) -> EncodedImage:
    image = _open_image(png)
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A")
    stencil = alpha.point(lambda a: 0 if a >= 128 else 255, mode="1")  # 1 = masked out
    return EncodedImage(
        sha256=sha256,
        width=rgba.width,
        height=rgba.height,
        rgb=zlib.compress(rgba.convert("RGB").tobytes(), 6),
        alpha=zlib.compress(alpha.tobytes(), 6),
        stencil=zlib.compress(stencil.tobytes(), 6),
        opaque=alpha.getextrema() == (255, 255),
    )


def _open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_SEAL_PIXELS:
            raise SealImageInvalid("seal image is too large", width=image.width, height=image.height)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise SealImageInvalid(f"seal image cannot be read: {exc}") from exc
    return image


@dataclass(frozen=True)
class DateLabel:
    """A date line under a seal, as a 1-bit stencil drawn in black."""

    text: str
    width: int
    height: int
    stencil: bytes

    @property
    def size_pt(self) -> tuple[float, float]:
        return self.width * 72 / _DATE_DPI, self.height * 72 / _DATE_DPI


def format_seal_date(moment: datetime) -> str:
    return moment.strftime("%Y年%m月%d日") if _cjk_font_path() else moment.strftime("%Y-%m-%d")


@functools.lru_cache(maxsize=32)
def date_label(text: str) -> DateLabel:
    scale = _DATE_DPI / 72
    font = _date_font(round(DATE_FONT_SIZE * scale))
    left, _, right, _ = font.getbbox(text)
    width, height = max(1, int(right - left) + 2), round(DATE_LINE_HEIGHT * scale)
    canvas = Image.new("1", (width, height), 1)
    ImageDraw.Draw(canvas).text((-left + 1, height / 2), text, font=font, fill=0, anchor="lm")
    return DateLabel(text=text, width=width, height=height, stencil=zlib.compress(canvas.tobytes(), 6))


def _date_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _cjk_font_path()
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


@functools.cache
def _cjk_font_path() -> str | None:
    configured = os.environ.get("INKSEAL_CJK_FONT")
    for candidate in (configured, *_FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class DocumentImages:
    """Image XObjects added to one document, so that each picture is embedded once.

    Successive signatures use successive writers on the same file; `writer` is the current one.
    """

    def __init__(self, writer: BasePdfFileWriter, *, soft_masks: bool):
        self.writer = writer
        self.soft_masks = soft_masks
        self._refs: dict[str, generic.Reference] = {}

    def seal(self, image: EncodedImage) -> generic.IndirectObject:
        return self._get("seal:" + image.sha256, lambda: self._seal_stream(image))

    def date(self, label: DateLabel) -> generic.IndirectObject:
        return self._get("date:" + label.text, lambda: _stencil_stream(label.width, label.height, label.stencil))

    def _get(self, key: str, build: Callable[[], generic.StreamObject]) -> generic.IndirectObject:
        ref = self._refs.get(key)
        if ref is None:
            ref = self._refs[key] = self.writer.add_object(build()).reference
        return generic.IndirectObject(ref.idnum, ref.generation, self.writer)

    def _seal_stream(self, image: EncodedImage) -> generic.StreamObject:
        stream = _image_stream(image.width, image.height, "/DeviceRGB", image.rgb)
        if image.opaque:
            return stream
        if self.soft_masks:
            mask = _image_stream(image.width, image.height, "/DeviceGray", image.alpha)
            stream[pdf_name("/SMask")] = self.writer.add_object(mask)
        else:
            stream[pdf_name("/Mask")] = self.writer.add_object(
                _stencil_stream(image.width, image.height, image.stencil)
            )
        return stream


def _image_stream(width: int, height: int, colour_space: str, data: bytes) -> generic.StreamObject:
    return generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(width),
            pdf_name("/Height"): generic.NumberObject(height),
            pdf_name("/ColorSpace"): pdf_name(colour_space),
            pdf_name("/BitsPerComponent"): generic.NumberObject(8),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        },
        encoded_data=data,
    )


def _stencil_stream(width: int, height: int, data: bytes) -> generic.StreamObject:
    """A 1-bit image mask: samples 0 are painted (fill colour, or the masked image), 1 are not."""
    return generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Image"),
            pdf_name("/Width"): generic.NumberObject(width),
            pdf_name("/Height"): generic.NumberObject(height),
            pdf_name("/ImageMask"): generic.BooleanObject(True),
            pdf_name("/Filter"): pdf_name("/FlateDecode"),
        },
        encoded_data=data,
    )


@dataclass(frozen=True)
class WidgetArt:
    """What one widget shows, in its upright (displayed) orientation, in points."""

    size: tuple[float, float]  # widget box
    seal_size: tuple[float, float]
    seal_origin: tuple[float, float]  # lower-left of the whole seal picture inside the box
    date: DateLabel | None = None
    date_origin: tuple[float, float] = (0.0, 0.0)

    @property
    def seal_box(self) -> tuple[float, float, float, float]:
        """The whole seal picture against the widget box, as previews draw it: (left, top, width,
        height) in fractions of the box, top measured downwards. A cross-page slice's box shows
        part of a picture wider than itself (width > 1, left <= 0)."""
        width, height = self.size
        seal_w, seal_h = self.seal_size
        x, y = self.seal_origin
        return x / width, 1 - (y + seal_h) / height, seal_w / width, seal_h / height


def appearance_stream(
    art: WidgetArt, rotate: int, seal_ref: generic.IndirectObject, date_ref: generic.IndirectObject | None
) -> generic.StreamObject:
    """Form XObject for /AP /N; /Matrix turns it against the page's /Rotate so it reads upright."""
    width, height = art.size
    seal_w, seal_h = art.seal_size
    ops = [f"q {_n(seal_w)} 0 0 {_n(seal_h)} {_n(art.seal_origin[0])} {_n(art.seal_origin[1])} cm /Seal Do Q"]
    xobjects = generic.DictionaryObject({pdf_name("/Seal"): seal_ref})
    if art.date is not None and date_ref is not None:
        date_w, date_h = art.date.size_pt
        x, y = art.date_origin
        ops.append(f"q 0 g {_n(date_w)} 0 0 {_n(date_h)} {_n(x)} {_n(y)} cm /Date Do Q")
        xobjects[pdf_name("/Date")] = date_ref
    cos, sin = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}[rotate]
    return generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, width, height)]),
            pdf_name("/Matrix"): generic.ArrayObject([generic.NumberObject(v) for v in (cos, sin, -sin, cos, 0, 0)]),
            pdf_name("/Resources"): generic.DictionaryObject({pdf_name("/XObject"): xobjects}),
        },
        stream_data="\n".join(ops).encode("ascii"),
    )


def _n(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"
