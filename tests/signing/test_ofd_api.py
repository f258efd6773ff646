"""OFD (GB/T 33190) documents through the platform: POST /api/v1/sign-tasks with .ofd files beside
PDFs, sealed with GB/T 38540 seals at confirmation, the records, downloads and callbacks, and
POST /api/v1/verify, the /verify/ page and `inkseal verify` on OFD files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from inkseal.pki.algorithms import SM2
from inkseal.seals.models import SealType
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401
from tests.signing.api_support import (
    Signing,
    confirm_token,
    make_signing,
    signing_media,  # noqa: F401
    sms_code,
    text_pdf,
)
from tests.signing.ofd import independent
from tests.signing.ofd.test_ofd_corpus import EXPECTED as CORPUS_EXPECTED

CORPUS = Path("/work/shared/corpus/ofd")
HELLO = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
FIVE_PAGES = (CORPUS / "unsigned" / "layout-Page5.ofd").read_bytes()
KEYWORDS = (CORPUS / "unsigned" / "reader-multiKeywordInTextCode.ofd").read_bytes()
COMPANY = "国密OFD科技有限公司"


@pytest.fixture
def sm2_signing(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Signing:  # noqa: F811
    """An enterprise with an SM2 cloud certificate, a bound 公章 and 合同专用章, and a platform
    authorised to use it."""
    return make_signing(
        verified_person,
        verified_enterprise,
        algorithm=SM2,
        company=COMPANY,
        seal_kinds=(SealType.OFFICIAL, SealType.CONTRACT),
        platform_name="国密交易平台",
        platform_code="sm2ofd",
        callback_url="http://platform.test/cb",
    )


def ofd_spec(signing: Signing, documents: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return signing.spec(documents=documents, callback_url="", **extra)


def point(page: int = 1, x: float = 105, y: float = 150, seal_type: str = "official") -> dict[str, Any]:
    return {"seal_type": seal_type, "page": page, "x": x, "y": y}


def create_and_confirm(
    signing: Signing, files: list[tuple[str, bytes]], spec: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """(task id, bearer token, the confirm answer) of a task created and confirmed over HTTP."""
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
    assert done.status_code == 200, done.content
    return body["id"], token, done.json()


def download(signing: Signing, task_id: str, token: str, n: int = 1) -> Any:
    response = signing.client.get(f"/api/v1/sign-tasks/{task_id}/documents/{n}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def seal_through_the_api(signing: Signing, data: bytes, placements: list[dict[str, Any]], **extra: Any) -> bytes:
    task_id, token, done = create_and_confirm(
        signing, [("bid.ofd", data)], ofd_spec(signing, [{"file": 0, "placements": placements}], **extra)
    )
    assert done["status"] == "completed", done
    return body_of(download(signing, task_id, token))


@pytest.mark.django_db
def test_an_sm2_task_seals_an_ofd_and_a_pdf(sm2_signing: Signing) -> None:
    spec = ofd_spec(
        sm2_signing,
        [
            {"file": 0, "placements": [point()]},
            {"file": 1, "placements": [{"seal_type": "official", "page": 1, "x": 400, "y": 120}]},
        ],
    )
    task_id, token, done = create_and_confirm(sm2_signing, [("投标文件", HELLO), ("bid.pdf", text_pdf())], spec)
    assert done["status"] == "completed", done
    ofd = download(sm2_signing, task_id, token, 1)
    assert ofd["Content-Type"] == "application/ofd"
    assert ofd["Content-Disposition"].endswith(".ofd")
    signed = body_of(ofd)
    pdf = download(sm2_signing, task_id, token, 2)
    assert pdf["Content-Type"] == "application/pdf"
    (check,) = independent.check(signed)
    assert check.changed == [] and check.signature_intact, check


def post_verify(data: bytes, name: str = "signed.ofd") -> Any:
    return Client().post("/api/v1/verify", {"file": SimpleUploadedFile(name, data, "application/octet-stream")})


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_verdicts_through_the_verify_api(name: str) -> None:
    response = post_verify((CORPUS / "signed" / name).read_bytes(), name)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["format"] == "ofd"
    got = [(s["kind"], s["status"], tuple(s["changed"])) for s in body["signatures"]]
    assert got == CORPUS_EXPECTED[name]
    # none of the corpus' CAs is ours or trusted here: intact is not enough to be valid
    assert body["all_valid"] is False
    assert all(s["trusted"] is False and s["ca"]["issued_here"] is False for s in body["signatures"])


@pytest.mark.django_db
def test_our_seal_verifies_in_the_api_the_page_and_the_cli(sm2_signing: Signing, tmp_path: Path) -> None:
    signed = seal_through_the_api(sm2_signing, HELLO, [point()])
    response = post_verify(signed, "bid.ofd")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["all_valid"] is True and body["modified_after_signing"] is False, body
    (signature,) = body["signatures"]
    certificate = sm2_signing.certificate
    assert signature["status"] == "valid" and signature["trusted"] is True and signature["valid"] is True
    assert signature["certificate"]["serial_hex"] == certificate.serial
    assert signature["ca"]["issued_here"] is True and signature["ca"]["organization"] == certificate.ca_name
    assert certificate.common_name in signature["signer"]
    assert signature["kind"] == "ses" and signature["version"] == 4 and "v4" in signature["signature_format"]
    assert signature["ses"]["seal"]["name"] and signature["ses"]["seal"]["maker"]["subject"]
    assert signature["signing_time"] and signature["timestamp_time"]  # our SM2 TSA stamped it
    assert all(step["status"] == "passed" for step in signature["steps"]), signature["steps"]
    assert signature["seal_image"].startswith("data:image/png;base64,")

    page = Client().post("/verify/", {"file": SimpleUploadedFile("bid.ofd", signed)})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="verify-summary" data-valid="true"' in html and 'data-status="valid"' in html

    path = tmp_path / "bid.ofd"
    path.write_bytes(signed)
    out = io.StringIO()
    call_command("verify", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["signatures"][0]["status"] == "valid"
    out = io.StringIO()
    call_command("verify", str(path), stdout=out)
    assert "Sign_0" in out.getvalue() or "s001" in out.getvalue() or "OFD" in out.getvalue()
