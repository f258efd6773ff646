"""Gunicorn hooks for `inkseal serve` (loaded with `--config python:inkseal.core.warmup`).

Each worker loads the OCR engine and its models once, right after it has loaded the Django
application and before it takes its first request, so that no user's form waits for them.
Django's own start (management commands, the CLI) never imports OpenCV, RapidOCR or ONNX
Runtime: only this hook and the functions that read pictures do.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Load what the picture-reading forms need, once per process."""
    from inkseal.core import ocr  # heavy imports (cv2, rapidocr, onnxruntime) happen here

    ocr.warm_up()


def post_worker_init(worker: Any) -> None:
    start = time.perf_counter()
    try:
        warm_up()
    except Exception:  # a worker that cannot warm up still serves; the first OCR form loads it
        log.exception("OCR warm-up failed")
        return
    log.info("OCR engine loaded in %.1f s", time.perf_counter() - start)
