"""A WSGI app for the gunicorn log-redaction test: 404 for every path, an exception under /h5/."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"].startswith("/h5/"):
        raise RuntimeError("the view failed")
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]
