"""A small OpenID provider (authorization code + PKCE S256) so that Inkseal can log users in.

Only what the demo needs: discovery, authorize, token (client_secret_basic or _post), JWKS and
userinfo. ID tokens are ES256-signed; codes are single use and live 60 seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from jwt.algorithms import ECAlgorithm

from examples.procurement_portal import demo
from examples.procurement_portal.models import AuthorizationCode

KID = "portal-es256-1"


def _issuer() -> str:
    return str(settings.PORTAL_BASE_URL)


def _error(code: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": code, "error_description": description}, status=status)


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    base = _issuer()
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/oidc/authorize",
            "token_endpoint": f"{base}/oidc/token",
            "jwks_uri": f"{base}/oidc/jwks",
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "phone"],
            "claims_supported": ["sub", "name", "phone_number", "id_number"],
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    public = json.loads(ECAlgorithm.to_jwk(demo.oidc_signing_key().public_key()))
    public.update({"kid": KID, "use": "sig", "alg": "ES256"})
    return JsonResponse({"keys": [public]})


@login_required
@require_GET
def authorize(request: HttpRequest) -> HttpResponse:
    sso = demo.sso()
    params = request.GET
    if params.get("client_id") != sso["oidc_client_id"] or params.get("redirect_uri") != sso["oidc_redirect_uri"]:
        return _error("invalid_request", "unknown client_id or redirect_uri")
    if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
        return _error("unsupported_response_type", "response_type=code with scope openid is required")
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return _error("invalid_request", "PKCE with S256 is required")
    code = AuthorizationCode.objects.create(
        code=secrets.token_urlsafe(32),
        user=request.user,
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        code_challenge=params["code_challenge"],
        nonce=params.get("nonce", ""),
        scope=params.get("scope", ""),
        expires_at=timezone.now() + timedelta(seconds=60),
    )
    query = urlencode({"code": code.code, "state": params.get("state", "")})
    return HttpResponseRedirect(f"{params['redirect_uri']}?{query}")


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", ""
        return client_id, secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode()).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


def _id_token(code: AuthorizationCode) -> str:
    bidder = code.user.bidder  # type: ignore[attr-defined]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": _issuer(),
        "aud": code.client_id,
        "sub": code.user.username,  # stable: Inkseal links this subject to the person
        "iat": now,
        "exp": now + 300,
        "nonce": code.nonce,
        "name": bidder.name,
        "phone_number": bidder.phone,
    }
    if bidder.id_number:
        claims["id_number"] = bidder.id_number
    return jwt.encode(claims, demo.oidc_signing_key(), algorithm="ES256", headers={"kid": KID})


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    sso = demo.sso()
    client_id, secret = _client_credentials(request)
    if client_id != sso["oidc_client_id"] or not hmac.compare_digest(secret, sso["oidc_client_secret"]):
        return _error("invalid_client", "client authentication failed", 401)
    if request.POST.get("grant_type") != "authorization_code":
        return _error("unsupported_grant_type", "only authorization_code")
    with transaction.atomic():
        code = (
            AuthorizationCode.objects.select_for_update(no_key=True).filter(code=request.POST.get("code", "")).first()
        )
        if code is None or code.used or code.expires_at < timezone.now() or code.client_id != client_id:
            return _error("invalid_grant", "code unknown, expired or already used")
        code.used = True
        code.save(update_fields=["used"])
    if request.POST.get("redirect_uri") != code.redirect_uri:
        return _error("invalid_grant", "redirect_uri mismatch")
    if not _pkce_matches(request.POST.get("code_verifier", ""), code.code_challenge):
        return _error("invalid_grant", "PKCE verification failed")
    return JsonResponse(
        {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": _id_token(code),
            "scope": code.scope,
        }
    )


@require_GET
def userinfo(request: HttpRequest) -> JsonResponse:
    return _error("invalid_token", "userinfo is not offered by the demo; use the ID token claims", 401)
