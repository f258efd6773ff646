"""Fixtures for the signing API tests (the Django layer): a CA hierarchy, an enterprise holding a
cloud certificate with bound seals, a trading platform with API credentials and an authorisation.
Import the fixtures into a test module with `from tests.signing.api_support import *`."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from inkseal.accounts.models import EnterpriseState, Person
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import RSA_2048
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import do_authorize_certificate, do_create_api_client
from inkseal.seals.models import Seal, SealSource, SealState, SealType
from inkseal.seals.services import do_bind_seal
from tests.helpers.sign_lifecycle import prove_grantee_phone
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401
from tests.signing.conftest import build_text_pdf, red_seal_png

ACTOR = Actor("system", "", "test")
CONFIRMER_PHONE = "13912345678"


def text_pdf(pages: int = 1, keyword: str = "盖章处") -> bytes:
    return build_text_pdf([(0, [(72, 700, 14, "投标文件"), (300, 200, 12, keyword)]) for _ in range(pages)])


@dataclass
class Signing:
    platform: TradingPlatform
    client_id: str
    client_secret: str
    callback_key: str
    certificate: Certificate
    admin: Person
    seals: dict[str, Seal]
    client: Client

    def token(self, client_id: str | None = None, secret: str | None = None) -> str:
        response = self.client.post(
            "/api/v1/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_id": client_id or self.client_id,
                "client_secret": secret or self.client_secret,
            },
        )
        assert response.status_code == 200, response.content
        return str(response.json()["access_token"])

    def spec(self, **overrides: Any) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "signer": {"certificate_serial": self.certificate.serial},
            "confirmer": {"phone": CONFIRMER_PHONE},
            "documents": [{"file": 0, "placements": [{"seal_type": "official", "page": 1, "x": 400, "y": 120}]}],
            "pades_level": "B-T",
            "business_type": "投标文件",
            "business_id": "BID-1",
            "callback_url": "http://platform.test/callback",
        }
        spec.update(overrides)
        return spec

    def create(
        self,
        files: list[tuple[str, bytes]] | None = None,
        spec: dict[str, Any] | str | None = None,
        token: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        files = files if files is not None else [("bid.pdf", text_pdf())]
        uploads = [_named(name, data) for name, data in files]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token or self.token()}"}
        if idempotency_key:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        body = spec if isinstance(spec, str) else json.dumps(spec or self.spec(), ensure_ascii=False)
        return self.client.post("/api/v1/sign-tasks", {"spec": body, "files": uploads}, **headers)


def _named(name: str, data: bytes) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def make_seal(owner_party: Any, kind: str, creator: Person, size_mm: float = 42.0) -> Seal:
    seal = Seal(
        owner=owner_party,
        kind=kind,
        source=SealSource.TEMPLATE,
        name="测试",
        width_mm=size_mm,
        height_mm=size_mm,
        state=SealState.ACTIVE,
        created_by=creator,
    )
    seal.image.save(f"{kind}.png", ContentFile(red_seal_png(240)), save=False)
    seal.save()
    return seal


@pytest.fixture
def signing_media(settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    settings.SMS_PHONE_INTERVAL_SECONDS = 0
    settings.SMS_PER_PHONE_PER_HOUR = 1000
    settings.SMS_PER_IP_PER_HOUR = 1000
    return tmp_path


def make_signing(
    make_person: Any,
    make_enterprise: Any,
    *,
    algorithm: Any = RSA_2048,
    company: str = "北京示范科技有限公司",
    seal_kinds: tuple[str, ...] = (SealType.OFFICIAL, SealType.LEGAL_REPRESENTATIVE),
    platform_name: str = "测试交易平台",
    platform_code: str = "testplatform",
    callback_url: str = "http://platform.test/cb",
) -> Signing:
    """An enterprise (from the verified_person and verified_enterprise factories) with a cloud
    certificate of `algorithm` and bound seals, a trading platform with API credentials, and an
    authorisation of the certificate to it for CONFIRMER_PHONE."""
    admin = make_person(name="刘婧妍")
    enterprise = make_enterprise(admin, name=company)
    enterprise.state = EnterpriseState.VERIFIED
    certificate = issue_cloud_certificate(enterprise.party, algorithm=algorithm, years=1, acting=Acting(ACTOR))
    seals = {
        kind: make_seal(enterprise.party, kind, admin, 42.0 if kind == SealType.OFFICIAL else 20.0)
        for kind in seal_kinds
    }
    for seal in seals.values():
        do_bind_seal(seal, certificate, acting=Acting(ACTOR))
    platform = TradingPlatform.objects.create(name=platform_name, code=platform_code, callback_url=callback_url)
    client, secret = do_create_api_client(platform, acting=Acting(ACTOR), callback_key="callback-key")
    now = timezone.now()
    authorization = do_authorize_certificate(
        certificate,
        platform,
        grantee_name="王五",
        grantee_phone=CONFIRMER_PHONE,
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=30),
        acting=Acting(ACTOR),
    )
    prove_grantee_phone(authorization)
    return Signing(platform, client.client_id, secret, "callback-key", certificate, admin, seals, Client())


@pytest.fixture
def signing(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Signing:  # noqa: F811
    return make_signing(verified_person, verified_enterprise)


def sms_code(client: Client, phone: str = CONFIRMER_PHONE) -> str:
    import re

    messages = client.get("/dev/sms.json", {"phone": phone}).json()["messages"]
    return re.search(r"验证码为(\d{6})", messages[0]["body"]).group(1)  # type: ignore[union-attr]


def confirm_token(confirm_url: str) -> str:
    return confirm_url.rstrip("/").rsplit("/", 1)[-1]


def sign_through_api(signing: Signing, files: list[tuple[str, bytes]], spec: dict[str, Any]) -> bytes:
    """Create a task, confirm it by SMS code and download the signed first document, all over HTTP."""
    token = signing.token()
    created = signing.create(files, spec, token=token)
    assert created.status_code == 201, created.content
    body = created.json()
    confirm = confirm_token(body["confirm_url"])
    assert signing.client.post(f"/api/v1/confirm/{confirm}/code").status_code == 200
    done = signing.client.post(
        f"/api/v1/confirm/{confirm}",
        {"method": "sms", "code": sms_code(signing.client)},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content
    download = signing.client.get(f"/api/v1/sign-tasks/{body['id']}/documents/1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert download.status_code == 200
    return b"".join(download.streaming_content)
