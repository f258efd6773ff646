"""The signing API end to end through HTTP: token → task → confirm (SMS code from the outbox) →
signed PDF, checked by pyHanko, pdfsig (our root trusted in an NSS db) and qpdf."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from inkseal.core.acting import Acting
from inkseal.pki.services import certificate_chain
from inkseal.signing.models import SigningRecord, SignTask
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code, text_pdf
from tests.signing.conftest import assert_qpdf_ok, run_pdfsig

pytestmark = pytest.mark.django_db(transaction=False)


def _root(signing: Signing) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate_chain(signing.certificate)[-1])


def _confirm_with_sms(signing: Signing, url: str) -> Any:
    token = confirm_token(url)
    assert signing.client.post(f"/api/v1/confirm/{token}/code").status_code == 200
    return signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": sms_code(signing.client)}, content_type="application/json"
    )


def test_sign_task_end_to_end(signing: Signing, tmp_path: Path) -> None:
    token = signing.token()
    spec = signing.spec(
        documents=[
            {
                "file": 0,
                "placements": [
                    {"seal_type": "official", "page": 1, "x": 400, "y": 120},
                    {"seal_type": "official", "keyword": "盖章处", "occurrence": "first", "offset": [0, 0]},
                    {"seal_type": "official", "cross_page": True},
                    {"seal_type": "legal_representative", "page": 2, "x": 200, "y": 400, "show_date": True},
                ],
            }
        ]
    )
    created = signing.create([("投标文件.pdf", text_pdf(pages=2))], spec, token=token)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["confirm_url"].endswith(confirm_token(body["confirm_url"]))
    page = signing.client.get(body["confirm_url"].replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200 and "测试交易平台" in page.content.decode()
    image = signing.client.get(f"/sign/confirm/{confirm_token(body['confirm_url'])}/documents/1/pages/1.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"

    confirmed = _confirm_with_sms(signing, body["confirm_url"])
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "completed", confirmed.json()

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    status = signing.client.get(f"/api/v1/sign-tasks/{body['id']}", **auth).json()
    assert status["status"] == "completed" and status["documents"][0]["status"] == "completed"
    download = signing.client.get(f"/api/v1/sign-tasks/{body['id']}/documents/1", **auth)
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)

    reader = PdfFileReader(io.BytesIO(pdf))
    context = ValidationContext(trust_roots=[_root(signing)])
    statuses = [validate_pdf_signature(s, context, context) for s in reader.embedded_regular_signatures]
    assert len(statuses) == 4
    for result in statuses:
        assert result.intact and result.valid and result.trusted, result.pretty_print_details()
        assert result.timestamp_validity is not None and result.timestamp_validity.valid

    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    nss = tmp_path / "nss"
    nss.mkdir()
    root_pem = tmp_path / "root.pem"
    from inkseal.pki.pem import armor

    root_pem.write_text(armor(certificate_chain(signing.certificate)[-1], "CERTIFICATE"))
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "CT,C,C", "-i", str(root_pem)], check=True
    )
    signatures = run_pdfsig(path, f"sql:{nss}")
    assert len(signatures) == 4
    for signature in signatures:
        assert signature.says("Signature Validation: Signature is Valid."), signature
    assert signatures[-1].says("Total document signed")
    assert_qpdf_ok(path)

    record = SigningRecord.objects.get()
    assert record.intent_method == "sms" and record.result == "success"
    assert record.seal_types == "公章、法定代表人章" and record.file_name == "投标文件.pdf"
    assert record.sha256_after == status["documents"][0]["sha256_after"]
    assert signing.seals["official"].usages.filter(event_id=record.event_id).exists()


def test_same_idempotency_key_same_task(signing: Signing) -> None:
    token = signing.token()
    first = signing.create(token=token, idempotency_key="k-1")
    again = signing.create(token=token, idempotency_key="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and first.json()["confirm_url"] == again.json()["confirm_url"]
    assert SignTask.objects.count() == 1


def test_token_required_and_wrong_secret(signing: Signing) -> None:
    assert signing.client.post("/api/v1/sign-tasks").status_code == 401
    bad = signing.client.post(
        "/api/v1/oauth/token",
        {"grant_type": "client_credentials", "client_id": signing.client_id, "client_secret": "x"},
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert signing.create(token="not-a-token").status_code == 401


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([("a.pdf", b"hello, not a pdf")], "pdf_not_pdf"),
        ([("a.pdf", text_pdf()[:200])], "pdf_truncated"),
    ],
)
def test_bad_files_are_refused(signing: Signing, files: list[tuple[str, bytes]], code: str) -> None:
    response = signing.create(files)
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith("pdf_"), response.json()
    assert SignTask.objects.count() == 0


def test_encrypted_pdf_refused(signing: Signing) -> None:
    from tests.signing.conftest import CORPUS, ENCRYPTED

    response = signing.create([("e.pdf", (CORPUS / ENCRYPTED).read_bytes())])
    assert response.status_code == 400 and response.json()["error"] == "pdf_encrypted"
    assert "加密" in response.json()["message"]


@pytest.mark.parametrize(
    ("placement", "code", "status"),
    [
        ({"seal_type": "official", "page": 1, "x": 590, "y": 120}, "placement_off_page", 400),
        ({"seal_type": "official", "page": 3, "x": 300, "y": 300}, "placement_page_out_of_range", 400),
        ({"seal_type": "official", "keyword": "不存在的词"}, "placement_keyword_not_found", 400),
        ({"seal_type": "finance", "page": 1, "x": 300, "y": 300}, "seal_not_found", 404),
        ({"seal_type": "nonsense", "page": 1, "x": 300, "y": 300}, "spec_invalid", 400),
    ],
)
def test_wrong_positions_refused(signing: Signing, placement: dict[str, Any], code: str, status: int) -> None:
    response = signing.create(spec=signing.spec(documents=[{"file": 0, "placements": [placement]}]))
    # 404 only when the party has no seal of that type; a bad position or spec is a 400
    assert response.status_code == status, response.content
    assert response.json()["error"] == code, response.json()


def test_bad_spec(signing: Signing) -> None:
    assert signing.create(spec="{not json").json()["error"] == "spec_invalid"
    other = signing.create(spec=signing.spec(signer={"certificate_serial": "abcdef"}))
    assert other.status_code == 403 and other.json()["error"] == "certificate_not_authorized"
    stranger = signing.create(spec=signing.spec(confirmer={"phone": "13000000000"}))
    assert stranger.status_code == 403


def test_another_platforms_task_is_404(signing: Signing) -> None:
    from inkseal.platforms.models import TradingPlatform
    from inkseal.platforms.services import do_create_api_client
    from tests.signing.api_support import ACTOR

    task = signing.create().json()
    other = TradingPlatform.objects.create(name="另一平台", code="other")
    client, secret = do_create_api_client(other, acting=Acting(ACTOR))
    token = signing.token(client.client_id, secret)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert signing.client.get(f"/api/v1/sign-tasks/{task['id']}", **auth).status_code == 404
    assert signing.client.get(f"/api/v1/sign-tasks/{task['id']}/documents/1", **auth).status_code == 404
    assert signing.client.get("/api/v1/sign-tasks/nonexistent", **auth).status_code == 404
