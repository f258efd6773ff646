"""Reading var/demo.json and the keys Inkseal's bootstrap wrote for the demo portal."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings


def document() -> dict[str, Any]:
    path = Path(settings.DEMO_JSON)
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `inkseal bootstrap --demo` (make run does) first")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def sso() -> dict[str, Any]:
    return dict(document()["platform"]["sso"], code=document()["platform"]["code"])


def ticket_key() -> Any:
    return serialization.load_pem_private_key(Path(sso()["ticket_private_key_file"]).read_bytes(), password=None)


@cache
def oidc_signing_key() -> ec.EllipticCurvePrivateKey:
    """The portal's own ID-token signing key, as an OpenID provider (var/secrets, 0600)."""
    path = Path(settings.VAR_DIR) / "secrets" / "demo_portal_oidc_es256.pem"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


def api() -> dict[str, Any]:
    """The signing-API credentials Inkseal issued to the portal (client_id/secret, callback secret)."""
    data = document()["platform"].get("api")
    if not data:
        raise RuntimeError("var/demo.json 中没有签章接口凭证（platform.api）：请重新运行 make run")
    return dict(data)


def inkseal_url() -> str:
    return str(document()["inkseal_url"]).rstrip("/")


def certificates_for(phone: str) -> list[dict[str, Any]]:
    """The demo certificates authorised to this platform for the person with this phone."""
    return [
        entry
        for entry in document().get("certificates", [])
        if (entry.get("authorised_person") or {}).get("phone") == phone and entry.get("seal_types")
    ]
