"""OCSP and time stamps straight from WSGI, before Django's request handling.

`protocol_endpoints(application)` wraps the Django application: a well-formed POST to /pki/ocsp
(RFC 6960) or /pki/tsa (RFC 3161) — the right media type and a Content-Length within the
protocol's bound — is answered here by the same responder objects the views use, without the
middleware stack (sessions, CSRF, locale, authentication, messages: none of which these public,
stateless, binary endpoints use) or URL resolving. Everything else, including every request these
checks refuse and the GET form of OCSP, goes to Django unchanged, where the views give the
translated 4xx answers; the body is never read before that decision.

The database connection a thread used here is kept for its next request (Django closes it after
each of its own requests); after an error it is closed if unusable, as Django would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections

from inkseal.pki import ocsp, tsa
from inkseal.pki.responders import ocsp_responder, time_stamp_authority

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

OCSP_PATH, OCSP_REQUEST, OCSP_RESPONSE = "/pki/ocsp", "application/ocsp-request", "application/ocsp-response"
TSA_PATH, TSA_QUERY, TSA_REPLY = "/pki/tsa", "application/timestamp-query", "application/timestamp-reply"


def _declared_length(environ: dict[str, Any], limit: int) -> int:
    """The Content-Length if it is a number in 1..limit, else 0 (Django answers those)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
    return length if 0 < length <= limit else 0


def _media_type(environ: dict[str, Any]) -> str:
    return str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()


def _read(environ: dict[str, Any], length: int) -> bytes:
    stream, body = environ["wsgi.input"], b""
    while len(body) < length:
        chunk = stream.read(length - len(body))
        if not chunk:
            break
        body += chunk
    return body


def _answer(environ: dict[str, Any]) -> tuple[bytes, str] | None:
    """(answer, media type) for a request handled here, None to leave it to Django (unread)."""
    path, media = environ.get("PATH_INFO"), _media_type(environ)
    if path == OCSP_PATH and media == OCSP_REQUEST:
        if length := _declared_length(environ, ocsp.MAX_REQUEST_SIZE):
            return ocsp_responder().respond(_read(environ, length)), OCSP_RESPONSE
    elif path == TSA_PATH and media == TSA_QUERY:
        length = _declared_length(environ, tsa.MAX_REQUEST_SIZE)
        if length and (authority := time_stamp_authority()) is not None:
            return authority.respond(_read(environ, length)), TSA_REPLY
    return None


def protocol_endpoints(application: WsgiApp) -> WsgiApp:
    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return application(environ, start_response)
        try:
            handled = _answer(environ)
        except Exception:
            close_old_connections()  # drop a broken database connection, as Django would
            raise
        if handled is None:
            return application(environ, start_response)
        body, content_type = handled
        start_response(
            "200 OK",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    return serve
