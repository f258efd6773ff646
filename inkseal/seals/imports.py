"""Uploaded seal images (上传图章): from a photo or scan of a stamped seal to a clean seal image.

Pure (no Django). Steps: decode the upload defensively; even out the lighting; find red, blue
or black ink; keep it only if it forms a seal (a round ring, or a square / strip frame); crop to
the seal; make the paper transparent and the ink one clean colour; optionally check that the
seal's text reads as the enterprise name. Every refusal is an UploadRejected with a stable code.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from inkseal.seals import checks
from inkseal.seals.image_errors import (
    NoSealInk,
    NoSealShape,
    SealTextMismatch,
    UploadCorrupt,
    UploadNotAnImage,
    UploadTooLarge,
    UploadTooManyPixels,
    UploadTooSmall,
)
from inkseal.seals.ink import InkColor, colorize, ink_color
from inkseal.seals.render import png_bytes
from inkseal.seals.render_spec import SealShape

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 25_000_000  # a 2 MB JPEG of a real photo stays far below; larger means a bomb
MIN_SIDE_PX = 100
ALLOWED_FORMATS = {"JPEG", "PNG"}
WORK_SIDE_PX = 1200  # photos are analysed (and the seal cut out) at most this large
OUTPUT_SIDE_PX = 800  # the stored seal image is at most this large


@dataclass(frozen=True)
class ImportedSeal:
    """The cleaned seal: transparent background, ink in the chosen colour, cropped to the seal."""

    image: Image.Image
    shape: SealShape
    found_ink: InkColor  # the colour the ink had in the photo
    text_check: checks.TextCheck | None = None

    @property
    def png(self) -> bytes:
        return png_bytes(self.image)


def import_seal_photo(
    data: bytes,
    color: InkColor | str = InkColor.RED,
    expected_name: str | None = None,
    threshold: float = checks.DEFAULT_SEAL_THRESHOLD,
    check_shape: Callable[[SealShape], None] | None = None,
) -> ImportedSeal:
    """Clean up an uploaded seal photo; with `expected_name`, also check the seal's text.
    `check_shape` may refuse the seal's shape before its text is read (the slow part)."""
    target = ink_color(color)
    photo = decode_upload(data)
    rgb = _work_size(np.asarray(photo))
    flat = flatten_lighting(rgb)
    found, strength, outline = find_seal(flat)
    if check_shape is not None:
        check_shape(outline.shape)
    image = _cut_out(strength, outline, target)
    if expected_name is None:
        return ImportedSeal(image, outline.shape, found)
    if outline.shape is SealShape.ROUND:
        check = checks.check_round_seal_text(image, expected_name, threshold)
        return ImportedSeal(image, outline.shape, found, check)
    upright, check = _read_upright(image, expected_name, threshold)
    return ImportedSeal(upright, outline.shape, found, check)


def _read_upright(image: Image.Image, expected_name: str, threshold: float) -> tuple[Image.Image, checks.TextCheck]:
    """A square seal's frame says nothing of which side is up: read it in all four turns and keep
    the turn that reads best (glyphs on their side are sometimes read too, with less confidence)."""
    best: tuple[Image.Image, checks.TextCheck] | None = None
    mismatch: SealTextMismatch | None = None
    for quarter_turns in range(4):
        turned = image.rotate(90 * quarter_turns, expand=True) if quarter_turns else image
        try:
            check = checks.check_grid_seal_text(turned, expected_name, threshold)
        except SealTextMismatch as error:
            if mismatch is None or error.result.score > mismatch.result.score:
                mismatch = error
            continue
        if best is None or (check.score, check.confidence) > (best[1].score, best[1].confidence):
            best = (turned, check)
    if best is None:
        assert mismatch is not None
        raise mismatch
    return best


# --- decoding ---------------------------------------------------------------------------------


def decode_upload(data: bytes) -> Image.Image:
    """An RGB image from uploaded bytes, refusing anything but a sane, complete JPG or PNG."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge()
    image = _open(data)
    if image.format not in ALLOWED_FORMATS:
        raise UploadNotAnImage()
    if image.width * image.height > MAX_PIXELS:  # checked from the header, before decoding
        raise UploadTooManyPixels()
    _load(image)
    if min(image.size) < MIN_SIDE_PX:
        raise UploadTooSmall()
    return _to_rgb(ImageOps.exif_transpose(image))


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadTooManyPixels()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadNotAnImage()


def _load(image: Image.Image) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadTooManyPixels()
    except (OSError, SyntaxError, EOFError, ValueError):
        raise UploadCorrupt()


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB on white: a transparent PNG's empty areas become paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return image.convert("RGB")


def _work_size(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = WORK_SIDE_PX / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)


# --- finding the ink --------------------------------------------------------------------------


def flatten_lighting(rgb: np.ndarray) -> np.ndarray:
    """Divide out the paper's brightness (shadows, uneven light) so paper becomes white.

    Estimated on a small copy: a closing removes thin dark strokes, then coloured areas still
    left (a seal's star, a large coloured object) are filled in from the surrounding paper, so
    that they are not taken for paper themselves.
    """
    height, width = rgb.shape[:2]
    scale = 160 / max(height, width)
    small = cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REFLECT)
    paper = _fill_from_paper(closed)
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    flat = rgb.astype(np.float32) * 255.0 / np.maximum(paper, 1.0)
    return np.clip(flat, 0, 255).astype(np.uint8)


def _fill_from_paper(closed: np.ndarray) -> np.ndarray:
    """Replace saturated areas by paint-in from the unsaturated (paper-coloured) ones around them."""
    spread = closed.max(axis=2).astype(np.float32) - closed.min(axis=2)
    coloured = (spread >= 0.25 * np.maximum(closed.max(axis=2), 1)).astype(np.uint8)
    if coloured.mean() < 0.95:  # with no paper in sight, keep what we have
        closed = cv2.inpaint(closed, coloured, 5, cv2.INPAINT_TELEA)
    return cv2.GaussianBlur(closed.astype(np.float32), (0, 0), 3)


def ink_strengths(flat: np.ndarray) -> dict[InkColor, np.ndarray]:
    """Per ink colour, how strongly (0–255) each pixel looks like that ink on white paper."""
    hsv = cv2.cvtColor(flat, cv2.COLOR_RGB2HSV)
    hue, sat, val = (hsv[..., i].astype(np.float32) for i in range(3))
    saturated = np.clip((sat - 45.0) / 55.0, 0, 1) * (val > 50)
    red = ((hue <= 12) | (hue >= 160)) * saturated
    blue = ((hue >= 95) & (hue <= 135)) * saturated
    black = np.clip((150.0 - val) / 70.0, 0, 1) * (sat < 110)
    return {
        InkColor.RED: (red * 255).astype(np.uint8),
        InkColor.BLUE: (blue * 255).astype(np.uint8),
        InkColor.BLACK: (black * 255).astype(np.uint8),
    }


@dataclass(frozen=True)
class SealOutline:
    """Where the seal is on the work image: a circle, or a (possibly turned) rectangle."""

    shape: SealShape
    center: tuple[float, float]
    size: tuple[float, float]  # diameter twice for a circle
    angle: float  # degrees, rectangles only
    score: float  # how much of the rim is inked, 0–1


MIN_INK_FRACTION = 0.002
MIN_RIM_COVERAGE = 0.78


def find_seal(flat: np.ndarray) -> tuple[InkColor, np.ndarray, SealOutline]:
    """(ink colour found, its strength map, the seal's outline), or NoSealInk / NoSealShape."""
    min_side = min(flat.shape[:2])
    inked = False
    best: tuple[InkColor, np.ndarray, SealOutline] | None = None
    for color, strength in ink_strengths(flat).items():
        mask = (strength > 110).astype(np.uint8)
        if mask.mean() < MIN_INK_FRACTION:
            continue
        inked = True
        outline = _seal_outline(mask, min_side)
        if outline is not None and (best is None or outline.score > best[2].score):
            best = (color, strength, outline)
    if best is None:
        raise NoSealShape() if inked else NoSealInk()
    return best


def _seal_outline(mask: np.ndarray, min_side: int) -> SealOutline | None:
    """The best-inked round or rectangular rim among the mask's large blobs, if any."""
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    candidates = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        (x, y), radius = cv2.minEnclosingCircle(contour)
        if radius < 0.12 * min_side:
            continue
        candidates.append(_round_outline(mask, (x, y), radius))
        candidates.append(_rect_outline(mask, cv2.minAreaRect(contour)))
    valid = [c for c in candidates if c is not None and c.score >= MIN_RIM_COVERAGE]
    return max(valid, key=lambda c: c.score, default=None)


def _round_outline(mask: np.ndarray, center: tuple[float, float], radius: float) -> SealOutline | None:
    rim = _ring_coverage(mask, center, radius * 0.86, radius * 1.0)
    inside = _disc_fill(mask, center, radius * 0.8)
    if not 0.03 < inside < 0.6:  # a seal is mostly paper inside, but not empty
        return None
    return SealOutline(SealShape.ROUND, center, (2 * radius, 2 * radius), 0.0, rim)


def _ring_coverage(mask: np.ndarray, center: tuple[float, float], r0: float, r1: float) -> float:
    """Share of directions in which some ink lies between radii r0 and r1."""
    angles = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    radii = np.linspace(r0, r1, 8)
    xs = (center[0] + np.outer(np.cos(angles), radii)).round().astype(int)
    ys = (center[1] + np.outer(np.sin(angles), radii)).round().astype(int)
    inside = (xs >= 0) & (xs < mask.shape[1]) & (ys >= 0) & (ys < mask.shape[0])
    hits = np.zeros(xs.shape, dtype=bool)
    hits[inside] = mask[ys[inside], xs[inside]] > 0
    return float(hits.any(axis=1).mean())


def _disc_fill(mask: np.ndarray, center: tuple[float, float], radius: float) -> float:
    disc = np.zeros_like(mask)
    cv2.circle(disc, (round(center[0]), round(center[1])), max(1, round(radius)), 1, -1)
    area = disc.sum()
    return float((mask & disc).sum() / area) if area else 0.0


def _rect_outline(mask: np.ndarray, rect: tuple) -> SealOutline | None:
    (cx, cy), (w, h), angle = rect
    if min(w, h) < 1:
        return None
    aspect = max(w, h) / min(w, h)
    shape = SealShape.SQUARE if aspect <= 1.35 else SealShape.STRIP if aspect <= 4.5 else None
    if shape is None:
        return None
    upright = _deskew(mask, rect)
    rim = min(upright.shape) * 0.12
    inner = upright[round(rim) : -round(rim) or None, round(rim) : -round(rim) or None]
    if inner.size == 0 or not 0.03 < inner.mean() < 0.6:
        return None
    coverage = _frame_coverage(upright, rim)
    return SealOutline(shape, (cx, cy), (w, h), angle, coverage)


def _frame_coverage(upright: np.ndarray, rim: float) -> float:
    """Share of positions along the four sides where the frame has ink."""
    band = max(1, round(rim))
    sides = [
        upright[:band].any(axis=0),
        upright[-band:].any(axis=0),
        upright[:, :band].any(axis=1),
        upright[:, -band:].any(axis=1),
    ]
    return float(np.concatenate(sides).mean())


def _deskew(image: np.ndarray, rect: tuple, margin: float = 0.0) -> np.ndarray:
    """The rotated rectangle `rect` cut out of `image` and turned upright."""
    (cx, cy), (w, h), angle = rect
    if w < h:  # turn by the smaller angle: OpenCV may report a portrait box at angle ~90
        w, h, angle = h, w, angle - 90
    w, h = w * (1 + margin), h * (1 + margin)
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    matrix[:, 2] += (w / 2 - cx, h / 2 - cy)
    return cv2.warpAffine(image, matrix, (max(1, round(w)), max(1, round(h))), flags=cv2.INTER_LINEAR)


# --- cutting out ------------------------------------------------------------------------------


def _cut_out(strength: np.ndarray, outline: SealOutline, color: InkColor) -> Image.Image:
    """The seal's ink, alone on a transparent canvas just large enough for it."""
    if outline.shape is SealShape.ROUND:
        alpha = _turn_name_up(_circle_crop(strength, outline))
    else:
        alpha = _deskew(strength, (outline.center, outline.size, outline.angle), margin=0.04)
    alpha = _clean_alpha(_full_strength(alpha))
    image = colorize(alpha, color)
    scale = OUTPUT_SIDE_PX / max(image.size)
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    return image


def _circle_crop(strength: np.ndarray, outline: SealOutline) -> np.ndarray:
    radius = outline.size[0] / 2 * 1.02
    side = math.ceil(2 * radius)
    matrix = np.array([[1, 0, radius - outline.center[0]], [0, 1, radius - outline.center[1]]], dtype=np.float32)
    crop = cv2.warpAffine(strength, matrix, (side, side), flags=cv2.INTER_LINEAR)
    disc = np.zeros_like(crop)
    cv2.circle(disc, (side // 2, side // 2), side // 2, 255, -1)
    return np.minimum(crop, disc)


def _turn_name_up(alpha: np.ndarray) -> np.ndarray:
    """Turn a round seal so that its name is centred at the top, as it was stamped."""
    turn = checks.name_angle(alpha) - 270.0
    if abs(turn) < 0.5:
        return alpha
    side = alpha.shape[0]
    matrix = cv2.getRotationMatrix2D((side / 2, side / 2), turn, 1.0)
    return cv2.warpAffine(alpha, matrix, (side, side), flags=cv2.INTER_LINEAR)


def _full_strength(alpha: np.ndarray) -> np.ndarray:
    """Stretch a pale impression so that its typical ink is solid, keeping soft edges soft."""
    inked = alpha[alpha > 60]
    if inked.size == 0:
        return alpha
    solid = max(float(np.percentile(inked, 75)), 90.0)
    return np.clip((alpha.astype(np.float32) - 25.0) * 255.0 / (solid - 25.0), 0, 255).astype(np.uint8)


def _clean_alpha(alpha: np.ndarray) -> np.ndarray:
    """Drop faint haze and isolated specks; keep the ink's soft edges."""
    alpha = np.where(alpha < 40, 0, alpha).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats((alpha > 0).astype(np.uint8), connectivity=8)
    tiny = np.nonzero(stats[:, cv2.CC_STAT_AREA] < max(4, alpha.size // 40000))[0]
    tiny = tiny[tiny != 0]
    if len(tiny):
        alpha[np.isin(labels, tiny)] = 0
    return alpha
