"""Offline checks of document photos (ID card sides, business licences). Pure (no Django).

Type by content (JPEG or PNG magic bytes, then a full decode), size, pixel dimensions, and
whether a reader could read it: not blank, not too dark or washed out, not badly blurred
(variance of the Laplacian). Raises `ImageRefused` with a stable code.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image

MAX_BYTES = 2 * 1024 * 1024
MIN_SIDE = 300  # pixels on the short side
MAX_PIXELS = 40_000_000
MIN_CONTRAST = 12.0  # grey-level standard deviation
MIN_SHARPNESS = 15.0  # variance of the Laplacian on a 1000-px-wide copy
BRIGHTNESS = (35.0, 235.0)

TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


class ImageRefused(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    sharpness: float
    brightness: float


def sniff(data: bytes) -> str:
    for magic, content_type in TYPES.items():
        if data.startswith(magic):
            return content_type
    return ""


def check_image(data: bytes, *, max_bytes: int = MAX_BYTES) -> ImageFacts:
    import cv2  # OpenCV and NumPy load in ~1 s: only when a photo is checked, not at Django setup
    import numpy as np

    if len(data) > max_bytes:
        raise ImageRefused("too_large", limit_mb=max_bytes // (1024 * 1024), size_mb=round(len(data) / 1048576, 1))
    content_type = sniff(data)
    if not content_type:
        raise ImageRefused("type")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused("dimensions", min_side=MIN_SIDE)
            image.load()
    except ImageRefused:
        raise
    except Exception:  # any decoder error means the file is not a usable picture
        raise ImageRefused("corrupt")
    if min(image.size) < MIN_SIDE:
        raise ImageRefused("dimensions", min_side=MIN_SIDE)
    grey = np.asarray(image.convert("L"), dtype=np.uint8)
    contrast = float(grey.std())
    brightness = float(grey.mean())
    if contrast < MIN_CONTRAST:
        raise ImageRefused("blank")
    if not BRIGHTNESS[0] <= brightness <= BRIGHTNESS[1]:
        raise ImageRefused("exposure")
    scale = 1000 / grey.shape[1]
    sample = cv2.resize(grey, (1000, max(1, round(grey.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(sample, cv2.CV_64F).var())
    if sharpness < MIN_SHARPNESS:
        raise ImageRefused("blurred")
    return ImageFacts(
        content_type, len(data), image.width, image.height, hashlib.sha256(data).hexdigest(), sharpness, brightness
    )
