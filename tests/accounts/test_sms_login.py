"""Local login by phone + SMS code: 6 digits, 5 minutes, 5 wrong tries, rate limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from inkseal.accounts.models import Person
from inkseal.audit.models import AuditEntry
from inkseal.notify.models import SmsCode, SmsMessage

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


def request_code(client: Client, phone: str = PHONE, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/login/code", {"phone": phone}, HTTP_ACCEPT="application/json", REMOTE_ADDR=ip)


def last_code(phone: str = PHONE) -> str:
    body = SmsMessage.objects.filter(phone=phone).first().body
    return re.search(r"验证码为(\d{6})", body).group(1)


def login(client: Client, code: str, phone: str = PHONE):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"phone": phone, "code": code})


def test_code_login_registers_and_logs_in():
    client = Client()
    assert request_code(client).status_code == 200
    code = last_code()
    assert len(code) == 6
    response = login(client, code)
    assert response.status_code == 302
    person = Person.objects.get(phone=PHONE)
    assert re.fullmatch(r"L[0-9A-Z]{16}", person.account_id)
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(event="login.sms", actor_id=person.account_id).exists()


def test_code_is_stored_hashed():
    request_code(Client())
    assert last_code() not in SmsCode.objects.get(phone=PHONE).code_hash


def test_code_is_single_use():
    client = Client()
    request_code(client)
    code = last_code()
    assert login(client, code).status_code == 302
    response = login(Client(), code)
    assert response.status_code == 400
    assert "验证码已使用" in response.content.decode()


def test_expired_code_is_refused():
    client = Client()
    request_code(client)
    SmsCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = login(client, last_code())
    assert response.status_code == 400
    assert "已过期" in response.content.decode()
    assert client.get("/").status_code == 302


def test_five_wrong_tries_burn_the_code():
    client = Client()
    request_code(client)
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        assert f"还可尝试{left}次" in login(client, wrong).content.decode()
    assert "错误次数过多" in login(client, wrong).content.decode()
    assert "错误次数过多" in login(client, code).content.decode()  # even the right code is now dead
    assert not Person.objects.filter(phone=PHONE).exists()


def test_a_second_code_within_the_interval_is_refused():
    client = Client()
    assert request_code(client).status_code == 200
    response = request_code(client)
    assert response.status_code == 429
    assert "过于频繁" in response.json()["message"]


@override_settings(SMS_PHONE_INTERVAL_SECONDS=0, SMS_PER_PHONE_PER_HOUR=3)
def test_hourly_limit_per_phone():
    client = Client()
    for _ in range(3):
        assert request_code(client).status_code == 200
    assert request_code(client).status_code == 429
    assert request_code(client, phone="13812345679").status_code == 200


@override_settings(SMS_PHONE_INTERVAL_SECONDS=0, SMS_PER_IP_PER_HOUR=2)
def test_hourly_limit_per_ip():
    client = Client()
    assert request_code(client, phone="13800000001").status_code == 200
    assert request_code(client, phone="13800000002").status_code == 200
    response = request_code(client, phone="13800000003")
    assert response.status_code == 429
    assert request_code(client, phone="13800000003", ip="10.0.0.2").status_code == 200


@pytest.mark.parametrize("phone", ["", "123", "23812345678", "1381234567x", "1" * 30])
def test_invalid_phone_is_refused_without_sending(phone):
    response = request_code(Client(), phone=phone)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_phone"
    assert SmsMessage.objects.count() == 0


def test_malformed_login_form_is_a_400_not_a_500():
    response = Client().post("/login/", {"phone": "abc", "code": "12"})
    assert response.status_code == 400
    assert "请输入正确的11位手机号" in response.content.decode()


def test_sandbox_outbox_pages():
    request_code(Client())
    client = Client()
    page = client.get("/dev/sms", {"phone": PHONE})
    assert page.status_code == 200 and last_code() in page.content.decode()
    data = client.get("/dev/sms.json", {"phone": PHONE}).json()
    assert data["sandbox"] is True and data["messages"][0]["phone"] == PHONE


@override_settings(SANDBOX=False)
def test_sandbox_pages_do_not_exist_outside_sandbox():
    assert Client().get("/dev/sms").status_code == 404
    assert Client().get("/dev/sms.json").status_code == 404


def test_logout_everywhere_ends_other_sessions():
    first, second = Client(), Client()
    request_code(first)
    login(first, last_code())
    SmsCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    request_code(second)
    login(second, last_code())
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    first.post("/logout/", {"everywhere": "1"})
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302
    assert AuditEntry.objects.filter(event="logout").latest("seq").data == {"everywhere": True}
