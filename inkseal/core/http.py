from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer address. Behind a trusted proxy, have the proxy set REMOTE_ADDR
    (e.g. gunicorn --forwarded-allow-ips); forwarded headers are not trusted here."""
    return str(request.META.get("REMOTE_ADDR", ""))
