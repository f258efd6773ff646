from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from inkseal.core.errors import DomainError


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    if wants_json(request):
        response: HttpResponse = JsonResponse(error.as_dict(), status=error.status)
    else:
        response = render(request, "portal/error.html", {"error": error}, status=error.status)
    return with_retry_after(response, error)


def with_retry_after(response: HttpResponse, error: DomainError) -> HttpResponse:
    """A refusal that says when to try again (`retry_after` seconds, e.g. pdf_parser_busy) gets
    the Retry-After header."""
    retry_after = error.details.get("retry_after")
    if isinstance(retry_after, int) and response.status_code in (429, 503):
        response["Retry-After"] = str(retry_after)
    return response


class DomainErrorMiddleware:
    """Turns a DomainError escaping a view into a 4xx page (or JSON for API callers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return error_response(request, exception)
        return None


class ContentSecurityPolicyMiddleware:
    """Adds settings.CONTENT_SECURITY_POLICY to every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
