from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from inkseal.accounts import session as portal_session


class PortalIdentityMiddleware:
    """Sets request.person and request.identity from the portal session (None when logged out),
    and the session's origin (a platform's SSO) for the audit rows written while serving it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person, identity = portal_session.load(request)
        request.person = person  # type: ignore[attr-defined]
        request.identity = identity  # type: ignore[attr-defined]
        platform = portal_session.sso_platform(request) if person is not None else ""
        token = portal_session.origin.set(f"sso:{platform}" if platform else "")
        try:
            return self.get_response(request)
        finally:
            portal_session.origin.reset(token)
