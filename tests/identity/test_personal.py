"""手机号认证 (name + ID + the account's phone + SMS code), other documents to manual review, the
gate other apps call, and what the person sees (masked numbers only)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import VerificationState
from inkseal.audit.models import AuditEntry
from inkseal.core.crypto import decrypt
from inkseal.identity.errors import EnterpriseUnverified, IdentityUnverified
from inkseal.identity.models import AttemptState, IdentityDocument, Method, VerificationAttempt
from inkseal.identity.providers.sandbox import reserved_id_number
from inkseal.identity.services import require_enterprise_verified, require_identity_verified, require_verified
from inkseal.notify.models import SmsCode
from tests.conftest import login_client
from tests.identity.conftest import AGREEMENTS, id_number, sms_code
from tests.identity.media import png_bytes

pytestmark = pytest.mark.django_db


def send_code(client: Client):  # type: ignore[no-untyped-def]
    return client.post("/identity/phone/code", HTTP_ACCEPT="application/json")


def verify(client: Client, number: str, code: str, **extra: object):  # type: ignore[no-untyped-def]
    data = {"name": "刘婧妍", "id_type": "resident_id", "id_number": number, "code": code, "agreements": AGREEMENTS}
    return client.post("/identity/phone", {**data, **extra})


def test_phone_three_factors_verify_the_person(unverified):
    client = login_client(unverified)
    assert send_code(client).status_code == 200
    response = verify(client, id_number(1), sms_code(unverified.phone))
    assert response.status_code == 302 and response["Location"] == "/identity/"
    unverified.refresh_from_db()
    assert unverified.verification_state == VerificationState.VERIFIED and unverified.verified_at
    assert unverified.name == "刘婧妍"
    attempt = VerificationAttempt.objects.get()
    assert (attempt.method, attempt.state, attempt.provider) == (Method.PHONE, AttemptState.SUCCEEDED, "sandbox")
    assert attempt.phone_masked == "186****0996"
    assert decrypt(attempt.id_number_enc, f"attempt-id:{attempt.reference}") == id_number(1)
    entry = AuditEntry.objects.get(event="identity.phone.succeeded")
    assert id_number(1) not in str(entry.data) and entry.data["id_number"] == attempt.id_number_masked

    page = client.get("/identity/").content.decode()
    assert "已实名" in page and attempt.id_number_masked in page and id_number(1) not in page


def test_wrong_code_changes_nothing(unverified):
    client = login_client(unverified)
    send_code(client)
    response = verify(client, id_number(1), "000000" if sms_code(unverified.phone) != "000000" else "111111")
    assert response.status_code == 400 and "验证码错误" in response.content.decode()
    assert not VerificationAttempt.objects.exists()
    assert SmsCode.objects.get().failed_attempts == 1


def test_provider_refusal_is_recorded_with_the_reason(unverified):
    client = login_client(unverified)
    send_code(client)
    response = verify(client, reserved_id_number(), sms_code(unverified.phone))
    assert response.status_code == 400
    assert "运营商核验未通过" in response.content.decode()
    attempt = VerificationAttempt.objects.get()
    assert attempt.state == AttemptState.FAILED and attempt.reason_code == "mismatch"
    unverified.refresh_from_db()
    assert unverified.verification_state == VerificationState.UNVERIFIED
    assert AuditEntry.objects.filter(event="identity.phone.failed").exists()


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("43052419900308001", "应为18位"),
        ("43052419901308001X", "出生日期"),
        ("4305241990030800AX", "第17位"),
        ("430524199003080011", "校验位应为"),
    ],
)
def test_malformed_id_numbers_are_explained(unverified, number, message):
    response = verify(login_client(unverified), number, "123456")
    assert response.status_code == 400 and message in response.content.decode()
    assert not VerificationAttempt.objects.exists()


def test_consent_is_required(unverified):
    client = login_client(unverified)
    send_code(client)
    response = verify(client, id_number(1), sms_code(unverified.phone), agreements=[])
    assert response.status_code == 400 and "请阅读并同意" in response.content.decode()
    assert not VerificationAttempt.objects.exists()


def test_other_documents_go_to_manual_review(unverified):
    client = login_client(unverified)
    send_code(client)
    without_photo = verify(client, "E12345678", sms_code(unverified.phone), id_type="passport")
    assert without_photo.status_code == 400 and "请上传证件照片" in without_photo.content.decode()
    photo = SimpleUploadedFile("passport.png", png_bytes(), "image/png")
    response = verify(client, "E12345678", sms_code(unverified.phone), id_type="passport", document=photo)
    assert response.status_code == 302
    unverified.refresh_from_db()
    assert unverified.verification_state == VerificationState.PENDING
    attempt = VerificationAttempt.objects.get()
    assert attempt.method == Method.DOCUMENT and attempt.state == AttemptState.PENDING
    document = IdentityDocument.objects.get()
    assert document.kind == "person_document" and document.content_type == "image/png"
    assert "正在人工审核" in client.get("/identity/").content.decode()
    send = send_code(client)
    assert send.status_code == 409


def test_a_non_image_document_is_refused(unverified):
    client = login_client(unverified)
    send_code(client)
    fake = SimpleUploadedFile("passport.png", b"not an image at all" * 100, "image/png")
    response = verify(client, "E12345678", sms_code(unverified.phone), id_type="passport", document=fake)
    assert response.status_code == 400 and "仅支持JPG、PNG" in response.content.decode()
    assert not VerificationAttempt.objects.exists()


def test_require_verified_is_the_gate_for_other_apps(unverified, verified, make_enterprise):
    with pytest.raises(IdentityUnverified) as raised:
        require_verified(unverified)
    assert raised.value.code == "identity_unverified" and raised.value.status == 403
    require_verified(verified)
    enterprise = make_enterprise(verified)
    with pytest.raises(EnterpriseUnverified):
        require_enterprise_verified(enterprise)
    with pytest.raises(EnterpriseUnverified):
        require_identity_verified(CurrentIdentity(verified, enterprise, "admin"))
    require_identity_verified(CurrentIdentity(verified))


def test_home_leads_unverified_people_to_verification(unverified, verified):
    page = login_client(unverified).get("/").content.decode()
    assert 'id="verify-banner"' in page and "/identity/" in page
    assert 'id="verify-banner"' not in login_client(verified).get("/").content.decode()


def test_profile_shows_the_state_and_a_link(unverified):
    page = login_client(unverified).get("/account/").content.decode()
    assert "未实名" in page and 'id="verification-link"' in page


def test_pages_need_login():
    for url in ("/identity/", "/identity/phone", "/identity/face"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_agreement_texts_are_published():
    for slug in AGREEMENTS:
        assert Client().get(f"/identity/agreements/{slug}").status_code == 200
    assert Client().get("/identity/agreements/unknown").status_code == 404


def test_pages_are_available_in_english(unverified):
    client = login_client(unverified)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/identity/").content.decode()
    assert "Mobile number verification" in page and "Face verification" in page
    assert "手机号认证" not in page
    refused = verify(client, "430524199003080011", "123456")
    assert "check character" in refused.content.decode()
