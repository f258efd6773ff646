"""The handwritten signature (手写签名) drawn on the 新增印章 canvas: decoded defensively, cropped
tight to its ink, made one clean ink colour on a transparent background, and sized for paper."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from inkseal.seals import checks, imports
from inkseal.seals.errors import HandwrittenSignatureInvalid
from inkseal.seals.image_errors import HandwritingEmpty
from inkseal.seals.ink import colorize, ink_color

HEIGHT_MM, MAX_WIDTH_MM = 15.0, 60.0  # on paper: 15 mm high, at most 60 mm wide
MAX_SIDE_PX = 1600  # stored signatures are scaled down to this
MAX_PIXELS = 16_000_000


def signature_image(data: bytes, color: str) -> Image.Image:
    """The drawn signature cropped tight to its ink, transparent, in one ink colour."""
    ink = ink_color(color)
    mask = checks.ink_mask(_decode_signature(data))
    inked = mask > 24
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if len(rows) == 0:
        raise HandwritingEmpty()
    pad = max(2, (rows[-1] - rows[0]) // 20)
    top, bottom = max(0, rows[0] - pad), min(mask.shape[0], rows[-1] + 1 + pad)
    left, right = max(0, cols[0] - pad), min(mask.shape[1], cols[-1] + 1 + pad)
    image = colorize(mask[top:bottom, left:right].copy(), ink)
    scale = MAX_SIDE_PX / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    return image


def _decode_signature(data: bytes) -> Image.Image:
    if not data:
        raise HandwritingEmpty()
    refused = HandwrittenSignatureInvalid()
    if len(data) > imports.MAX_UPLOAD_BYTES:
        raise refused
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format != "PNG" or image.width * image.height > MAX_PIXELS:
                raise refused
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, UnidentifiedImageError, OSError, ValueError):
        raise refused
    return image


def size_on_paper_mm(image: Image.Image) -> tuple[float, float]:
    ratio = image.width / image.height
    width = HEIGHT_MM * ratio
    if width <= MAX_WIDTH_MM:
        return round(width, 2), HEIGHT_MM
    return MAX_WIDTH_MM, round(MAX_WIDTH_MM / ratio, 2)
