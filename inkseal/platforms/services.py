"""Trading platform secrets: set and read the encrypted SSO secrets."""

from __future__ import annotations

from inkseal.core.crypto import decrypt, encrypt
from inkseal.platforms.models import TradingPlatform


def _purpose(platform: TradingPlatform, what: str) -> str:
    return f"platform:{platform.code}:{what}"


def set_ticket_secret(platform: TradingPlatform, secret: str) -> None:
    platform.ticket_secret_enc = encrypt(secret, _purpose(platform, "ticket")) if secret else ""


def ticket_secret(platform: TradingPlatform) -> str:
    return decrypt(platform.ticket_secret_enc, _purpose(platform, "ticket")) if platform.ticket_secret_enc else ""


def set_oidc_client_secret(platform: TradingPlatform, secret: str) -> None:
    platform.oidc_client_secret_enc = encrypt(secret, _purpose(platform, "oidc")) if secret else ""


def oidc_client_secret(platform: TradingPlatform) -> str:
    if not platform.oidc_client_secret_enc:
        return ""
    return decrypt(platform.oidc_client_secret_enc, _purpose(platform, "oidc"))


def platform_by_code(code: str) -> TradingPlatform | None:
    return TradingPlatform.objects.filter(code=code, enabled=True).first()
