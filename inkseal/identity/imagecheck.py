"""Offline checks of document photos (ID card sides, business licences). Pure (no Django).

Type by content (JPEG or PNG magic bytes, then a full decode), size, pixel dimensions, and
whether a reader could read it: not blank, not too dark or washed out, not badly blurred
(variance of the Laplacian). Raises `ImageRefused` with a stable code.

Exposure is judged on the paper and the print, not on the average grey: a clean scan is mostly
near-white paper (average ~245) and perfectly readable. Too dark means even the paper came out
dark; too bright means the print itself has faded towards the paper. JPEGs are decoded at a
reduced scale (the decoder's DCT scaling, still the whole file) since every measure is taken
on a copy about 1000 px wide.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from inkseal.core.errors import DomainError, gettext_lazy

if TYPE_CHECKING:
    import numpy as np

MAX_BYTES = 2 * 1024 * 1024
MIN_SIDE = 300  # pixels on the short side
MAX_PIXELS = 40_000_000
MIN_CONTRAST = 12.0  # grey-level standard deviation
MIN_SHARPNESS = 15.0  # variance of the Laplacian on a 1000-px-wide copy
MIN_SPREAD = 8  # grey levels between print and paper below which the picture is blank
MIN_PAPER = 70  # the paper (99th percentile grey) darker than this: too dark to read
MAX_PRINT = 185  # the print (1st percentile grey) lighter than this: washed out
SAMPLE_WIDTH = 1000

TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


class ImageRefused(DomainError):
    """An ID photo we cannot use; the details fill the user's message."""

    code = "image_refused"
    default_message = gettext_lazy("图片无法使用，请重新拍摄。")


class ImageTooLarge(ImageRefused):
    code = "image_too_large"
    default_message = gettext_lazy("图片大小%(size_mb)sMB，超过%(limit_mb)sMB上限。")


class ImageWrongType(ImageRefused):
    code = "image_type"
    default_message = gettext_lazy("仅支持JPG、PNG格式的图片。")


class ImageCorrupt(ImageRefused):
    code = "image_corrupt"
    default_message = gettext_lazy("图片文件已损坏或无法打开。")


class ImageTooSmall(ImageRefused):
    code = "image_dimensions"
    default_message = gettext_lazy("图片太小，短边至少需要%(min_side)s像素。")


class ImageBlank(ImageRefused):
    code = "image_blank"
    default_message = gettext_lazy("图片内容空白，请重新拍摄。")


class ImageTooDark(ImageRefused):
    code = "image_too_dark"
    default_message = gettext_lazy("图片过暗，请在光线充足处重新拍摄。")


class ImageTooBright(ImageRefused):
    code = "image_too_bright"
    default_message = gettext_lazy("图片过亮，文字已看不清，请避开强光或反光重新拍摄。")


class ImageBlurred(ImageRefused):
    code = "image_blurred"
    default_message = gettext_lazy("图片模糊无法辨认，请对焦后重新拍摄。")


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    sharpness: float
    brightness: float  # mean grey level


@dataclass(frozen=True)
class CheckedImage:
    """An upload that passed `check_image`, with what was measured (stored alongside it)."""

    data: bytes
    facts: ImageFacts


def sniff(data: bytes) -> str:
    for magic, content_type in TYPES.items():
        if data.startswith(magic):
            return content_type
    return ""


def check_image(data: bytes, *, max_bytes: int = MAX_BYTES) -> ImageFacts:
    import cv2  # OpenCV and NumPy load in ~1 s: only when a photo is checked, not at Django setup

    if len(data) > max_bytes:
        raise ImageTooLarge(limit_mb=max_bytes // (1024 * 1024), size_mb=round(len(data) / 1048576, 1))
    content_type = sniff(data)
    if not content_type:
        raise ImageWrongType()
    image, size = _decode(data)
    if min(size) < MIN_SIDE:
        raise ImageTooSmall(min_side=MIN_SIDE)
    grey = _sample(image)
    brightness = _check_exposure(grey)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    if sharpness < MIN_SHARPNESS:
        raise ImageBlurred()
    return ImageFacts(content_type, len(data), *size, hashlib.sha256(data).hexdigest(), sharpness, brightness)


def _decode(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """The decoded picture (a JPEG at the smallest DCT scale still >= SAMPLE_WIDTH wide) and its
    full pixel size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            size = image.size
            if size[0] * size[1] > MAX_PIXELS:
                raise ImageTooSmall(min_side=MIN_SIDE)
            if image.format == "JPEG":
                image.draft("L", (SAMPLE_WIDTH, round(SAMPLE_WIDTH * size[1] / max(1, size[0]))))
            image.load()
    except ImageRefused:
        raise
    except Exception:  # any decoder error means the file is not a usable picture
        raise ImageCorrupt()
    return image, size


def _sample(image: Image.Image) -> np.ndarray:
    import cv2
    import numpy as np

    grey = np.asarray(image.convert("L"), dtype=np.uint8)
    height = max(1, round(grey.shape[0] * SAMPLE_WIDTH / grey.shape[1]))
    interpolation = cv2.INTER_AREA if grey.shape[1] > SAMPLE_WIDTH else cv2.INTER_LINEAR
    return cv2.resize(grey, (SAMPLE_WIDTH, height), interpolation=interpolation)


def _check_exposure(grey: np.ndarray) -> float:
    """Refuse blank, too dark and washed-out pictures; return the mean grey level."""
    import numpy as np

    counts = np.bincount(grey.ravel(), minlength=256)
    cumulative = np.cumsum(counts) / grey.size
    print_level = int(np.searchsorted(cumulative, 0.01))  # the darkest 1%: the print
    paper_level = int(np.searchsorted(cumulative, 0.99))  # the brightest 1%: the paper
    if paper_level - print_level < MIN_SPREAD:
        raise ImageBlank()
    if paper_level < MIN_PAPER:
        raise ImageTooDark()
    if print_level > MAX_PRINT:
        raise ImageTooBright()
    if float(grey.std()) < MIN_CONTRAST:
        raise ImageBlank()
    return float(grey.mean())
