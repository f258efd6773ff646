"""A trading platform is trusted only for the people linked to it (issue #20 item 1).

The first SSO from a platform for a person proves the person: an SMS code goes to the phone the
person verified with us, and only that code links the platform's subject to the person. Links
are listed and revocable in 个人中心, and audited; enterprise entry depends on membership only.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from inkseal.audit.models import AuditEntry
from inkseal.notify.models import SmsMessage
from inkseal.platforms.models import PlatformLink
from tests.conftest import link_person, login_client, prove_sso_link

pytestmark = pytest.mark.django_db

VICTIM_PHONE = "18800005473"


def jump(client: Client, ticket: str, code: str = "portal"):  # type: ignore[no-untyped-def]
    return client.get("/sso/jump", {"platform": code, "ticket": ticket})


def logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_ticket_for_an_unlinked_person_needs_the_sms_code_sent_to_that_persons_phone(ticket_platform, make_person):
    tp = ticket_platform()
    victim = make_person(phone=VICTIM_PHONE, name="乔海朋", verified=True)
    attacker = Client()
    response = jump(attacker, tp.ticket(name="乔海朋", phone=VICTIM_PHONE, sub="evil-1"))
    assert response.status_code == 302 and response["Location"] == "/sso/link"
    assert not logged_in(attacker)
    page = attacker.get("/sso/link").content.decode()
    assert "测试交易平台" in page and "188****5473" in page and VICTIM_PHONE not in page
    sent = SmsMessage.objects.filter(phone=VICTIM_PHONE).latest("created_at")
    assert sent.purpose == "sso_link:portal" and "测试交易平台" in sent.body
    assert AuditEntry.objects.filter(event="login.sso_link_required").latest("seq").data["platform"] == "portal"

    wrong = attacker.post("/sso/link", {"code": "000000"})
    assert wrong.status_code == 400 and "验证码错误" in wrong.content.decode()
    assert not logged_in(attacker)
    assert not PlatformLink.objects.filter(person=victim).exists()

    # Only the person holding the phone has the code; with it the platform is linked.
    code = re.search(r"验证码为(\d{6})", sent.body).group(1)  # type: ignore[union-attr]
    done = attacker.post("/sso/link", {"code": code})
    assert done.status_code == 302 and done["Location"] == "/"
    assert logged_in(attacker)
    link = PlatformLink.objects.get(person=victim, platform=tp.platform)
    assert link.subject == "evil-1" and link.revoked_at is None and link.method == "sms"
    entry = AuditEntry.objects.filter(event="platform.link").latest("seq")
    assert entry.actor_id == victim.account_id and entry.data["platform"] == "portal"


def test_a_linked_person_signs_in_at_once_and_the_session_is_marked(ticket_platform, make_person):
    tp = ticket_platform()
    person = make_person(phone="13900001111", name="李四", verified=True)
    link_person(tp.platform, person, "u-1")
    client = Client()
    assert jump(client, tp.ticket()).status_code == 302
    assert logged_in(client)
    profile = client.get("/account/").content.decode()
    assert 'id="session-origin"' in profile and "测试交易平台" in profile
    assert 'id="platform-links"' in profile
    login = AuditEntry.objects.filter(event="login.sso").latest("seq")
    assert login.data["platform"] == "portal" and login.data["link"] == PlatformLink.objects.get().pk
    # what the session does is audited with its platform
    client.post("/account/identity", {"identity": "person"})
    switch = AuditEntry.objects.filter(event="identity.switch").latest("seq")
    assert "sso:portal" in switch.actor_label


def test_another_subject_of_the_platform_must_prove_the_person_again(ticket_platform, make_person):
    tp = ticket_platform()
    person = make_person(phone="13900001111", name="李四", verified=True)
    link_person(tp.platform, person, "u-1")
    response = jump(Client(), tp.ticket(sub="someone-else"))
    assert response["Location"] == "/sso/link"


def test_a_link_to_one_platform_does_not_let_another_platform_in(ticket_platform, make_person):
    honest, evil = ticket_platform(code="portal"), ticket_platform(code="evil")
    person = make_person(phone="13900001111", name="李四", verified=True)
    link_person(honest.platform, person, "u-1")
    response = jump(Client(), evil.ticket(), code="evil")
    assert response["Location"] == "/sso/link"


def test_links_are_listed_and_revocable_in_the_profile(ticket_platform, make_person):
    tp = ticket_platform()
    person = make_person(phone="13900001111", name="李四", verified=True)
    sso_session = Client()
    link = link_person(tp.platform, person, "u-1")
    jump(sso_session, tp.ticket())
    assert logged_in(sso_session)

    owner = login_client(person)
    profile = owner.get("/account/").content.decode()
    assert "测试交易平台" in profile and f"/account/platforms/{link.pk}/unlink" in profile
    response = owner.post(f"/account/platforms/{link.pk}/unlink")
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert AuditEntry.objects.filter(event="platform.unlink").latest("seq").data["platform"] == "portal"
    # the platform's session ends with the link, and its next ticket needs the proof again
    assert not logged_in(sso_session)
    assert jump(Client(), tp.ticket())["Location"] == "/sso/link"


def test_another_persons_link_cannot_be_revoked(ticket_platform, make_person):
    tp = ticket_platform()
    person = make_person(name="李四", verified=True)
    link = link_person(tp.platform, person, "u-1")
    stranger = login_client(make_person(name="王五"))
    assert stranger.post(f"/account/platforms/{link.pk}/unlink").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_new_phone_registers_only_after_the_proof(ticket_platform):
    from inkseal.accounts.models import Person

    tp = ticket_platform()
    client = Client()
    assert jump(client, tp.ticket(name="李四", phone="13900001111"))["Location"] == "/sso/link"
    assert not Person.objects.filter(phone="13900001111").exists()
    prove_sso_link(client, "13900001111")
    person = Person.objects.get(phone="13900001111")
    assert person.name == "李四" and PlatformLink.objects.filter(person=person).exists()


def test_enterprise_entry_needs_membership_of_the_enterprise_the_ticket_names(
    ticket_platform, make_person, make_enterprise
):
    tp = ticket_platform()
    person = make_person(phone="13900001111", name="李四", verified=True)
    own = make_enterprise(person, name="甲公司")
    other = make_enterprise(make_person(name="王五"), name="乙公司")
    link_person(tp.platform, person, "u-1")

    client = Client()
    refused = jump(client, tp.ticket(entry="enterprise", enterprise_uscc=other.uscc))
    assert refused.status_code == 403 and "enterprise_not_member" in refused.content.decode()
    assert not logged_in(client)
    assert AuditEntry.objects.filter(event="login.sso_failed").latest("seq").data["reason"] == "enterprise_not_member"

    ok = Client()
    assert jump(ok, tp.ticket(entry="enterprise", enterprise_uscc=own.uscc)).status_code == 302
    home = ok.get("/").content.decode()
    assert own.name in home and other.name not in home


def test_guessing_the_link_code_ends_after_five_tries(ticket_platform, make_person):
    """Small-scale brute force: five wrong codes kill the code; the right one is then refused too."""
    tp = ticket_platform()
    victim = make_person(phone=VICTIM_PHONE, name="乔海朋", verified=True)
    attacker = Client()
    jump(attacker, tp.ticket(name="乔海朋", phone=VICTIM_PHONE, sub="evil-1"))
    right = re.search(r"验证码为(\d{6})", SmsMessage.objects.get(phone=VICTIM_PHONE).body).group(1)  # type: ignore[union-attr]
    wrong = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 6)]
    for guess in wrong:
        assert attacker.post("/sso/link", {"code": guess}).status_code == 400
    assert attacker.post("/sso/link", {"code": right}).status_code == 400
    assert not logged_in(attacker)
    assert not PlatformLink.objects.filter(person=victim).exists()


def test_operators_see_links_read_only(ticket_platform, make_person):
    from django.contrib.auth.models import User

    tp = ticket_platform()
    link_person(tp.platform, make_person(name="李四", verified=True), "u-42")
    operator = Client()
    operator.force_login(User.objects.create_superuser("root", password="x"))
    listing = operator.get("/backoffice/platforms/platformlink/")
    assert listing.status_code == 200 and "u-42" in listing.content.decode()
    assert operator.get("/backoffice/platforms/platformlink/add/").status_code == 403
