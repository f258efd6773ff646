"""The back office's review queue: licence and other-document cases, approve/reject with a reason,
photos decrypted for reviewers only, every decision and view audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from inkseal.accounts.models import EnterpriseState, VerificationState
from inkseal.audit.models import AuditEntry
from inkseal.identity.models import AttemptState, IdentityDocument, VerificationAttempt
from tests.conftest import login_client
from tests.identity.conftest import AGREEMENTS, id_number, sms_code
from tests.identity.media import png_bytes

pytestmark = pytest.mark.django_db
QUEUE = "/backoffice/identity/pendingreview/"


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("reviewer", password="a-long-password-1"))
    return client


@pytest.fixture
def licence_case(verified, make_enterprise):  # type: ignore[no-untyped-def]
    enterprise = make_enterprise(verified)
    files = {
        name: SimpleUploadedFile(f"{name}.png", png_bytes(), "image/png") for name in ("id_front", "id_back", "licence")
    }
    data = {
        "method": "licence",
        "name": enterprise.name,
        "enterprise_type": "enterprise",
        "uscc": enterprise.uscc,
        "legal_rep_name": "张法人",
        "legal_rep_id_number": id_number(50),
        "agreements": AGREEMENTS,
        **files,
    }
    assert login_client(verified).post(f"/account/enterprises/{enterprise.pk}/verify", data).status_code == 302
    return VerificationAttempt.objects.get(enterprise=enterprise)


@pytest.fixture
def document_case(unverified):  # type: ignore[no-untyped-def]
    client = login_client(unverified)
    client.post("/identity/phone/code", HTTP_ACCEPT="application/json")
    data = {
        "name": "刘婧妍",
        "id_type": "hk_macao_permit",
        "id_number": "H12345678",
        "code": sms_code(unverified.phone),
        "agreements": AGREEMENTS,
        "document": SimpleUploadedFile("permit.png", png_bytes(), "image/png"),
    }
    assert client.post("/identity/phone", data).status_code == 302
    return VerificationAttempt.objects.get(person=unverified)


def test_queue_lists_pending_cases_and_shows_their_photos(operator, licence_case):
    listing = operator.get(QUEUE)
    assert listing.status_code == 200 and licence_case.enterprise.name in listing.content.decode()
    page = operator.get(f"{QUEUE}{licence_case.pk}/change/").content.decode()
    assert "单位证件认证" in page and licence_case.id_number_masked in page and id_number(50) not in page
    document = IdentityDocument.objects.filter(attempt=licence_case, kind="licence").get()
    image = operator.get(f"{QUEUE}document/{document.pk}/")
    assert image.status_code == 200 and image.content == png_bytes() and "no-store" in image["Cache-Control"]
    assert AuditEntry.objects.filter(event="identity.document.viewed", actor_id__isnull=False).exists()


def test_stored_photos_are_encrypted(licence_case, settings, tmp_path):
    document = IdentityDocument.objects.filter(attempt=licence_case).first()
    stored = (tmp_path / document.storage_name).read_bytes()
    assert b"PNG" not in stored[:64] and len(stored) == document.size + 28


def test_approving_a_licence_verifies_the_enterprise(operator, licence_case):
    response = operator.post(f"{QUEUE}{licence_case.pk}/review/", {"decision": "approve", "reason": ""})
    assert response.status_code == 302
    licence_case.refresh_from_db()
    assert licence_case.state == AttemptState.SUCCEEDED and licence_case.reviewed_by == "reviewer"
    assert licence_case.enterprise.state == EnterpriseState.VERIFIED
    entry = AuditEntry.objects.get(event="identity.review.approved")
    assert entry.actor_kind == "operator" and entry.actor_label == "reviewer"
    assert "已完成审核" in operator.get(QUEUE).content.decode()
    assert "0 待审核实名认证" in operator.get(QUEUE).content.decode()


def test_rejecting_needs_a_reason_which_the_applicant_sees(operator, licence_case, verified):
    missing = operator.post(f"{QUEUE}{licence_case.pk}/review/", {"decision": "reject", "reason": " "})
    assert missing.status_code == 400 and "驳回时请填写原因" in missing.content.decode()
    licence_case.refresh_from_db()
    assert licence_case.is_pending
    operator.post(f"{QUEUE}{licence_case.pk}/review/", {"decision": "reject", "reason": "营业执照照片不完整"})
    licence_case.refresh_from_db()
    enterprise = licence_case.enterprise
    assert enterprise.state == EnterpriseState.REJECTED and enterprise.state_reason == "营业执照照片不完整"
    assert "营业执照照片不完整" in login_client(verified).get("/account/").content.decode()


def test_approving_another_document_verifies_the_person(operator, document_case, unverified):
    operator.post(f"{QUEUE}{document_case.pk}/review/", {"decision": "approve", "reason": "证件清晰"})
    unverified.refresh_from_db()
    assert unverified.verification_state == VerificationState.VERIFIED and unverified.id_type == "hk_macao_permit"
    assert unverified.id_number_masked == "H12*****678"


def test_rejecting_a_document_marks_the_person_rejected(operator, document_case, unverified):
    operator.post(f"{QUEUE}{document_case.pk}/review/", {"decision": "reject", "reason": "证件照片模糊"})
    unverified.refresh_from_db()
    assert unverified.verification_state == VerificationState.REJECTED
    assert "证件照片模糊" in login_client(unverified).get("/identity/").content.decode()


def test_a_case_is_decided_once(operator, licence_case):
    operator.post(f"{QUEUE}{licence_case.pk}/review/", {"decision": "approve"})
    again = operator.post(f"{QUEUE}{licence_case.pk}/review/", {"decision": "reject", "reason": "x"})
    assert again.status_code == 302  # back to the queue: it is no longer there
    licence_case.refresh_from_db()
    assert licence_case.state == AttemptState.SUCCEEDED


def test_viewers_without_the_review_permission_cannot_decide(licence_case):
    viewer = User.objects.create_user("viewer", password="a-long-password-1", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_pendingreview"))
    client = Client()
    client.force_login(viewer)
    assert client.get(f"{QUEUE}{licence_case.pk}/change/").status_code == 200
    assert client.post(f"{QUEUE}{licence_case.pk}/review/", {"decision": "approve"}).status_code == 403
    licence_case.refresh_from_db()
    assert licence_case.is_pending


def test_portal_users_cannot_reach_the_queue(verified, licence_case):
    response = login_client(verified).get(QUEUE)
    assert response.status_code == 302 and "/backoffice/login/" in response["Location"]


def test_records_are_read_only_and_searchable_by_full_id_number(operator, licence_case):
    listing = operator.get("/backoffice/identity/verificationattempt/", {"q": id_number(50)})
    assert listing.status_code == 200 and licence_case.enterprise.name in listing.content.decode()
    assert operator.get("/backoffice/identity/verificationattempt/add/").status_code == 403
