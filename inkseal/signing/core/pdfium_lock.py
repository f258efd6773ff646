"""One lock for every use of PDFium in a process.

PDFium is not thread-safe: pypdfium2 asks that all calls into the library, closing documents
included, be serialised within a process. Web workers serve requests on several threads, and
two confirm-page previews rendered at once crashed a worker (a segfault in PDFium). So every
in-process user of PDFium holds this lock from opening a document until it is closed. It is
re-entrant, so a locked function may call another.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

PDFIUM_LOCK = threading.RLock()

P = ParamSpec("P")
R = TypeVar("R")


def serialised(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` (which opens and closes its PDFium documents) under PDFIUM_LOCK."""

    @functools.wraps(function)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        with PDFIUM_LOCK:
            return function(*args, **kwargs)

    return locked
