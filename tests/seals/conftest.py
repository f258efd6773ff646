from __future__ import annotations

import socket
from typing import Any

import numpy as np
import pytest

from inkseal.seals import checks


@pytest.fixture(scope="session")
def ocr() -> Any:
    """The process-wide OCR engine, created (with both its models loaded) once for the session
    while the network is cut off: the models must come from the installed wheel."""
    real_connect = socket.socket.connect

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access while loading the OCR engine")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        engine = checks.ocr_engine()
        blank = checks.on_white(np.zeros((48, 96), np.uint8))
        checks.recognise_line(blank)
        checks.read_lines(blank)
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
    return engine
