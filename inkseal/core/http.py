"""The web edge of the core: the client's address, and the one mapping from a DomainError to HTTP.

Pages (core.middleware.DomainErrorMiddleware) and the API (the NinjaAPI exception handler in
inkseal.api) both answer a refusal through `error_response`: the error's `status`, and either
JSON `{"error": code, "message": …, "details"?: …}` or the error page, with Retry-After
when the error says when to try again.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from inkseal.core.errors import DomainError


def client_ip(request: HttpRequest) -> str:
    """The peer address. Behind a trusted proxy, have the proxy set REMOTE_ADDR
    (e.g. gunicorn --forwarded-allow-ips); forwarded headers are not trusted here."""
    return str(request.META.get("REMOTE_ADDR", ""))


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def error_json(error: DomainError) -> JsonResponse:
    response = JsonResponse(error.as_dict(), status=error.status)
    with_retry_after(response, error)
    return response


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    if wants_json(request):
        return error_json(error)
    return with_retry_after(render(request, "portal/error.html", {"error": error}, status=error.status), error)


def with_retry_after(response: HttpResponse, error: DomainError) -> HttpResponse:
    """A refusal that says when to try again (`retry_after` seconds, e.g. pdf_parser_busy) gets
    the Retry-After header."""
    retry_after = error.details.get("retry_after")
    if isinstance(retry_after, int) and response.status_code in (429, 503):
        response["Retry-After"] = str(retry_after)
    return response
