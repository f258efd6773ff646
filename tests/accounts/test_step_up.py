"""Step-up (二次验证): sensitive actions need a fresh SMS code to the person's own phone, or the
certificate's PIN, whatever the session's origin (issue #20 item 1)."""

from __future__ import annotations

import pytest
from django.test import Client

from inkseal.accounts import stepup
from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.notify.models import SmsMessage
from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.pins import set_pin
from inkseal.pki.services import issue_cloud_certificate
from inkseal.seals import services as seal_services
from inkseal.seals.models import SealState, SealType
from tests.conftest import last_sms_code, login_client, step_up
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401

pytestmark = pytest.mark.django_db
ACTOR = Actor("system", "", "test")


@pytest.fixture
def person(ca_hierarchy, verified_person):  # type: ignore[no-untyped-def]  # noqa: F811
    return verified_person(name="乔海朋")


def test_the_code_goes_to_the_persons_own_phone_whatever_the_request_says(person):
    client = login_client(person)
    response = client.post("/account/step-up/code", {"phone": "13700009999"})
    assert response.status_code == 200 and person.masked_phone in response.json()["message"]
    assert SmsMessage.objects.filter(phone=person.phone, purpose="stepup").count() == 1
    assert not SmsMessage.objects.filter(phone="13700009999").exists()


def test_step_up_page_with_the_code_then_fresh_for_a_while(person, settings):
    client = login_client(person)
    assert 'id="step-up-form"' in client.get("/account/step-up/").content.decode()
    client.post("/account/step-up/code")
    assert client.post("/account/step-up/", {"code": "000000"}).status_code == 400
    done = client.post("/account/step-up/", {"code": last_sms_code(person.phone), "next": "/certificates/"})
    assert done.status_code == 302 and done["Location"] == "/certificates/"
    assert AuditEntry.objects.filter(event="stepup.sms").latest("seq").actor_id == person.account_id
    session = client.session
    assert stepup.fresh(session, person) is not None
    settings.STEP_UP_SECONDS = 0
    assert stepup.fresh(client.session, person) is None


def test_pin_set_needs_a_step_up(person):
    certificate = issue_cloud_certificate(person.party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    client = login_client(person)
    url = f"/certificates/{certificate.pk}/pin"
    refused = client.post(url, {"pin": "135790", "pin_again": "135790"})
    assert refused.status_code == 403 and "step_up_required" in refused.content.decode()
    certificate.refresh_from_db()
    assert not certificate.pin_hash
    # the code can come with the form itself
    client.post("/account/step-up/code")
    done = client.post(url, {"pin": "135790", "pin_again": "135790", "step_up_code": last_sms_code(person.phone)})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.pin_hash


def test_revocation_needs_a_step_up_and_the_pin_does(person):
    certificate = issue_cloud_certificate(person.party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    set_pin(certificate, "135790", acting=Acting(ACTOR))
    client = login_client(person)
    url = f"/certificates/{certificate.pk}/revoke"
    refused = client.post(url, {"step": "2", "reason": "1", "confirm": "on"})
    assert refused.status_code == 403 and "step_up_required" in refused.content.decode()
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    wrong = client.post(url, {"step": "2", "reason": "1", "confirm": "on", "step_up_pin": "000000"})
    assert wrong.status_code == 403 and "PIN 码错误" in wrong.content.decode()
    done = client.post(url, {"step": "2", "reason": "1", "confirm": "on", "step_up_pin": "135790"})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    assert AuditEntry.objects.filter(event="stepup.pin").exists()


def test_seal_changes_need_a_step_up(person):
    client = login_client(person)
    refused = client.post("/seals/new/", {"kind": "name", "method": "template", "style": "square", "color": "red"})
    assert refused.status_code == 403 and "step_up_required" in refused.content.decode()
    assert not seal_services.live_seals(person.party).exists()
    step_up(client, person)
    made = client.post("/seals/new/", {"kind": "name", "method": "template", "style": "square", "color": "red"})
    assert made.status_code == 302
    seal = seal_services.live_seals(person.party).get(kind=SealType.NAME)

    fresh = login_client(person)
    refused = fresh.post("/seals/void", {"seal": seal.pk, "confirm": "1"})
    assert refused.status_code == 403
    seal.refresh_from_db()
    assert seal.state == SealState.ACTIVE


def test_a_step_up_belongs_to_its_person(person, verified_person):  # noqa: F811
    other = verified_person(name="王五")
    client = login_client(person)
    step_up(client, person)
    session = client.session
    assert stepup.fresh(session, other) is None


def test_new_login_drops_the_step_up(person, verified_person):  # noqa: F811
    client = login_client(person)
    step_up(client, person)
    other = verified_person(name="王五")
    client.post("/login/code", {"phone": other.phone})
    client.post("/login/", {"phone": other.phone, "code": last_sms_code(other.phone, "login")})
    assert stepup.fresh(client.session, other) is None


def test_step_up_without_login_is_refused():
    assert Client().post("/account/step-up/code").status_code == 302
