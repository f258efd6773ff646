"""The trading platforms' OAuth 2.0 token endpoint (client credentials; HTTP Basic or form fields).
The bearer token it issues authenticates the signing API (inkseal.signing.tasks.api)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import unquote

from django.http import HttpRequest
from ninja import Form, Router, Schema

from inkseal.platforms.errors import UnsupportedGrantType
from inkseal.platforms.services import do_issue_token

oauth_router = Router(tags=["oauth"])


class TokenOut(Schema):
    access_token: str
    token_type: str
    expires_in: int


@oauth_router.post("/token", response=TokenOut, summary="OAuth 2.0 client credentials token", auth=None)
def token(
    request: HttpRequest,
    grant_type: Form[str] = "client_credentials",
    client_id: Form[str] = "",
    client_secret: Form[str] = "",
) -> dict[str, Any]:
    client_id, client_secret = _basic_credentials(request) or (client_id, client_secret)
    if grant_type != "client_credentials":
        raise UnsupportedGrantType("grant_type must be client_credentials")
    access, lifetime = do_issue_token(client_id, client_secret)
    return {"access_token": access, "token_type": "Bearer", "expires_in": lifetime}


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)
