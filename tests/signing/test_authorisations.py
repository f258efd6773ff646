"""证书授权: add, list (交易平台名称, 被授权人, 状态, 期限), revoke; only administrators; scoped.

An authorisation is active only once the authorised person proved the phone (issue #14 item 6),
and adding one needs a fresh step-up of the holder (issue #20 item 1).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from inkseal.accounts.models import Person
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.notify.models import SmsMessage
from inkseal.pki import sections
from inkseal.pki.pins import set_pin
from inkseal.platforms.models import CertificateAuthorization
from inkseal.platforms.services import set_ticket_secret
from tests.conftest import last_sms_code, link_person, login_client, step_up
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, Signing

pytestmark = pytest.mark.django_db

STRANGER_PHONE = "13800000000"


def admin_client(signing: Signing, *, stepped_up: bool = True) -> Client:
    enterprise = signing.certificate.holder.enterprise
    client = login_client(signing.admin, f"enterprise:{enterprise.pk}")
    if stepped_up:
        step_up(client, signing.admin)
    return client


def add(client: Client, signing: Signing, name: str, phone: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/certificates/{signing.certificate.pk}/authorisations/",
        {
            "platform": signing.platform.pk,
            "grantee_name": name,
            "grantee_phone": phone,
            "valid_from": "2024-01-01",
            "valid_until": "2099-01-01",
            **extra,
        },
    )


def confirm_link(phone: str) -> str:
    body = SmsMessage.objects.filter(phone=phone, purpose__startswith="grant:").latest("created_at").body
    return re.search(r"(/authorisations/confirm/[\w-]+)", body).group(1)  # type: ignore[union-attr]


def test_add_list_revoke(signing: Signing) -> None:
    client = admin_client(signing)
    url = f"/certificates/{signing.certificate.pk}/authorisations/"
    response = add(client, signing, "赵六", "13700001111")
    assert response.status_code == 302
    added = CertificateAuthorization.objects.get(grantee_name="赵六")
    page = client.get(url).content.decode()
    assert "赵六" in page and "测试交易平台" in page and "待确认" in page
    rows = sections.authorisations(signing.certificate)
    assert {"platform", "grantee", "state", "term"} <= rows[0].keys()
    assert sections.add_authorisation_url(signing.certificate) == url
    client.post(f"{url}{added.pk}/revoke")
    added.refresh_from_db()
    assert added.revoked_at is not None
    assert "已撤销" in client.get(url).content.decode()


def test_bad_phone_refused_and_others_404(signing: Signing, make_person: object) -> None:
    client = admin_client(signing)
    url = f"/certificates/{signing.certificate.pk}/authorisations/"
    add(client, signing, "赵六", "123")
    assert not CertificateAuthorization.objects.filter(grantee_name="赵六").exists()
    stranger = login_client(make_person())  # type: ignore[operator]
    assert stranger.get(url).status_code == 404


# --- issue #14 item 6: the authorised person proves the phone -------------------------------------


def test_a_typo_stays_pending_and_cannot_sign_until_the_phone_is_proved(signing: Signing) -> None:
    client = admin_client(signing)
    add(client, signing, "赵雨桐", STRANGER_PHONE)
    grant = CertificateAuthorization.objects.get(grantee_phone=STRANGER_PHONE)
    assert grant.confirmed_at is None
    assert "待确认" in client.get(f"/certificates/{signing.certificate.pk}/authorisations/").content.decode()

    refused = signing.create(spec=signing.spec(confirmer={"phone": STRANGER_PHONE}))
    assert refused.status_code == 403 and refused.json()["error"] == "authorization_pending"

    # the person holding the phone opens the link from the SMS and enters the code
    link = confirm_link(STRANGER_PHONE)
    grantee = Client()
    page = grantee.get(link).content.decode()
    assert "测试交易平台" in page and "赵雨桐" in page and 'id="grant-confirm-form"' in page
    assert grantee.post(link, {"code": "000000"}).status_code == 400
    grantee.post(f"{link}/code")  # a new code: the first SMS's code is consumed by nobody yet, either works
    done = grantee.post(link, {"code": last_sms_code(STRANGER_PHONE, "grant:")})
    assert done.status_code == 200 and "已确认" in done.content.decode()
    grant.refresh_from_db()
    assert grant.confirmed_at is not None
    assert AuditEntry.objects.filter(event="certificate.authorization_confirm").exists()

    created = signing.create(spec=signing.spec(confirmer={"phone": STRANGER_PHONE}))
    assert created.status_code == 201, created.content


def test_the_holder_withdraws_a_pending_authorisation(signing: Signing) -> None:
    client = admin_client(signing)
    add(client, signing, "赵雨桐", STRANGER_PHONE)
    grant = CertificateAuthorization.objects.get(grantee_phone=STRANGER_PHONE)
    link = confirm_link(STRANGER_PHONE)
    assert client.post(f"/certificates/{signing.certificate.pk}/authorisations/{grant.pk}/revoke").status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.confirmed_at is None
    code = last_sms_code(STRANGER_PHONE, "grant:")
    late = Client().post(link, {"code": code})
    assert late.status_code == 404
    grant.refresh_from_db()
    assert grant.confirmed_at is None


def test_a_verified_user_of_the_phone_is_active_at_once(signing: Signing, make_person) -> None:  # type: ignore[no-untyped-def]
    make_person(phone="13700002222", name="钱七", verified=True)
    client = admin_client(signing)
    add(client, signing, "钱七", "13700002222")
    grant = CertificateAuthorization.objects.get(grantee_phone="13700002222")
    assert grant.confirmed_at is not None
    assert not SmsMessage.objects.filter(phone="13700002222", purpose__startswith="grant:").exists()
    # another name for that phone is not that user: the phone must be proved
    add(client, signing, "钱八", "13700002222")
    assert CertificateAuthorization.objects.get(grantee_name="钱八").confirmed_at is None


# --- issue #20 item 1: a platform cannot grant itself a victim's certificate ----------------------


def test_the_platform_attack_is_refused_at_each_step(signing: Signing) -> None:
    platform = signing.platform
    platform.ticket_algorithm = "HS256"
    secret = "a-shared-secret-of-at-least-32-bytes!!"
    set_ticket_secret(platform, secret)
    platform.save()
    victim = signing.admin
    victim.verification_state = "verified"
    victim.save()
    enterprise = signing.certificate.holder.enterprise
    attacker_phone = "13666666666"

    import time
    import uuid

    import jwt

    def ticket(**claims: object) -> str:
        now = int(time.time())
        body = {"iss": platform.code, "aud": "inkseal", "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
        body.update(sub="victim", name=victim.name, phone=victim.phone, entry="enterprise", **claims)
        return jwt.encode(body, secret, algorithm="HS256")

    # 1. the platform's own ticket naming the victim gets no session: the code goes to the victim
    attacker = Client()
    response = attacker.get("/sso/jump", {"platform": platform.code, "ticket": ticket()})
    assert response["Location"] == "/sso/link"
    assert attacker.get("/").status_code == 302
    assert not SmsMessage.objects.filter(phone=attacker_phone).exists()

    # 2. even with a link (the victim once used the platform), adding an authorisation needs a step-up
    link_person(platform, victim, "victim")
    session = Client()
    session.get("/sso/jump", {"platform": platform.code, "ticket": ticket()})
    assert enterprise.name in session.get("/").content.decode()  # member: enterprise entry allowed
    refused = add(session, signing, "攻击者", attacker_phone)
    assert refused.status_code == 403 and "step_up_required" in refused.content.decode()
    assert not CertificateAuthorization.objects.filter(grantee_phone=attacker_phone).exists()
    refusal = AuditEntry.objects.filter(event="stepup.refused").latest("seq")
    assert refusal.data["session_platform"] == platform.code and "sso:" in refusal.actor_label

    # 3. the step-up code goes to the victim's verified phone, never to a phone the session names
    session.post("/account/step-up/code", {"phone": attacker_phone})
    assert SmsMessage.objects.filter(phone=victim.phone, purpose="stepup").exists()
    assert not SmsMessage.objects.filter(phone=attacker_phone).exists()

    # 4. in a platform's SSO session the PIN is not enough to add an authorisation
    set_pin(signing.certificate, "135790", acting=Acting(ACTOR))
    pinned = add(session, signing, "攻击者", attacker_phone, step_up_pin="135790")
    assert pinned.status_code == 403 and "step_up_required" in pinned.content.decode()
    assert not CertificateAuthorization.objects.filter(grantee_phone=attacker_phone).exists()

    # 5. so the platform's sign task for its own phone is refused
    created = signing.create(spec=signing.spec(confirmer={"phone": attacker_phone}))
    assert created.status_code == 403 and created.json()["error"] == "certificate_not_authorized"
    assert AuditEntry.objects.filter(event="login.sso_link_required").exists()
    assert not Person.objects.filter(phone=attacker_phone).exists()
