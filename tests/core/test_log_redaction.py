"""Secrets in URL paths (confirmation and face hand-off links) never reach a log."""

from __future__ import annotations

import logging
import re
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from inkseal.core.logredact import REDACTED, redact
from inkseal.core.management.commands.serve import gunicorn_argv

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/sign/confirm/{t}", "/sign/confirm/{t}/documents/1/pages/1.png", "/api/v1/confirm/{t}/progress", "/h5/face/{t}"],
)
def test_a_refused_secret_link_is_logged_without_its_secret(client: Any, caplog: Any, path: str) -> None:
    token = secrets.token_urlsafe(32)
    response = client.get(path.format(t=token))
    assert response.status_code == 404
    assert "Not Found" in caplog.text  # django.request logged the refusal ...
    assert REDACTED in caplog.text
    assert token not in caplog.text  # ... without the token


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


def test_every_route_with_a_token_in_its_path_is_redacted() -> None:
    token_routes = [r for r in _routes(get_resolver().url_patterns) if re.search(r"<(\w+:)?token>", r)]
    assert len(token_routes) >= 6  # confirm pages, confirm API, face hand-off
    for route in token_routes:
        secret = secrets.token_urlsafe(16)
        path = "/" + re.sub(r"<(\w+:)?(\w+)>", lambda m: secret if m.group(2) == "token" else "1", route)
        assert secret not in redact(f'GET {path} HTTP/1.1 "https://example.test{path}"'), route


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_gunicorn_access_and_error_logs_carry_no_secret(tmp_path: Path) -> None:
    """`inkseal serve`'s gunicorn command line, serving a small app that refuses or fails."""
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    argv = gunicorn_argv(f"127.0.0.1:{port}", 1, 2, app="tests.core.redaction_app:app")
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            confirm, face, referer = (secrets.token_urlsafe(32) for _ in range(3))
            assert _get(f"{base}/sign/confirm/{confirm}", Referer=f"{base}/sign/confirm/{referer}") == 404
            assert _get(f"{base}/h5/face/{face}/video") == 500
        finally:
            process.terminate()
            process.wait(timeout=10)
    text = log.read_text()
    assert '"GET /sign/confirm/[redacted]" 404' in text  # the access log line
    assert re.search(r"Error handling request (GET )?/h5/face/\[redacted\]/video", text)  # the error log
    for token in (confirm, face, referer):
        assert token not in text


def test_a_server_error_traceback_is_redacted_too(caplog: Any) -> None:
    token = secrets.token_urlsafe(32)
    try:
        raise RuntimeError(f"upstream refused https://example.test/h5/face/{token}/video")
    except RuntimeError:
        logging.getLogger("django.request").error("Internal Server Error: %s", f"/sign/confirm/{token}", exc_info=True)
    assert "Internal Server Error: /sign/confirm/[redacted]" in caplog.text
    assert "RuntimeError: upstream refused https://example.test/h5/face/[redacted]/video" in caplog.text
    assert token not in caplog.text
