"""The portal's client for Inkseal's signing API (server to server, client credentials).

Every call has a timeout; errors become InksealError with a message to show on the page.
The bearer token is cached until shortly before it expires, and fetched again once when Inkseal
answers 401 (e.g. after Inkseal's database was rebuilt).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from examples.procurement_portal import demo


class InksealError(Exception):
    """Inkseal refused a request (4xx/5xx) or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class _Token:
    key: tuple[str, str, str]
    value: str
    expires: float


_lock = threading.Lock()
_cached: _Token | None = None


def _timeout() -> tuple[float, float]:
    return tuple(settings.INKSEAL_TIMEOUT)  # type: ignore[return-value]


def _error_from(response: requests.Response, what: str) -> InksealError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("error") or "")
    message = str(body.get("message") or body.get("error_description") or body.get("detail") or "").strip()
    if not message:
        message = response.text[:200].strip() or response.reason or ""
    label = f"HTTP {response.status_code}" + (f" {code}" if code else "")
    return InksealError(f"电子签章平台拒绝了{what}（{label}）：{message}", status=response.status_code, code=code)


def _send(method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
    try:
        return requests.request(method, url, timeout=_timeout(), allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise InksealError(f"无法连接电子签章平台（{what}）：{type(exc).__name__}") from exc


def _token(refresh: bool = False) -> str:
    global _cached
    api = demo.api()
    key = (api["token_url"], api["client_id"], api["client_secret"])
    with _lock:
        if not refresh and _cached is not None and _cached.key == key and _cached.expires > time.time():
            return _cached.value
        response = _send(
            "POST",
            api["token_url"],
            "获取访问令牌",
            data={"grant_type": "client_credentials"},
            auth=(api["client_id"], api["client_secret"]),
        )
        if response.status_code != 200:
            _cached = None
            raise _error_from(response, "获取访问令牌")
        body = response.json()
        _cached = _Token(key, str(body["access_token"]), time.time() + int(body.get("expires_in", 60)) - 30)
        return _cached.value


def _call(method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
    url = f"{demo.inkseal_url()}{path}"
    headers = dict(kwargs.pop("headers", {}))
    for attempt in (1, 2):
        headers["Authorization"] = f"Bearer {_token(refresh=attempt == 2)}"
        response = _send(method, url, what, headers=headers, **kwargs)
        if response.status_code != 401:
            break
    if response.status_code >= 400:
        raise _error_from(response, what)
    return response


def create_sign_task(files: list[tuple[str, bytes]], spec: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    """POST /api/v1/sign-tasks: 201 (created) or 200 (the same Idempotency-Key as before)."""
    response = _call(
        "POST",
        "/api/v1/sign-tasks",
        "签章请求",
        headers={"Idempotency-Key": idempotency_key},
        data={"spec": json.dumps(spec, ensure_ascii=False)},
        files=[("files", (name, data, _media_type(data))) for name, data in files],
    )
    return dict(response.json())


def _media_type(data: bytes) -> str:
    """Inkseal tells PDF from OFD by the content; the part's type is only informative."""
    return "application/ofd" if data.startswith(b"PK\x03\x04") else "application/pdf"


def get_sign_task(task_id: str) -> dict[str, Any]:
    return dict(_call("GET", f"/api/v1/sign-tasks/{task_id}", "查询签章任务").json())


def get_signed_document(task_id: str, n: int) -> tuple[bytes, str]:
    """The signed PDF or OFD and the SHA-256 Inkseal announces for it."""
    response = _call("GET", f"/api/v1/sign-tasks/{task_id}/documents/{n}", "下载签章文件")
    return response.content, response.headers.get("X-Content-SHA256", "")
