"""The daily limits on identity checks (issue #14 item 8): only attempts that reached a provider
count (a 人脸认证 started again cancels the earlier start, which never reached one), and every
limit is checked before an SMS goes out, above all the authorisation SMS to a legal
representative."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inkseal.accounts.models import EnterpriseState, Person
from inkseal.identity.attempts import PersonClaim, cancel_attempt, finish_attempt, new_attempt
from inkseal.identity.models import IdType, Method
from inkseal.identity.providers.base import Verdict
from inkseal.notify.models import SmsMessage
from tests.conftest import login_client
from tests.identity.conftest import id_number, sms_code
from tests.identity.test_enterprise import LEGAL_REP_PHONE, form, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(verified: Person, make_enterprise: Any) -> Any:
    return make_enterprise(verified)


def past_attempts(
    person: Person, number: str, *, cancelled: int = 0, failed: int = 0, succeeded: int = 0, name: str = "乔海朋"
) -> None:
    """Earlier 人脸认证 attempts of `person` on ID `number`, ended as the face flow ends them."""
    claim = PersonClaim(name, IdType.RESIDENT_ID, number)
    endings = [("cancelled", None)] * cancelled
    endings += [("failed", Verdict.refuse("mismatch", "人脸比对未通过"))] * failed
    endings += [("succeeded", Verdict.accept())] * succeeded
    for ending, verdict in endings:
        attempt = new_attempt(person, Method.FACE, "sandbox", claim, {})
        if verdict is None:
            cancel_attempt(attempt, "已重新发起人脸认证。", "superseded")
        else:
            finish_attempt(attempt, verdict)


def request_legal_rep_code(client: Client, enterprise: Any, number: str) -> Any:
    return client.post(
        url(enterprise, "verify/code"),
        {"phone": LEGAL_REP_PHONE, "legal_rep_name": "乔海朋", "legal_rep_id_number": number},
        HTTP_ACCEPT="application/json",
    )


def test_cancelled_face_attempts_do_not_count_against_the_legal_representative(verified: Person, enterprise: Any):
    """The reported case: 3 cancelled + 1 failed + 1 successful face attempt, then the same person
    verifies an enterprise as its legal representative."""
    past_attempts(verified, id_number(7), cancelled=3, failed=1, succeeded=1)
    client = login_client(verified)

    assert request_legal_rep_code(client, enterprise, id_number(7)).status_code == 200
    response = client.post(
        url(enterprise),
        form(
            enterprise,
            "legal_rep_phone",
            legal_rep_name="乔海朋",
            legal_rep_id_number=id_number(7),
            phone=LEGAL_REP_PHONE,
            code=sms_code(LEGAL_REP_PHONE),
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.VERIFIED


def test_a_spent_id_quota_is_refused_before_the_authorisation_sms(verified: Person, enterprise: Any, settings: Any):
    past_attempts(verified, id_number(40), failed=settings.IDENTITY_ATTEMPTS_PER_ID_PER_DAY, name="张法人")
    client = login_client(verified)

    refused = request_legal_rep_code(client, enterprise, id_number(40))

    assert refused.status_code == 429 and "该证件号今天的认证次数已达上限" in refused.json()["message"]
    assert not SmsMessage.objects.filter(phone=LEGAL_REP_PHONE).exists()


def test_a_spent_personal_quota_is_refused_before_any_sms(verified: Person, enterprise: Any, settings: Any):
    settings.IDENTITY_ATTEMPTS_PER_PERSON_PER_DAY = 2
    past_attempts(verified, id_number(41), failed=2, name="张法人")
    client = login_client(verified)

    refused = client.post(url(enterprise, "verify/code"), {"phone": LEGAL_REP_PHONE}, HTTP_ACCEPT="application/json")

    assert refused.status_code == 429 and "您今天的认证次数已达上限" in refused.json()["message"]
    assert not SmsMessage.objects.filter(phone=LEGAL_REP_PHONE).exists()


def test_the_phone_check_code_is_not_sent_when_the_quota_is_spent(unverified: Person, settings: Any):
    settings.IDENTITY_ATTEMPTS_PER_PERSON_PER_DAY = 2
    past_attempts(unverified, id_number(42), failed=2, name="刘婧妍")
    client = login_client(unverified)

    refused = client.post("/identity/phone/code", HTTP_ACCEPT="application/json")

    assert refused.status_code == 429
    assert not SmsMessage.objects.filter(phone=unverified.phone).exists()


def test_starting_face_again_and_again_spends_nothing(unverified: Person, settings: Any):
    settings.IDENTITY_ATTEMPTS_PER_PERSON_PER_DAY = 2
    settings.IDENTITY_ATTEMPTS_PER_ID_PER_DAY = 2
    client = login_client(unverified)
    data = {"name": "刘婧妍", "id_number": id_number(43), "liveness": "silent", "decision": "agree"}
    data["agreements"] = ["service", "privacy", "biometrics"]
    for _ in range(4):  # each start cancels the one before: no provider saw any of them
        assert client.post("/identity/face", data).status_code == 200
    past_attempts(unverified, id_number(43), failed=2, name="刘婧妍")
    refused = client.post("/identity/face", data)
    assert refused.status_code == 429 and "次数已达上限" in refused.content.decode()
