"""自助签署 over HTTP: upload → previews → placed seals (PDF points) → the confirm page's SMS code →
download; the signed PDF verifies against our roots. Refusals: off-page seal, not a PDF, another
identity's certificate, another identity's download; API lookups never see self-service tasks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from django.test import Client

from inkseal.pki.services import certificate_chain
from inkseal.signing.core.verify import verify_pdf
from inkseal.signing.models import SigningRecord, SignTask
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code, text_pdf
from tests.signing.conftest import build_form_pdf

pytestmark = pytest.mark.django_db


def _owner(signing: Signing) -> Client:
    enterprise = signing.certificate.holder.enterprise
    return login_client(signing.admin, f"enterprise:{enterprise.pk}")


def _upload(client: Client, certificate_id: int, data: bytes, name: str = "合同.pdf") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/sign/self/",
        {"certificate": certificate_id, "file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


def _draft_url(client: Client, signing: Signing, data: bytes | None = None) -> str:
    response = _upload(client, signing.certificate.pk, data or text_pdf(2))
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def _place(client: Client, url: str, placements: list[dict[str, Any]]) -> Any:
    return client.post(url, {"placements": json.dumps(placements)})


def test_self_service_happy_path_with_sms(signing: Signing) -> None:
    client = _owner(signing)
    page = client.get("/sign/self/")
    assert page.status_code == 200 and signing.certificate.serial[:10] in page.content.decode()
    url = _draft_url(client, signing)
    place = client.get(url)
    html = place.content.decode()
    assert place.status_code == 200 and html.count('class="sheet"') == 2 and "palette-seal" in html
    assert 'data-width-pt="595.000000"' in html  # the page size the browser converts with
    image = client.get(re.search(r'<img src="([^"]+pages/1\.png)"', html).group(1))  # type: ignore[union-attr]
    assert image.status_code == 200 and image["Content-Type"] == "image/png"

    placements = [
        {"seal_type": "official", "page": 1, "x": 420, "y": 150},
        {"seal_type": "legal_representative", "page": 2, "x": 200, "y": 300},
    ]
    created = _place(client, url, placements)
    assert created.status_code == 302 and created["Location"].startswith("/sign/confirm/")
    task = SignTask.objects.get()
    assert task.platform is None and task.requested_by == signing.admin
    assert task.confirmer_phone == signing.admin.phone
    assert task.documents.get().placements["specs"] == placements

    token = confirm_token(created["Location"])
    confirm_page = client.get(created["Location"])
    assert "自助签署" in confirm_page.content.decode() and 'id="download"' in confirm_page.content.decode()
    anonymous = Client()  # the confirm endpoints work by token, like the API's
    assert anonymous.post(f"/api/v1/confirm/{token}/code").status_code == 200
    code = sms_code(anonymous, signing.admin.phone)
    confirmed = anonymous.post(f"/api/v1/confirm/{token}", {"method": "sms", "code": code}, "application/json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "completed", confirmed.content

    download = client.get(f"/sign/self/tasks/{task.public_id}/documents/1")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "%E5%B7%B2%E7%AD%BE%E7%AB%A0" in download["Content-Disposition"]  # （已签章）
    pdf = b"".join(download.streaming_content)
    root = asn1_x509.Certificate.load(certificate_chain(signing.certificate)[-1])
    report = verify_pdf(pdf, trust_roots=[root])
    assert len(report.signatures) == 2 and report.all_valid, report.as_dict()
    for signature in report.signatures:
        assert signature.intact and signature.trusted and signature.timestamp is not None, signature

    records = list(SigningRecord.objects.all())
    assert len(records) == 1
    row = records[0]
    assert row.platform_name == "自助签署" and row.intent_method == "sms" and row.ip == "127.0.0.1"
    assert row.result == SigningRecord.Result.SUCCESS and row.file_name == "合同.pdf"
    assert "公章" in row.seal_types and "法定代表人章" in row.seal_types
    assert "自助签署" in client.get("/records/").content.decode()

    # a platform's API never sees the self-service task
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {signing.token()}"}
    assert signing.client.get(f"/api/v1/sign-tasks/{task.public_id}", **bearer).status_code == 404
    assert signing.client.get(f"/api/v1/sign-tasks/{task.public_id}/documents/1", **bearer).status_code == 404


def test_off_page_placement_is_refused(signing: Signing) -> None:
    client = _owner(signing)
    url = _draft_url(client, signing)
    response = _place(client, url, [{"seal_type": "official", "page": 1, "x": 600, "y": 10}])
    assert response.status_code == 400
    assert "超出页面范围" in response.content.decode()
    assert not SignTask.objects.exists()
    assert client.get(url).status_code == 200  # the draft stays: the user can move the seal


@pytest.mark.parametrize(
    "placements",
    [
        [],
        [{"seal_type": "finance", "page": 1, "x": 300, "y": 300}],
        [{"seal_type": "official", "page": 9, "x": 1, "y": 1}],
    ],
)
def test_bad_placements_are_refused(signing: Signing, placements: list[dict[str, Any]]) -> None:
    client = _owner(signing)
    response = _place(client, _draft_url(client, signing), placements)
    assert response.status_code == 400 and not SignTask.objects.exists()


def test_not_a_pdf_is_refused(signing: Signing) -> None:
    client = _owner(signing)
    response = _upload(client, signing.certificate.pk, b"hello, this is not a PDF", "note.pdf")
    assert response.status_code == 400
    assert "不是 PDF" in response.content.decode() or "不是有效的 PDF" in response.content.decode()
    assert not SignTask.objects.exists() and not client.session.get("self_sign_drafts")


def test_a_form_only_javascript_can_display_is_refused_at_upload(signing: Signing) -> None:
    client = _owner(signing)
    scripted = build_form_pdf(b' /AA << /F << /S /JavaScript /JS (AFNumber_Format\\(2, 0, 0, 0, "", true\\);) >> >>')
    response = _upload(client, signing.certificate.pk, scripted, "投标报价.pdf")
    assert response.status_code == 422
    assert "表单域无法固定显示内容" in response.content.decode()
    assert not SignTask.objects.exists() and not client.session.get("self_sign_drafts")


def test_another_identitys_certificate_is_not_found(signing: Signing, verified_person: Any) -> None:
    other = login_client(verified_person(name="张三"))
    response = _upload(other, signing.certificate.pk, text_pdf())
    assert response.status_code == 404
    assert signing.certificate.serial not in other.get("/sign/self/").content.decode()
    # the holder's person identity (not the enterprise) does not see it either
    personal = login_client(signing.admin)
    assert _upload(personal, signing.certificate.pk, text_pdf()).status_code == 404


def test_another_identity_cannot_download_or_use_the_draft(signing: Signing, verified_person: Any) -> None:
    client = _owner(signing)
    url = _draft_url(client, signing)
    created = _place(client, url, [{"seal_type": "official", "page": 1, "x": 300, "y": 300}])
    token = confirm_token(created["Location"])
    client.post(f"/api/v1/confirm/{token}/code")
    code = sms_code(client, signing.admin.phone)
    assert (
        client.post(f"/api/v1/confirm/{token}", {"method": "sms", "code": code}, "application/json").status_code == 200
    )
    task = SignTask.objects.get()
    path = f"/sign/self/tasks/{task.public_id}/documents/1"
    assert client.get(path).status_code == 200
    assert login_client(verified_person(name="张三")).get(path).status_code == 404
    assert login_client(signing.admin).get(path).status_code == 404  # same person, other identity
    assert Client().get(path).status_code == 302  # to the login page


def test_drafts_belong_to_the_session(signing: Signing) -> None:
    client = _owner(signing)
    url = _draft_url(client, signing)
    assert _owner(signing).get(url).status_code == 404
