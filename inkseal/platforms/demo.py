"""The demo trading platform (际华集团电子化采购平台-style demo portal, examples/procurement_portal)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from inkseal.accounts.models import Person
from inkseal.conf import secret_file
from inkseal.core.acting import Acting
from inkseal.platforms.models import PlatformLink, TradingPlatform
from inkseal.platforms.services import do_link_platform, live_link, set_oidc_client_secret

DEMO_CODE = "jihua"
DEMO_NAME = "际华集团电子化采购平台（演示）"


def _ticket_key() -> tuple[Path, str]:
    """The demo portal's ES256 ticket-signing key (private half stays in var/secrets, 0600)."""
    path = Path(settings.VAR_DIR) / "secrets" / "demo_portal_ticket_es256.pem"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode()


def _link_demo_people(platform: TradingPlatform, document: dict[str, Any]) -> None:
    """The demo portal may sign its users in: each demo person is linked to it under the portal
    username (its SSO subject), as if they had proved it once with an SMS code."""
    for spec in document.get("people", []):
        person = Person.objects.get(phone=spec["phone"])
        if live_link(platform, person, spec["key"]) is None:
            do_link_platform(
                platform, person, spec["key"], method=PlatformLink.Method.SEED, acting=Acting.system("demo")
            )


def demo_step(document: dict[str, Any]) -> None:
    key_path, public_pem = _ticket_key()
    client_secret = secret_file("demo_portal_oidc_client_secret", 32)
    platform, _ = TradingPlatform.objects.get_or_create(code=DEMO_CODE, defaults={"name": DEMO_NAME})
    platform.name = DEMO_NAME
    platform.ticket_algorithm = TradingPlatform.TicketAlgorithm.ES256
    platform.ticket_issuer = DEMO_CODE
    platform.ticket_public_key = public_pem
    platform.oidc_enabled = True
    platform.oidc_issuer = document["portal_url"]
    platform.oidc_client_id = "inkseal"
    set_oidc_client_secret(platform, client_secret)
    platform.save()
    _link_demo_people(platform, document)
    document["portal_users"] = [
        {
            "username": person["key"],
            "password": secret_file(f"demo_portal_password_{person['key']}", 9),
            "name": person["name"],
            "phone": person["phone"],
            "id_number": person["id_number"],
            "company": document["enterprise"]["name"]
            if person["phone"] == document["enterprise"]["admin_phone"]
            else "",
        }
        for person in document.get("people", [])
    ]
    document["platform"] = {
        "code": platform.code,
        "name": platform.name,
        "sso": {
            "jump_url": f"{document['inkseal_url']}/sso/jump",
            "ticket_algorithm": "ES256",
            "ticket_issuer": platform.expected_ticket_issuer,
            "ticket_audience": settings.SSO_AUDIENCE,
            "ticket_private_key_file": str(key_path),
            "oidc_start_url": f"{document['inkseal_url']}/sso/oidc/{platform.code}/start",
            "oidc_redirect_uri": f"{document['inkseal_url']}/sso/oidc/{platform.code}/callback",
            "oidc_client_id": platform.oidc_client_id,
            "oidc_client_secret": client_secret,
        },
    }
