"""Gunicorn hooks for `inkseal serve` (loaded with `--config python:inkseal.core.warmup`).

Each worker loads the OCR engine and its models once, right after it has loaded the Django
application and before it takes its first request, so that no user's form waits for them.
Django's own start (management commands, the CLI) never imports OpenCV, RapidOCR or ONNX
Runtime: only this hook and the functions that read pictures do.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Load what the picture-reading forms need, once per process."""
    from inkseal.core import ocr  # heavy imports (cv2, rapidocr, onnxruntime) happen here

    ocr.warm_up()


def post_worker_init(worker: Any) -> None:
    # INKSEAL_OCR_WARMUP=0: the first picture form loads it instead (test topologies that only sign)
    if os.environ.get("INKSEAL_OCR_WARMUP", "1").strip().lower() in {"0", "false", "no", "off"}:
        return
    start = time.perf_counter()
    try:
        warm_up()
    except Exception:  # a worker that cannot warm up still serves; the first OCR form loads it
        log.exception("OCR warm-up failed")
        return
    log.info("OCR engine loaded in %.1f s", time.perf_counter() - start)
