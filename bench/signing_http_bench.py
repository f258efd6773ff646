"""Signatures per second through the signing API end to end, against in-process signing.

    .venv/bin/python bench/signing_http_bench.py [--seconds 5]

A throwaway var dir and SQLite database; a CA hierarchy, an enterprise with an RSA-2048 cloud
certificate and a bound 42 mm 公章, a platform with API credentials and an authorisation.
1. in process: `sign_pdf` with the cached seal signer and our TSA (PAdES B-T), one-page PDF,
   one visible seal (what `services.sign_document` does minus the database writes);
2. through the API (Django's full request stack via the test client, no socket): per signature
   POST /api/v1/sign-tasks, POST /api/v1/confirm/{token}/code, POST /api/v1/confirm/{token},
   GET /api/v1/sign-tasks/{id}/documents/1 — task, SMS code, confirmation, records, download.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["INKSEAL_VAR_DIR"] = tempfile.mkdtemp(prefix="inkseal-bench-")
os.environ.setdefault("INKSEAL_SMS_PHONE_INTERVAL", "0")
os.environ.setdefault("INKSEAL_SMS_PER_PHONE_PER_HOUR", "1000000")
os.environ.setdefault("INKSEAL_SMS_PER_IP_PER_HOUR", "1000000")
os.environ.setdefault("INKSEAL_CA_RSA_ALGORITHM", "rsa-2048")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")

import django

django.setup()

from datetime import timedelta  # noqa: E402

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from inkseal.accounts.models import Enterprise, EnterpriseState, Membership, Party, Person, VerificationState  # noqa: E402
from inkseal.audit.services import Actor  # noqa: E402
from inkseal.notify.models import SmsMessage  # noqa: E402
from inkseal.pki.algorithms import RSA_2048  # noqa: E402
from inkseal.pki.authorities import ensure_hierarchy  # noqa: E402
from inkseal.pki.services import issue_cloud_certificate  # noqa: E402
from inkseal.platforms.models import TradingPlatform  # noqa: E402
from inkseal.platforms.services import do_authorize_certificate, do_create_api_client  # noqa: E402
from inkseal.seals.models import Seal, SealSource, SealType  # noqa: E402
from inkseal.seals.services import do_bind_seal  # noqa: E402
from inkseal.signing.appearance import SealImage  # noqa: E402
from inkseal.signing.pdf import sign_pdf  # noqa: E402
from inkseal.signing.placement import AtPoint, Placement  # noqa: E402
from inkseal.signing.services import seal_signer  # noqa: E402
from inkseal.signing.timestamper import platform_timestamper, reserve_serials  # noqa: E402
from tests.signing.conftest import build_text_pdf, red_seal_png  # noqa: E402

ACTOR = Actor("system", "", "bench")
PHONE = "13912345678"


def setup() -> tuple[Client, str, str, object, bytes]:
    call_command("migrate", verbosity=0)
    ensure_hierarchy()
    person = Person.objects.create(
        party=Party.objects.create(kind=Party.Kind.PERSON),
        phone="13800000001",
        name="刘婧妍",
        verification_state=VerificationState.VERIFIED,
    )
    enterprise = Enterprise.objects.create(
        party=Party.objects.create(kind=Party.Kind.ENTERPRISE),
        name="北京示范科技有限公司",
        uscc="91110108MA01234567",
        created_by=person,
        state=EnterpriseState.VERIFIED,
    )
    Membership.objects.create(person=person, enterprise=enterprise, role=Membership.Role.ADMIN)
    certificate = issue_cloud_certificate(enterprise.party, algorithm=RSA_2048, years=1, actor=ACTOR)
    seal = Seal(
        owner=enterprise.party,
        kind=SealType.OFFICIAL,
        source=SealSource.TEMPLATE,
        name="公章",
        width_mm=42,
        height_mm=42,
        created_by=person,
    )
    png = red_seal_png(420)
    seal.image.save("official.png", ContentFile(png), save=False)
    seal.save()
    do_bind_seal(seal, certificate, actor=ACTOR)
    platform = TradingPlatform.objects.create(name="基准平台", code="bench")
    client, secret = do_create_api_client(platform, actor=ACTOR)
    now = timezone.now()
    do_authorize_certificate(
        certificate,
        platform,
        grantee_name="王五",
        grantee_phone=PHONE,
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=1),
        actor=ACTOR,
    )
    http = Client()
    token = http.post("/api/v1/oauth/token", {"client_id": client.client_id, "client_secret": secret}).json()
    spec = {
        "signer": {"certificate_serial": certificate.serial},
        "confirmer": {"phone": PHONE},
        "documents": [{"file": 0, "placements": [{"seal_type": "official", "page": 1, "x": 300, "y": 300}]}],
        "business_type": "投标文件",
    }
    return http, token["access_token"], json.dumps(spec), certificate, png


def rate(run: object, seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()  # type: ignore[operator]
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    http, token, spec, certificate, png = setup()
    pdf = build_text_pdf([(0, [(72, 700, 14, "投标文件")])])
    seal = SealImage(png, 42)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def in_process() -> None:
        signer = seal_signer(certificate, timezone.now())  # type: ignore[arg-type]
        reserve_serials(8)
        sign_pdf(
            pdf, signer=signer, placements=[Placement(seal, AtPoint(1, 300, 300))], timestamper=platform_timestamper()
        )

    def through_api() -> None:
        upload = io.BytesIO(pdf)
        upload.name = "bid.pdf"
        task = http.post("/api/v1/sign-tasks", {"spec": spec, "files": [upload]}, **auth).json()
        confirm = task["confirm_url"].rsplit("/", 1)[-1]
        http.post(f"/api/v1/confirm/{confirm}/code")
        body = SmsMessage.objects.filter(phone=PHONE).order_by("-pk").first().body  # type: ignore[union-attr]
        code = re.search(r"验证码为(\d{6})", body).group(1)  # type: ignore[union-attr]
        done = http.post(f"/api/v1/confirm/{confirm}", {"method": "sms", "code": code}, content_type="application/json")
        assert done.json()["status"] == "completed", done.content
        response = http.get(f"/api/v1/sign-tasks/{task['id']}/documents/1", **auth)
        assert response.status_code == 200
        b"".join(response.streaming_content)

    in_process(), through_api()  # warm up
    local = rate(in_process, args.seconds)
    api = rate(through_api, args.seconds)
    print(f"in process (sign_pdf, cached signer, our TSA, B-T): {local:7.1f} signatures/s")
    print(f"through the API end to end (4 requests + records):   {api:7.1f} signatures/s  ({api / local:.2f}x)")


if __name__ == "__main__":
    main()
