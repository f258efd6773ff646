"""Refusals of the platforms app's own endpoints."""

from __future__ import annotations

from inkseal.core.errors import DomainError, gettext_lazy


class UnsupportedGrantType(DomainError):
    """OAuth 2.0 token request with a grant other than client_credentials (RFC 6749 §5.2)."""

    code = "unsupported_grant_type"
    default_message = gettext_lazy("grant_type 须为 client_credentials。")
