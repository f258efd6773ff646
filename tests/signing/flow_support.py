"""Fixtures for the sign-flow tests: experts (certificates of their own, authorised to the
platform with a PIN and a phone each) and the flow API called over HTTP."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import RSA_2048
from inkseal.pki.models import Certificate
from inkseal.pki.pins import set_pin
from inkseal.pki.services import issue_cloud_certificate
from inkseal.platforms.services import do_authorize_certificate
from inkseal.seals.services import do_bind_seal
from tests.helpers.sign_lifecycle import prove_grantee_phone
from tests.signing.api_support import Signing, text_pdf

PIN = "135792"


@dataclass(frozen=True)
class Expert:
    certificate: Certificate
    phone: str

    @property
    def serial(self) -> str:
        return self.certificate.serial


def make_experts(signing: Signing, count: int, algorithm: Any = RSA_2048) -> list[Expert]:
    """`count` certificates of the signing fixture's holder (RSA by default: poppler's pdfsig
    trusts our RSA chain; test_api_signed_documents; SM2 for OFD seals), each with the official
    seal bound, authorised to the platform for a phone of its own and protected by PIN."""
    actor = Acting(Actor("system", "", "flow tests"))
    seal = signing.seals["official"]
    experts = []
    for index in range(count):
        phone = f"1391000{index:04d}"
        certificate = issue_cloud_certificate(signing.certificate.holder, algorithm=algorithm, years=1, acting=actor)
        do_bind_seal(seal, certificate, acting=actor)
        now = timezone.now()
        authorization = do_authorize_certificate(
            certificate,
            signing.platform,
            grantee_name=f"专家{index + 1}",
            grantee_phone=phone,
            valid_from=now - timedelta(minutes=1),
            valid_until=now + timedelta(days=1),
            acting=actor,
        )
        prove_grantee_phone(authorization)
        set_pin(certificate, PIN, acting=actor)
        experts.append(Expert(certificate, phone))
    return experts


def seat(index: int) -> dict[str, Any]:
    """A seal place of its own on page 1 for expert `index` (four a row)."""
    return {"seal_type": "official", "page": 1, "x": 100 + (index % 4) * 130, "y": 170 + (index // 4) * 150}


def flow_spec(experts: list[Expert], steps: list[int] | None = None, **overrides: Any) -> dict[str, Any]:
    steps = steps or [1] * len(experts)
    spec: dict[str, Any] = {
        "signers": [
            {
                "step": step,
                "signer": {"certificate_serial": expert.serial},
                "confirmer": {"phone": expert.phone},
                "placements": [seat(index)],
            }
            for index, (expert, step) in enumerate(zip(experts, steps, strict=True))
        ],
        "business_type": "评标报告",
        "business_id": "PB-1",
        "callback_url": "http://platform.test/flow-callback",
    }
    spec.update(overrides)
    return spec


def create_flow(
    signing: Signing,
    spec: dict[str, Any] | str,
    files: list[tuple[str, bytes]] | None = None,
    *,
    token: str | None = None,
    idempotency_key: str = "",
) -> Any:
    files = files if files is not None else [("report.pdf", text_pdf())]
    uploads = []
    for name, data in files:
        handle = io.BytesIO(data)
        handle.name = name
        uploads.append(handle)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token or signing.token()}"}
    if idempotency_key:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    body = spec if isinstance(spec, str) else json.dumps(spec, ensure_ascii=False)
    return signing.client.post("/api/v1/sign-flows", {"spec": body, "files": uploads}, **headers)


def link_token(confirm_url: str) -> str:
    return confirm_url.rstrip("/").rsplit("/", 1)[-1]


def confirm_by_pin(client: Client, token: str, pin: str = PIN) -> Any:
    return client.post(f"/api/v1/flow-confirm/{token}", {"method": "pin", "pin": pin}, content_type="application/json")
