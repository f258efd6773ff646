"""企业实名认证 by a verified administrator: legal representative's phone, bank card with a
micro-deposit (3 tries), business licence for review; scoping and permissions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from inkseal.accounts.models import EnterpriseState, Membership
from inkseal.audit.models import AuditEntry
from inkseal.identity.models import AttemptState, IdentityDocument, Method, MicroDeposit, VerificationAttempt
from inkseal.identity.providers.sandbox import reserved_card, reserved_uscc
from inkseal.notify.models import SmsMessage
from tests.conftest import login_client, make_uscc
from tests.identity.conftest import AGREEMENTS, id_number, sms_code
from tests.identity.media import id_card_front, plain_png, png_bytes

pytestmark = pytest.mark.django_db
LEGAL_REP_PHONE = "13900002222"
CARD = "6222021234567890128"


def images(**overrides: object) -> dict[str, object]:
    files = {
        "id_front": SimpleUploadedFile("front.png", png_bytes(), "image/png"),
        "id_back": SimpleUploadedFile("back.png", png_bytes(), "image/png"),
    }
    files.update(overrides)  # type: ignore[arg-type]
    return files


def form(enterprise, method: str, **extra: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "method": method,
        "name": enterprise.name,
        "enterprise_type": "enterprise",
        "uscc": enterprise.uscc,
        "legal_rep_name": "张法人",
        "legal_rep_id_number": id_number(40),
        "agreements": AGREEMENTS,
        **images(),
    }
    data.update(extra)
    return data


@pytest.fixture
def enterprise(verified, make_enterprise):  # type: ignore[no-untyped-def]
    return make_enterprise(verified)


def url(enterprise, tail: str = "verify") -> str:  # type: ignore[no-untyped-def]
    return f"/account/enterprises/{enterprise.pk}/{tail}"


def test_create_enterprise_continues_into_verification(verified):
    client = login_client(verified)
    response = client.post(
        "/account/enterprises/new", {"name": "丁科技有限公司", "enterprise_type": "enterprise", "uscc": make_uscc(77)}
    )
    assert response.status_code == 302 and re.fullmatch(r"/account/enterprises/\d+/verify", response["Location"])
    page = client.get(response["Location"]).content.decode()
    for text in (
        "法定代表人手机号认证",
        "法定代表人银行卡认证",
        "单位证件认证",
        "身份证人像面",
        "身份证国徽面",
        "丁科技有限公司",
    ):
        assert text in page


def test_legal_rep_phone_verifies_the_enterprise(verified, enterprise):
    client = login_client(verified)
    sent = client.post(url(enterprise, "verify/code"), {"phone": LEGAL_REP_PHONE}, HTTP_ACCEPT="application/json")
    assert sent.status_code == 200
    assert "办理企业实名认证" in SmsMessage.objects.get(phone=LEGAL_REP_PHONE).body  # the authorisation text
    response = client.post(
        url(enterprise), form(enterprise, "legal_rep_phone", phone=LEGAL_REP_PHONE, code=sms_code(LEGAL_REP_PHONE))
    )
    assert response.status_code == 302 and response["Location"] == url(enterprise, "")
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.VERIFIED and enterprise.legal_rep_name == "张法人"
    attempt = VerificationAttempt.objects.get()
    assert attempt.method == Method.LEGAL_REP_PHONE and attempt.succeeded and attempt.enterprise == enterprise
    assert set(IdentityDocument.objects.values_list("kind", flat=True)) == {"id_front", "id_back"}
    assert SmsMessage.objects.filter(phone=LEGAL_REP_PHONE, purpose="verify_notice").exists()
    assert AuditEntry.objects.filter(event="identity.enterprise.legal_rep_phone.succeeded").exists()
    detail = client.get(url(enterprise, "")).content.decode()
    assert "已认证" in detail and attempt.id_number_masked in detail and id_number(40) not in detail


def test_a_provider_refusal_leaves_the_enterprise_rejected_with_the_reason(verified, make_enterprise):
    client = login_client(verified)
    enterprise = make_enterprise(verified)
    client.post(url(enterprise, "verify/code"), {"phone": LEGAL_REP_PHONE}, HTTP_ACCEPT="application/json")
    data = form(
        enterprise, "legal_rep_phone", uscc=reserved_uscc(), phone=LEGAL_REP_PHONE, code=sms_code(LEGAL_REP_PHONE)
    )
    response = client.post(url(enterprise), data)
    assert response.status_code == 400 and "企业核验未通过" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.REJECTED and "企业核验未通过" in enterprise.state_reason
    profile = client.get("/account/").content.decode()
    assert "未通过" in profile and "企业核验未通过" in profile


def test_the_legal_representative_can_be_read_from_the_id_card(verified, enterprise, real_ocr):
    client = login_client(verified)
    client.post(url(enterprise, "verify/code"), {"phone": LEGAL_REP_PHONE}, HTTP_ACCEPT="application/json")
    front = SimpleUploadedFile("front.jpg", id_card_front("刘婧妍", id_number(41)), "image/jpeg")
    data = form(
        enterprise,
        "legal_rep_phone",
        legal_rep_name="",
        legal_rep_id_number="",
        id_front=front,
        phone=LEGAL_REP_PHONE,
        code=sms_code(LEGAL_REP_PHONE),
    )
    assert client.post(url(enterprise), data).status_code == 302
    attempt = VerificationAttempt.objects.get()
    assert attempt.name == "刘婧妍" and attempt.id_number_masked.endswith(id_number(41)[-3:])
    assert attempt.details["legal_rep_read_by_ocr"] is True


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"id_front": None}, "请上传身份证人像面"),
        ({"id_back": SimpleUploadedFile("b.png", b"GIF89a" + b"0" * 500, "image/png")}, "仅支持JPG、PNG"),
        (
            {"id_front": SimpleUploadedFile("f.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024), "image/png")},
            "超过2MB",
        ),
        ({"id_front": SimpleUploadedFile("f.png", png_bytes(120, 80), "image/png")}, "图片太小"),
        ({"id_back": SimpleUploadedFile("b.png", plain_png(), "image/png")}, "身份证国徽面：图片内容空白"),
        ({"id_back": SimpleUploadedFile("b.png", plain_png(blur=True), "image/png")}, "图片模糊"),
    ],
)
def test_bad_id_card_images_are_refused(verified, enterprise, files, message):
    data = form(enterprise, "licence", licence=SimpleUploadedFile("l.png", png_bytes(), "image/png"))
    for key, value in files.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    response = login_client(verified).post(url(enterprise), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not VerificationAttempt.objects.exists()
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.UNVERIFIED


def deposit_amount(phone: str) -> str:
    body = SmsMessage.objects.get(phone=phone, purpose="bank_deposit").body
    return re.search(r"人民币(\d+\.\d\d)元", body).group(1)  # type: ignore[union-attr]


def start_bank_card(client: Client, enterprise, **extra: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {"card_number": CARD, "bank_phone": LEGAL_REP_PHONE, **extra}
    return client.post(url(enterprise), form(enterprise, "bank_card", **fields))


def test_bank_card_then_micro_deposit_verifies_the_enterprise(verified, enterprise):
    client = login_client(verified)
    response = start_bank_card(client, enterprise)
    attempt = VerificationAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == url(enterprise, f"deposit/{attempt.pk}")
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.PENDING
    deposit = MicroDeposit.objects.get()
    amount = deposit_amount(LEGAL_REP_PHONE)
    assert amount not in deposit.amount_hash and CARD not in deposit.card_number_enc
    assert deposit.card_number_masked == "6222 **** **** 0128"
    page = client.get(response["Location"]).content.decode()
    assert "6222 **** **** 0128" in page and CARD not in page
    assert client.post(response["Location"], {"amount": amount}).status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.VERIFIED
    assert AuditEntry.objects.filter(event="identity.enterprise.bank_card.succeeded").exists()


def test_three_wrong_amounts_fail_the_verification(verified, enterprise):
    client = login_client(verified)
    start_bank_card(client, enterprise)
    attempt = VerificationAttempt.objects.get()
    right = deposit_amount(LEGAL_REP_PHONE)
    wrong = "0.01" if right != "0.01" else "0.02"
    deposit_url = url(enterprise, f"deposit/{attempt.pk}")
    first = client.post(deposit_url, {"amount": wrong})
    assert first.status_code == 400 and "还可尝试2次" in first.content.decode()
    malformed = client.post(deposit_url, {"amount": "abc"})
    assert malformed.status_code == 400 and "0.01–0.99" in malformed.content.decode()
    assert "还可尝试1次" in client.post(deposit_url, {"amount": wrong}).content.decode()
    assert client.post(deposit_url, {"amount": wrong}).status_code == 302
    attempt.refresh_from_db()
    enterprise.refresh_from_db()
    assert attempt.state == AttemptState.FAILED and attempt.reason_code == "deposit_tries"
    assert enterprise.state == EnterpriseState.REJECTED and "错误次数过多" in enterprise.state_reason
    too_late = client.post(deposit_url, {"amount": right})
    assert too_late.status_code == 409
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.REJECTED


def test_an_expired_deposit_fails_and_allows_a_new_attempt(verified, enterprise):
    client = login_client(verified)
    start_bank_card(client, enterprise)
    MicroDeposit.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert start_bank_card(client, enterprise).status_code == 302  # the stale one is closed first
    states = list(VerificationAttempt.objects.order_by("pk").values_list("state", "reason_code"))
    assert states == [(AttemptState.FAILED, "deposit_expired"), (AttemptState.PENDING, "")]


def test_bank_card_checks(verified, enterprise):
    client = login_client(verified)
    luhn = start_bank_card(client, enterprise, card_number="6222021234567890127")
    assert luhn.status_code == 400 and "校验位应为" in luhn.content.decode()
    refused = start_bank_card(client, enterprise, card_number=reserved_card())
    assert refused.status_code == 400 and "银行卡核验未通过" in refused.content.decode()
    assert not MicroDeposit.objects.exists()


def test_licence_goes_to_review_and_blocks_other_attempts(verified, enterprise):
    client = login_client(verified)
    licence = SimpleUploadedFile("licence.png", png_bytes(), "image/png")
    response = client.post(url(enterprise), form(enterprise, "licence", licence=licence))
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.PENDING
    attempt = VerificationAttempt.objects.get()
    assert attempt.method == Method.LICENCE and attempt.is_pending and attempt.documents.count() == 3
    blocked = client.get(url(enterprise))
    assert blocked.status_code == 409 and "正在进行中" in blocked.content.decode()
    again = client.post(url(enterprise), form(enterprise, "licence", licence=SimpleUploadedFile("l.png", png_bytes())))
    assert again.status_code == 409 and VerificationAttempt.objects.count() == 1


def test_another_persons_enterprise_is_not_found(verified, enterprise, make_person):
    stranger = login_client(make_person(verified=True))
    for path in (url(enterprise, ""), url(enterprise)):
        assert stranger.get(path).status_code == 404
    assert stranger.post(url(enterprise, "verify/code"), {"phone": LEGAL_REP_PHONE}).status_code == 404
    start_bank_card(login_client(verified), enterprise)
    attempt = VerificationAttempt.objects.get()
    assert stranger.get(url(enterprise, f"deposit/{attempt.pk}")).status_code == 404


def test_members_see_the_enterprise_but_only_administrators_verify(verified, enterprise, make_person):
    member = make_person(verified=True)
    Membership.objects.create(person=member, enterprise=enterprise, role=Membership.Role.MEMBER)
    client = login_client(member)
    assert client.get(url(enterprise, "")).status_code == 200
    assert client.get(url(enterprise)).status_code == 403
    assert client.post(url(enterprise), form(enterprise, "licence")).status_code == 403


def test_an_unverified_administrator_is_sent_to_personal_verification(unverified, make_enterprise):
    enterprise = make_enterprise(unverified)
    client = login_client(unverified)
    page = client.get(url(enterprise))
    assert page.status_code == 403 and "请先完成个人实名认证" in page.content.decode()
    sent = client.post(url(enterprise, "verify/code"), {"phone": LEGAL_REP_PHONE}, HTTP_ACCEPT="application/json")
    assert sent.status_code == 403 and sent.json()["error"] == "identity_unverified"
    assert not SmsMessage.objects.exists()


def test_without_a_readable_card_the_legal_representative_must_be_typed(verified, enterprise):
    data = form(enterprise, "licence", legal_rep_name="", licence=SimpleUploadedFile("l.png", png_bytes()))
    response = login_client(verified).post(url(enterprise), data)
    assert response.status_code == 400 and "请手动填写" in response.content.decode()


def test_a_uscc_registered_by_another_enterprise_is_refused(verified, enterprise, make_enterprise):
    other = make_enterprise(verified)
    response = login_client(verified).post(url(enterprise), form(enterprise, "licence", uscc=other.uscc))
    assert response.status_code == 400 and "已被其他企业登记" in response.content.decode()
