"""Single sign-on by signed jump ticket: GET /sso/jump?platform=<code>&ticket=<JWT>."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from inkseal.accounts.models import Person
from inkseal.audit.models import AuditEntry
from tests.conftest import link_person, make_id_number, prove_sso_link

pytestmark = pytest.mark.django_db


def jump(client: Client, code: str, ticket: str):  # type: ignore[no-untyped-def]
    return client.get("/sso/jump", {"platform": code, "ticket": ticket})


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "HS256"])
def test_valid_ticket_logs_the_user_in(ticket_platform, algorithm):
    tp = ticket_platform(algorithm)
    client = Client()
    response = jump(client, "portal", tp.ticket(name="李四", phone="13900001111"))
    assert response.status_code == 302 and response["Location"] == "/sso/link"  # first SSO: prove the phone
    assert prove_sso_link(client, "13900001111")["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "李四" in home.content.decode()
    person = Person.objects.get(phone="13900001111")
    assert person.name == "李四"
    entry = AuditEntry.objects.filter(event="login.sso").latest("seq")
    assert entry.data["platform"] == "portal" and entry.data["method"] == "ticket"
    assert entry.actor_id == person.account_id


def test_id_number_is_stored_masked_and_encrypted(ticket_platform):
    tp = ticket_platform()
    id_number = make_id_number(7)
    client = Client()
    jump(client, "portal", tp.ticket(id_number=id_number))
    prove_sso_link(client, "13900001111")
    person = Person.objects.get(phone="13900001111")
    assert person.id_number_masked == id_number[:3] + "*****" + id_number[-3:]
    assert id_number not in person.id_number_enc
    assert person.id_number_index and id_number not in person.id_number_index


def failure(client: Client, code: str, ticket: str, expected_status: int, expected_code: str) -> None:
    before = AuditEntry.objects.filter(event="login.sso_failed").count()
    response = jump(client, code, ticket)
    assert response.status_code == expected_status
    body = response.content.decode()
    assert expected_code in body
    assert "单点登录失败" in body
    entries = AuditEntry.objects.filter(event="login.sso_failed")
    assert entries.count() == before + 1
    assert entries.latest("seq").data["reason"] == expected_code
    assert client.get("/").status_code == 302  # still logged out


def test_replayed_ticket_is_refused(ticket_platform):
    tp = ticket_platform()
    ticket = tp.ticket()
    assert jump(Client(), "portal", ticket).status_code == 302
    failure(Client(), "portal", ticket, 403, "ticket_replayed")


def test_expired_ticket_is_refused(ticket_platform):
    tp = ticket_platform()
    now = int(time.time())
    failure(Client(), "portal", tp.ticket(iat=now - 400, exp=now - 200), 403, "ticket_expired")


def test_ticket_living_longer_than_five_minutes_is_refused(ticket_platform):
    tp = ticket_platform()
    now = int(time.time())
    failure(Client(), "portal", tp.ticket(iat=now, exp=now + 600), 403, "ticket_lifetime_too_long")


def test_ticket_issued_in_the_future_is_refused(ticket_platform):
    tp = ticket_platform()
    now = int(time.time())
    failure(Client(), "portal", tp.ticket(iat=now + 3600, exp=now + 3700), 403, "ticket_not_yet_valid")


def test_wrong_audience_is_refused(ticket_platform):
    tp = ticket_platform()
    failure(Client(), "portal", tp.ticket(aud="someone-else"), 403, "ticket_wrong_audience")


def test_wrong_issuer_is_refused(ticket_platform):
    tp = ticket_platform()
    failure(Client(), "portal", tp.ticket(iss="other-platform"), 403, "ticket_wrong_issuer")


def test_ticket_signed_with_another_key_is_refused(ticket_platform):
    tp = ticket_platform()
    forged = tp.ticket(key=ec.generate_private_key(ec.SECP256R1()))
    failure(Client(), "portal", forged, 403, "ticket_bad_signature")


def _unsigned(header: dict, claims: dict, secret: bytes | None) -> str:
    encode = lambda d: jwt.utils.base64url_encode(json.dumps(d).encode()).decode()  # noqa: E731
    signing_input = f"{encode(header)}.{encode(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{jwt.utils.base64url_encode(signature).decode()}"


def test_algorithm_confusion_is_refused(ticket_platform):
    """An HS256 ticket keyed with the platform's public key, or alg=none, must not pass for ES256."""
    tp = ticket_platform("ES256")
    now = int(time.time())
    claims = {
        "iss": "portal",
        "aud": "inkseal",
        "iat": now,
        "exp": now + 60,
        "jti": "x",
        "sub": "s",
        "name": "李四",
        "phone": "13900001111",
    }
    public_pem = tp.platform.ticket_public_key.encode()
    failure(
        Client(), "portal", _unsigned({"alg": "HS256", "typ": "JWT"}, claims, public_pem), 403, "ticket_bad_signature"
    )
    failure(Client(), "portal", _unsigned({"alg": "none"}, dict(claims, jti="y"), None), 403, "ticket_bad_signature")


def test_tampered_payload_is_refused(ticket_platform):
    tp = ticket_platform()
    header, _payload, signature = tp.ticket().split(".")
    other = tp.ticket(phone="13900002222").split(".")[1]
    failure(Client(), "portal", f"{header}.{other}.{signature}", 403, "ticket_bad_signature")


@pytest.mark.parametrize("ticket", ["", "garbage", "a.b.c", "x" * 9000])
def test_malformed_ticket_is_refused(ticket_platform, ticket):
    ticket_platform()
    failure(Client(), "portal", ticket, 400, "ticket_malformed")


@pytest.mark.parametrize("missing", ["jti", "exp", "iat", "sub"])
def test_ticket_missing_a_required_claim_is_refused(ticket_platform, missing):
    tp = ticket_platform()
    failure(Client(), "portal", tp.ticket(**{missing: None}), 400, "ticket_malformed")


def test_ticket_with_bad_identity_claims_is_refused(ticket_platform):
    tp = ticket_platform()
    failure(Client(), "portal", tp.ticket(phone="12345"), 400, "ticket_malformed")
    failure(Client(), "portal", tp.ticket(id_number="110105198806120000"), 400, "ticket_malformed")


def test_unknown_or_disabled_platform_is_refused(ticket_platform):
    tp = ticket_platform()
    failure(Client(), "nobody", tp.ticket(), 404, "platform_unknown")
    tp.platform.enabled = False
    tp.platform.save()
    failure(Client(), "portal", tp.ticket(), 404, "platform_unknown")


def test_conflicting_name_for_a_verified_phone_is_refused(ticket_platform, make_person):
    tp = ticket_platform()
    make_person(phone="13900001111", name="王五", verified=True)
    failure(Client(), "portal", tp.ticket(name="李四"), 409, "identity_conflict")
    response = jump(Client(), "portal", tp.ticket(name="李四"))
    assert "一定要在自己的名下" in response.content.decode()


def test_conflicting_id_number_for_a_verified_phone_is_refused(ticket_platform, make_person):
    tp = ticket_platform()
    make_person(phone="13900001111", name="李四", verified=True, id_number=make_id_number(1))
    failure(Client(), "portal", tp.ticket(id_number=make_id_number(2)), 409, "identity_conflict")
    assert jump(Client(), "portal", tp.ticket(id_number=make_id_number(1))).status_code == 302


def test_id_number_verified_under_another_phone_is_refused(ticket_platform, make_person):
    tp = ticket_platform()
    make_person(phone="13700000000", name="李四", verified=True, id_number=make_id_number(3))
    failure(Client(), "portal", tp.ticket(id_number=make_id_number(3)), 409, "identity_conflict")
    assert not Person.objects.filter(phone="13900001111").exists()


def test_unverified_account_follows_the_platform_details(ticket_platform, make_person):
    tp = ticket_platform()
    link_person(tp.platform, make_person(phone="13900001111", name="旧名字"), "u-1")
    assert jump(Client(), "portal", tp.ticket(name="李四")).status_code == 302
    assert Person.objects.get(phone="13900001111").name == "李四"


def test_enterprise_entry_lands_in_the_enterprise_identity(ticket_platform, make_person, make_enterprise):
    tp = ticket_platform()
    person = make_person(phone="13900001111", name="李四")
    enterprise = make_enterprise(person, name="甲公司")
    link_person(tp.platform, person, "u-1")
    client = Client()
    assert jump(client, "portal", tp.ticket(entry="enterprise")).status_code == 302
    assert enterprise.name in client.get("/").content.decode()


def test_enterprise_entry_without_an_enterprise_goes_to_create_enterprise(ticket_platform):
    tp = ticket_platform()
    client = Client()
    jump(client, "portal", tp.ticket(entry="enterprise"))
    assert prove_sso_link(client, "13900001111")["Location"] == "/account/enterprises/new"


def test_sso_does_not_follow_an_open_redirect(ticket_platform):
    tp = ticket_platform()
    client = Client()
    client.get("/sso/jump", {"platform": "portal", "ticket": tp.ticket(), "next": "https://evil.example/"})
    assert prove_sso_link(client, "13900001111")["Location"] == "/"
