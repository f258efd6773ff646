"""Offline OCR checks: does a seal image or a handwritten signature read as the expected name?

Pure (no Django). The OCR engine itself (RapidOCR, one per process) is inkseal.core.ocr, shared
with the identity app's licence reader.

A round seal's name runs around the upper arc; we unwrap the ring with a polar transform so
the name becomes one straight line before recognising it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from inkseal.core.ocr import Reading, read_lines, recognise_line
from inkseal.seals.image_errors import (
    HandwritingEmpty,
    HandwritingMismatch,
    SealTextMismatch,
    TextMismatch,
)

DEFAULT_SEAL_THRESHOLD = 0.8
# Mouse-drawn names are messy: one misread character in a three-character name still passes.
DEFAULT_HANDWRITING_THRESHOLD = 0.66

# Characters that carry no identity: brackets and separators may or may not be engraved.
_IGNORED = set("()（）[]【】·•.,，。、-—_ '\"“”‘’:：;；")


@dataclass(frozen=True)
class TextCheck:
    """What OCR read, how close it is to the expected name (0–1) and whether that is enough."""

    expected: str
    read: str
    score: float
    threshold: float
    confidence: float = 0.0  # the recogniser's own confidence in what it read

    @property
    def passed(self) -> bool:
        return self.score >= self.threshold


def text_similarity(read: str, expected: str) -> float:
    """1 − normalised edit distance, after dropping brackets, separators and width variants."""
    a, b = _comparable(read), _comparable(expected)
    if not a and not b:
        return 1.0
    return 1.0 - _edit_distance(a, b) / max(len(a), len(b))


def _comparable(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and ch not in _IGNORED)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def match_readings(
    readings: Iterable[Reading],
    expected: str,
    threshold: float,
    error: Callable[[TextCheck], TextMismatch],
    suffixes: tuple[str, ...] = ("",),
) -> TextCheck:
    """The first reading close enough to `expected` (allowing the given suffixes after it);
    otherwise raise `error` carrying the closest one."""
    best = TextCheck(expected, "", 0.0, threshold)
    for reading in readings:
        score = max(text_similarity(reading.text, expected + suffix) for suffix in suffixes)
        result = TextCheck(expected, reading.text, score, threshold, reading.confidence)
        if result.passed:
            return result
        if (result.score, result.confidence) > (best.score, best.confidence):
            best = result
    raise error(best)


def ink_mask(image: Image.Image) -> np.ndarray:
    """uint8 mask, 255 where there is ink: the alpha of a transparent image, else dark/coloured pixels."""
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        return np.asarray(image.convert("RGBA"))[..., 3].copy()
    rgb = np.asarray(image.convert("RGB")).astype(np.int16)
    lightness = rgb.max(axis=2)
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    ink = np.maximum(255 - lightness, chroma)  # dark ink or saturated ink on pale paper
    return np.clip((ink.astype(np.float32) - 60) * 2.0, 0, 255).astype(np.uint8)


def on_white(mask: np.ndarray, pad: int = 0) -> np.ndarray:
    """Black-on-white 3-channel image for the recogniser."""
    gray = 255 - mask
    if pad:
        gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def ring_band(mask: np.ndarray) -> np.ndarray:
    """A round seal's lettering band (all 360°) as a strip, outward edge up, clockwise left to
    right, from 3 o'clock. The seal is taken to fill the mask."""
    height, width = mask.shape
    radius = min(height, width) / 2.0
    angular = round(2 * np.pi * radius * 0.75)  # pixels per radian as at the lettering's middle
    polar = cv2.warpPolar(
        mask,
        (round(radius), angular),
        (width / 2.0, height / 2.0),
        radius,
        cv2.WARP_POLAR_LINEAR | cv2.INTER_LINEAR,
    )
    # rows = angle clockwise from 3 o'clock, columns = radius; turn so radius points up
    strip = cv2.rotate(polar, cv2.ROTATE_90_COUNTERCLOCKWISE)
    top = _lettering_top(strip)
    return strip[top : top + round(0.36 * radius)]


def name_angle(mask: np.ndarray) -> float:
    """Direction of the middle of a round seal's name, in degrees clockwise from 3 o'clock
    (270 for an upright seal)."""
    band = ring_band(mask)
    first, length = _name_columns(band)
    return ((first + length / 2) * 360.0 / band.shape[1]) % 360.0


def unwrap_ring(mask: np.ndarray) -> np.ndarray:
    """The name of a round seal as one straight line (ink 255), found wherever the seal is turned."""
    band = ring_band(mask)
    first, length = _name_columns(band)
    margin = band.shape[0] // 6
    return np.roll(band, margin - first, axis=1)[:, : length + 2 * margin]


def _lettering_top(strip: np.ndarray) -> int:
    """Row just inside the rim and any inner ring (rings are ink at nearly every angle)."""
    coverage = (strip > 128).mean(axis=1)  # row 0 is the outer edge
    ring_rows = np.nonzero(coverage[: len(coverage) // 4] > 0.6)[0]
    if len(ring_rows) == 0:
        return 0
    row = int(ring_rows[-1])
    while row < len(coverage) // 2 and coverage[row] > 0.3:
        row += 1  # the soft inner edge of the innermost ring
    return row + 1


def _name_columns(band: np.ndarray) -> tuple[int, int]:
    """(first column, width) of the name in the band: the complement of the widest gap.

    Only the middle of the lettering counts: name glyphs cross it, while the lower-arc code
    keeps outside it and the text below the star inside it.
    """
    width = band.shape[1]
    ink = band > 128
    rows = np.nonzero(ink.mean(axis=1) > 0.05)[0]
    if len(rows) == 0:
        return 0, width
    top, extent = int(rows[0]), int(rows[-1] - rows[0] + 1)
    middle = ink[top + int(0.42 * extent) : top + int(0.52 * extent) + 1]
    window = max(1, width // 180)  # 2 degrees: bridges the gaps inside one glyph
    lettered = _circular_smooth(middle.mean(axis=0), window) > 0.01
    if not lettered.any():
        return 0, width
    gap_start, gap_length = max(_circular_runs(~lettered), key=lambda run: run[1], default=(0, 0))
    return (gap_start + gap_length) % width, width - gap_length


def _circular_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of every run of True in a circular boolean array."""
    if flags.all():
        return [(0, len(flags))]
    shift = int(np.argmin(flags))  # start the scan on a False so no run wraps around
    runs, start = [], None
    for i, flag in enumerate([*np.roll(flags, -shift).tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append(((start + shift) % len(flags), i - start))
            start = None
    return runs


def _circular_smooth(profile: np.ndarray, window: int) -> np.ndarray:
    wrapped = np.concatenate([profile[-window:], profile, profile[:window]])
    return np.convolve(wrapped, np.ones(window) / window, mode="same")[window:-window]


def round_seal_readings(image: Image.Image) -> Iterator[Reading]:
    """What the round seal's name may read as, cheapest first: the name strip read as one line,
    then each text line detected around the whole ring (for seals laid out unlike ours)."""
    band = ring_band(ink_mask(image))
    first, length = _name_columns(band)
    margin = band.shape[0] // 6
    rolled = np.roll(band, margin - first, axis=1)
    pad = band.shape[0] // 5
    yield recognise_line(on_white(rolled[:, : length + 2 * margin], pad))
    yield from read_lines(on_white(rolled, pad))


def check_round_seal_text(
    image: Image.Image, expected_name: str, threshold: float = DEFAULT_SEAL_THRESHOLD
) -> TextCheck:
    """Return the check when the round seal reads as `expected_name`; raise SealTextMismatch otherwise."""
    return match_readings(round_seal_readings(image), expected_name, threshold, SealTextMismatch)


GRID_LAYOUTS = ((2, 2), (3, 2), (1, 2), (4, 2), (1, 1))  # (columns, rows), likeliest first
GRID_SUFFIXES = ("", "印", "之印")


def grid_seal_readings(image: Image.Image) -> Iterator[Reading]:
    """What a square or strip seal may read as. Square seals are read in grids of cells, in the
    traditional order (columns right to left, each top to bottom) and in rows."""
    block = _text_block(ink_mask(image))
    layouts = GRID_LAYOUTS
    if block.shape[1] > 1.6 * block.shape[0]:  # a strip seal: one line first
        layouts = ((1, 1), *GRID_LAYOUTS[:-1])
    for columns, rows in layouts:
        cells = _cells(block, columns, rows)
        orders = [cells] if rows == 1 else [_column_order(cells, columns, rows), cells]
        for order in orders:
            yield recognise_line(on_white(_side_by_side(order), pad=16))


def check_grid_seal_text(
    image: Image.Image, expected_name: str, threshold: float = DEFAULT_SEAL_THRESHOLD
) -> TextCheck:
    """Check a square or strip seal against a name; 印 / 之印 after the name is allowed."""
    return match_readings(grid_seal_readings(image), expected_name, threshold, SealTextMismatch, GRID_SUFFIXES)


def _text_block(mask: np.ndarray) -> np.ndarray:
    """The lettering inside a rectangular frame, cropped to its ink."""
    ink = mask > 128
    top, bottom = _frame_edge(ink.mean(axis=1)), len(ink) - _frame_edge(ink.mean(axis=1)[::-1])
    left, right = _frame_edge(ink.mean(axis=0)), ink.shape[1] - _frame_edge(ink.mean(axis=0)[::-1])
    inner = mask[top:bottom, left:right]
    ys, xs = np.nonzero(inner > 128)
    if len(xs) == 0:
        return inner
    return inner[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _frame_edge(coverage: np.ndarray) -> int:
    """Rows from the edge to just inside the frame (rows that are nearly all ink), 0 if none."""
    limit = len(coverage) // 6
    row = 0
    while row < limit and coverage[row] < 0.8:
        row += 1  # paper outside the frame
    if row == limit:
        return 0
    while row < 2 * limit and coverage[row] > 0.2:
        row += 1  # the frame and its soft inner edge
    return row


def _cells(block: np.ndarray, columns: int, rows: int) -> list[np.ndarray]:
    """Equal cells, row by row, left to right."""
    height, width = block.shape
    ys = np.linspace(0, height, rows + 1).round().astype(int)
    xs = np.linspace(0, width, columns + 1).round().astype(int)
    return [block[ys[r] : ys[r + 1], xs[c] : xs[c + 1]] for r in range(rows) for c in range(columns)]


def _column_order(cells: list[np.ndarray], columns: int, rows: int) -> list[np.ndarray]:
    return [cells[r * columns + c] for c in reversed(range(columns)) for r in range(rows)]


def _side_by_side(cells: list[np.ndarray], height: int = 64) -> np.ndarray:
    scaled = []
    for cell in cells:
        if cell.size == 0:
            continue
        width = max(1, round(cell.shape[1] * height / cell.shape[0]))
        scaled.append(cv2.resize(cell, (width, height), interpolation=cv2.INTER_AREA))
        scaled.append(np.zeros((height, height // 8), dtype=np.uint8))
    return np.hstack(scaled) if scaled else np.zeros((height, height), dtype=np.uint8)


HANDWRITING_HEIGHT = 96  # px the tight-cropped signature is scaled to before reading


def handwriting_readings(image: Image.Image) -> Iterator[Reading]:
    """The signature read as one line, then line by line (a name written on two lines)."""
    mask = ink_mask(image)
    ys, xs = np.nonzero(mask > 64)
    if len(xs) == 0:
        raise HandwritingEmpty()
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = HANDWRITING_HEIGHT / crop.shape[0]
    size = (max(1, round(crop.shape[1] * scale)), HANDWRITING_HEIGHT)
    line = on_white(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), pad=HANDWRITING_HEIGHT // 4)
    yield recognise_line(line)
    lines = read_lines(line)
    yield Reading("".join(r.text for r in lines), min((r.confidence for r in lines), default=0.0))


def check_handwriting(
    image: Image.Image, expected_name: str, threshold: float = DEFAULT_HANDWRITING_THRESHOLD
) -> TextCheck:
    """Return the check when the drawn signature reads as `expected_name`; raise HandwritingMismatch
    (or HandwritingEmpty for a blank canvas) otherwise."""
    return match_readings(handwriting_readings(image), expected_name, threshold, HandwritingMismatch)
