"""The offline OCR engine shared by the seal checks (seals.checks) and the licence reader
(identity.providers.licence_ocr).

Pure (no Django). RapidOCR's PP-OCR models ship inside its wheel; nothing is downloaded. The
engine is created once per process, on first use or by `warm_up` when a server worker starts,
and calls into it are serialised (the engine keeps per-call options on itself, so it is not
safe to call concurrently). ONNX Runtime gets one thread per call: the server's worker
processes are the parallelism, and on a busy machine two spinning threads per call were slower
than one (bench/forms_bench.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float


@dataclass(frozen=True)
class TextBox:
    """A detected line of text: its corners (clockwise from top left) in the image's pixels."""

    corners: np.ndarray

    @property
    def top(self) -> float:
        return float(self.corners[:, 1].min())

    @property
    def bottom(self) -> float:
        return float(self.corners[:, 1].max())

    @property
    def left(self) -> float:
        return float(self.corners[:, 0].min())


# --- the engine ---------------------------------------------------------------------------

_engine: Any = None
_engine_lock = threading.Lock()
_call_lock = threading.Lock()


def ocr_engine() -> Any:
    """The process-wide RapidOCR engine, created on first use."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from rapidocr import RapidOCR  # heavy import (onnxruntime): only when first needed

                _engine = RapidOCR(
                    params={
                        "Global.log_level": "error",
                        # Our inputs are small, tight crops: never blow them up to 736 px.
                        "Det.limit_type": "max",
                        "Det.limit_side_len": 960,
                        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    }
                )
    return _engine


def warm_up() -> None:
    """Create the engine and load both its models (RapidOCR loads each on its first use), so that
    a server worker pays for them once at start, not in a user's first request."""
    blank = np.full((48, 96, 3), 255, np.uint8)  # a white 3-channel image, as the recogniser reads
    recognise_line(blank)
    read_lines(blank)


def recognise_line(image: np.ndarray) -> Reading:
    """Read one line of text filling `image` (dark on light), without text detection."""
    with _call_lock:
        result = ocr_engine()(image, use_det=False, use_cls=False, use_rec=True)
    return _reading(result.txts, result.scores)


def read_lines(image: np.ndarray) -> list[Reading]:
    """Detect and read every text line in `image`, top to bottom."""
    with _call_lock:
        result = ocr_engine()(image, use_det=True, use_cls=False, use_rec=True)
    return [Reading(text, float(score)) for text, score in zip(result.txts or (), result.scores or (), strict=True)]


def detect_lines(image: np.ndarray) -> list[TextBox]:
    """Where the text lines of `image` are, without reading them (reading is the slow part)."""
    with _call_lock:
        result = ocr_engine()(image, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(result, "boxes", None)
    return [TextBox(np.asarray(corners, dtype=np.float32)) for corners in (boxes if boxes is not None else ())]


def recognise_box(image: np.ndarray, box: TextBox) -> Reading:
    """Read the one line of text inside `box` (straightened if the photo turned it)."""
    from rapidocr.utils.process_img import get_rotate_crop_image

    return recognise_line(get_rotate_crop_image(image, box.corners))


def _reading(texts: tuple[str, ...] | None, scores: tuple[float, ...] | None) -> Reading:
    if not texts:
        return Reading("", 0.0)
    return Reading("".join(texts), float(np.mean(scores)) if scores else 0.0)
