"""Seal ink: the three colours a seal may take, and a deterministic ink texture.

Pure (no Django). Images here are alpha masks: uint8 arrays where 255 is full ink.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import TYPE_CHECKING

from PIL import Image

from inkseal.seals.image_errors import UnknownInkColor

if TYPE_CHECKING:
    import numpy as np  # imported where a mask is coloured or textured, not at start


class InkColor(StrEnum):
    RED = "red"
    BLUE = "blue"
    BLACK = "black"

    @property
    def rgb(self) -> tuple[int, int, int]:
        return _INK_RGB[self]

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


# Seal-pad red, a deep stamp blue and a near-black that reads as ink rather than print.
_INK_RGB: dict[InkColor, tuple[int, int, int]] = {
    InkColor.RED: (0xE6, 0x00, 0x12),
    InkColor.BLUE: (0x10, 0x3C, 0xB4),
    InkColor.BLACK: (0x1A, 0x1A, 0x1A),
}

_ALIASES = {"红": InkColor.RED, "红色": InkColor.RED, "蓝": InkColor.BLUE, "蓝色": InkColor.BLUE}
_ALIASES |= {"黑": InkColor.BLACK, "黑色": InkColor.BLACK}


def ink_color(value: InkColor | str) -> InkColor:
    """Normalise "red"/"RED"/"红色"/InkColor.RED to an InkColor, or raise UnknownInkColor."""
    if isinstance(value, InkColor):
        return value
    key = str(value).strip().lower()
    try:
        return InkColor(key)
    except ValueError:
        pass
    if key in _ALIASES:
        return _ALIASES[key]
    raise UnknownInkColor(str(value))


def colorize(alpha: np.ndarray, color: InkColor) -> Image.Image:
    """An RGBA image of `color` whose transparency is the ink mask `alpha`."""
    import numpy as np

    height, width = alpha.shape
    rgba = np.empty((height, width, 4), dtype=np.uint8)
    rgba[..., :3] = color.rgb
    rgba[..., 3] = alpha
    return Image.fromarray(rgba, "RGBA")


def texture_seed(*parts: object) -> int:
    """A stable 64-bit seed from the seal's content, so the same seal always gets the same texture."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def apply_texture(alpha: np.ndarray, seed: int, px_per_mm: float) -> np.ndarray:
    """Worn-stamp look: uneven ink density, a few pale specks and slightly rough edges.

    Deterministic for a given seed; the mask's shape and the seal's legibility are kept.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    height, width = alpha.shape
    density = _smooth_noise(rng, (height, width), cell_px=max(4, round(3.0 * px_per_mm)))
    density = 0.8 + 0.2 * density  # ink never fades below 80 %
    fine = _smooth_noise(rng, (height, width), cell_px=max(2, round(0.25 * px_per_mm)))
    specks = np.where(fine > 0.93, 0.55, 1.0)  # small pale spots where the pad missed
    edge = _smooth_noise(rng, (height, width), cell_px=max(2, round(0.15 * px_per_mm)))
    mask = alpha.astype(np.float32) / 255.0
    rough = np.clip((mask - 0.3 * edge) / 0.7, 0.0, 1.0)  # eats a little into the soft edges
    textured = rough * density * specks
    return np.clip(textured * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell_px: int) -> np.ndarray:
    """Value noise in [0, 1] with features about `cell_px` pixels across."""
    import cv2  # OpenCV loads in ~1 s: imported when a texture is drawn, not with the seal modules
    import numpy as np

    height, width = shape
    coarse = rng.random((height // cell_px + 2, width // cell_px + 2), dtype=np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)
