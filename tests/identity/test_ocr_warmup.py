"""The OCR engine is loaded by server workers at start, never by Django's own start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from inkseal.core import ocr, warmup

ROOT = Path(__file__).resolve().parents[2]


def test_django_start_does_not_load_the_ocr_engine(tmp_path):
    probe = "import django, sys; django.setup(); print(sorted({'rapidocr', 'onnxruntime'} & set(sys.modules)))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "inkseal.settings", "INKSEAL_VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_worker_loads_both_ocr_models_before_its_first_request():
    warmup.post_worker_init(worker=None)
    engine = ocr.ocr_engine()
    assert engine.text_det is not None and engine.text_rec is not None  # RapidOCR loads each lazily
