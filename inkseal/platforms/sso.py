"""Signed jump tickets (GET /sso/jump): verification of the JWT a trading platform sends.

Checks, each with its own error code: the platform knows tickets; the header's alg is the
platform's registered one (no algorithm confusion); signature; iss; aud; exp, iat and a
lifetime of at most five minutes; jti used once; the identity claims are well-formed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.errors import SsoError
from inkseal.core.idnumbers import is_valid_id_number, is_valid_phone
from inkseal.platforms.models import TradingPlatform, UsedTicket
from inkseal.platforms.services import ticket_secret

MAX_TICKET_BYTES = 8192


@dataclass(frozen=True)
class SsoClaims:
    """Who the platform says the user is, whatever SSO method brought it."""

    subject: str
    name: str
    phone: str
    id_number: str = ""
    entry: str = ""  # "enterprise" or "personal": which 电子签章 entry the user clicked
    # The enterprise (统一社会信用代码) the platform says the user acts for: only a hint of which
    # membership to use; the person's membership decides, never this claim.
    enterprise: str = ""


def _error(code: str, message: Any, status: int = 403) -> SsoError:
    return SsoError(message, code=code, status=status)


def _key(platform: TradingPlatform) -> Any:
    if platform.ticket_algorithm == TradingPlatform.TicketAlgorithm.HS256:
        return ticket_secret(platform)
    return platform.ticket_public_key


def _decode(platform: TradingPlatform, ticket: str) -> dict[str, Any]:
    if not ticket or len(ticket) > MAX_TICKET_BYTES:
        raise _error("ticket_malformed", _("票据缺失或格式错误。"), 400)
    try:
        header = jwt.get_unverified_header(ticket)
    except jwt.PyJWTError:
        raise _error("ticket_malformed", _("票据缺失或格式错误。"), 400)
    if header.get("alg") != platform.ticket_algorithm:
        raise _error("ticket_bad_signature", _("票据签名算法与平台登记的不一致。"))
    try:
        claims: dict[str, Any] = jwt.decode(
            ticket,
            _key(platform),
            algorithms=[platform.ticket_algorithm],
            audience=settings.SSO_AUDIENCE,
            issuer=platform.expected_ticket_issuer,
            leeway=settings.SSO_CLOCK_SKEW,
            options={"require": ["iss", "aud", "exp", "iat", "jti", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise _error("ticket_expired", _("票据已过期，请回到交易平台重新点击“电子签章”。"))
    except jwt.ImmatureSignatureError:
        raise _error("ticket_not_yet_valid", _("票据的签发时间晚于当前时间。"))
    except jwt.InvalidAudienceError:
        raise _error("ticket_wrong_audience", _("票据的接收方（aud）不是本平台。"))
    except jwt.InvalidIssuerError:
        raise _error("ticket_wrong_issuer", _("票据的签发方（iss）与交易平台不符。"))
    except jwt.InvalidSignatureError:
        raise _error("ticket_bad_signature", _("票据签名验证失败。"))
    except jwt.MissingRequiredClaimError as exc:
        raise _error("ticket_malformed", _("票据缺少必需的字段：%(claim)s。") % {"claim": exc.claim}, 400)
    except (jwt.PyJWTError, ValueError, TypeError):
        raise _error("ticket_malformed", _("票据缺失或格式错误。"), 400)
    return claims


def _check_lifetime(claims: dict[str, Any]) -> datetime:
    try:
        iat, exp = int(claims["iat"]), int(claims["exp"])
    except (TypeError, ValueError):
        raise _error("ticket_malformed", _("票据缺失或格式错误。"), 400)
    now = datetime.now(UTC).timestamp()
    if iat > now + settings.SSO_CLOCK_SKEW:
        raise _error("ticket_not_yet_valid", _("票据的签发时间晚于当前时间。"))
    if exp - iat > settings.SSO_TICKET_MAX_LIFETIME:
        raise _error("ticket_lifetime_too_long", _("票据有效期超过5分钟，已拒绝。"))
    return datetime.fromtimestamp(exp, UTC)


def _identity_claims(claims: dict[str, Any]) -> SsoClaims:
    name = str(claims.get("name") or "").strip()
    phone = str(claims.get("phone") or claims.get("phone_number") or "").strip()
    id_number = str(claims.get("id_number") or "").strip().upper()
    if not name or not is_valid_phone(phone):
        raise _error("ticket_malformed", _("票据中的姓名或手机号缺失或格式错误。"), 400)
    if id_number and not is_valid_id_number(id_number):
        raise _error("ticket_malformed", _("票据中的身份证号校验失败。"), 400)
    entry = "enterprise" if claims.get("entry") == "enterprise" else "personal"
    enterprise = str(claims.get("enterprise_uscc") or "").strip().upper()[:18]
    return SsoClaims(
        subject=str(claims["sub"])[:255],
        name=name,
        phone=phone,
        id_number=id_number,
        entry=entry,
        enterprise=enterprise,
    )


def _consume(platform: TradingPlatform, jti: str, expires_at: datetime) -> None:
    try:
        with transaction.atomic():
            UsedTicket.objects.create(platform=platform, jti=jti[:255], expires_at=expires_at)
    except IntegrityError:
        raise _error("ticket_replayed", _("票据已被使用过，请回到交易平台重新点击“电子签章”。"))


def verify_jump_ticket(platform: TradingPlatform | None, ticket: str) -> SsoClaims:
    if platform is None:
        raise _error("platform_unknown", _("未知或已停用的交易平台。"), 404)
    if not platform.ticket_algorithm:
        raise _error("ticket_not_enabled", _("该交易平台未启用跳转票据登录。"))
    claims = _decode(platform, ticket)
    expires_at = _check_lifetime(claims)
    identity = _identity_claims(claims)
    _consume(platform, str(claims["jti"]), expires_at)
    return identity
