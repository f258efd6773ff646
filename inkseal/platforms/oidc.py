"""OpenID Connect relying party (authorization code + PKCE) with Authlib.

The trading platform is the OpenID provider. The state, PKCE verifier and nonce live in the
user's session between the redirect out and the callback; the ID token is verified against the
provider's JWKS (signature, iss, aud, exp, nonce) before any claim is believed.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.errors import SsoError
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import oidc_client_secret
from inkseal.platforms.sso import SsoClaims, _identity_claims

SESSION_KEY = "oidc_pending"
HTTP_TIMEOUT = 10


def _error(code: str, message: Any, status: int = 403) -> SsoError:
    return SsoError(message, code=code, status=status)


def _metadata(platform: TradingPlatform) -> dict[str, Any]:
    url = platform.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        metadata: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError):
        raise _error("oidc_provider_unreachable", _("无法连接交易平台的身份认证服务，请稍后再试。"), 502)
    if metadata.get("issuer", "").rstrip("/") != platform.oidc_issuer.rstrip("/"):
        raise _error("oidc_issuer_mismatch", _("交易平台身份认证服务的 issuer 与登记的不一致。"), 502)
    return metadata


def _client(platform: TradingPlatform, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=platform.oidc_client_id,
        client_secret=oidc_client_secret(platform),
        scope=platform.oidc_scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )


def begin(platform: TradingPlatform, redirect_uri: str, session: Any, next_url: str = "", entry: str = "") -> str:
    """Return the provider's authorization URL; remember state, verifier and nonce in the session."""
    if not platform.oidc_enabled:
        raise _error("oidc_not_enabled", _("该交易平台未启用 OpenID Connect 登录。"))
    metadata = _metadata(platform)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    uri, state = _client(platform, redirect_uri).create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    pending = dict(session.get(SESSION_KEY, {}))
    pending[state] = {"platform": platform.code, "verifier": verifier, "nonce": nonce, "next": next_url, "entry": entry}
    session[SESSION_KEY] = dict(list(pending.items())[-5:])
    return str(uri)


def complete(
    platform: TradingPlatform, redirect_uri: str, session: Any, params: dict[str, str]
) -> tuple[SsoClaims, str]:
    """Exchange the code, verify the ID token, and return the identity claims and the next URL."""
    if params.get("error"):
        raise _error("oidc_denied", _("交易平台拒绝了登录请求：%(e)s") % {"e": params["error"][:100]})
    pending = dict(session.get(SESSION_KEY, {}))
    state = params.get("state", "")
    flow = pending.pop(state, None)
    session[SESSION_KEY] = pending
    if not flow or flow["platform"] != platform.code or not params.get("code"):
        raise _error("oidc_state_invalid", _("登录请求已失效或被重复使用，请回到交易平台重新点击“电子签章”。"), 400)
    metadata = _metadata(platform)
    try:
        token = _client(platform, redirect_uri).fetch_token(
            metadata["token_endpoint"], code=params["code"], code_verifier=flow["verifier"], timeout=HTTP_TIMEOUT
        )
    except Exception as exc:  # Authlib raises several types for a refused exchange
        raise _error("oidc_token_failed", _("交易平台未能完成登录（授权码换取令牌失败）。"), 502) from exc
    claims = _verify_id_token(platform, metadata, token.get("id_token", ""), flow["nonce"])
    identity = dataclasses.replace(_identity_claims(claims), entry=flow.get("entry", ""))
    return identity, flow.get("next", "")


def _verify_id_token(platform: TradingPlatform, metadata: dict[str, Any], id_token: str, nonce: str) -> dict[str, Any]:
    try:
        jwks = requests.get(metadata["jwks_uri"], timeout=HTTP_TIMEOUT).json()
        header = jwt.get_unverified_header(id_token)
        key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=["ES256", "RS256"],
            audience=platform.oidc_client_id,
            issuer=metadata["issuer"],
            leeway=settings.SSO_CLOCK_SKEW,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except (requests.RequestException, jwt.PyJWTError, KeyError, ValueError) as exc:
        raise _error("oidc_id_token_invalid", _("交易平台返回的身份令牌验证失败。"), 403) from exc
    if claims.get("nonce") != nonce:
        raise _error("oidc_nonce_mismatch", _("身份令牌的 nonce 不匹配，登录已拒绝。"))
    return claims
