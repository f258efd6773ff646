"""Back office sign-in: throttled and locked with growing back-off per account and per IP (in the
database, so every worker sees it), each failure and lock audited; TOTP (RFC 6238) for operators,
enrolled with a QR code and a confirming code, the secret sealed; reset by another operator."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from inkseal.audit.models import AuditEntry
from inkseal.backoffice import totp
from inkseal.backoffice.models import LoginThrottle, OperatorTotp
from inkseal.backoffice.security import (
    ACCOUNT_MAX_FAILURES,
    IP_MAX_FAILURES,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"
LOGIN = "/backoffice/login/"


@pytest.fixture(autouse=True)
def _quick_hasher(settings: Any) -> None:
    # PBKDF2's cost is not what these tests measure; MD5 keeps 40 sign-ins to a fraction of a second
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator() -> User:
    return User.objects.create_superuser("reviewer", password=PASSWORD)


_browser = Client()  # one for all sign-ins: a new Client sets up the middleware (WhiteNoise's file scan) again


def login(username: str, password: str, ip: str = "10.0.0.1", code: str = "") -> Any:
    client = _browser
    client.cookies.clear()  # every sign-in starts without a session
    data = {"username": username, "password": password, "next": "/backoffice/"}
    if code:
        data["otp_code"] = code
    return client.post(LOGIN, data, REMOTE_ADDR=ip)


def signed_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"] == "/backoffice/"


def test_forty_wrong_passwords_lock_the_account_and_the_right_one_then_fails(operator):
    for _ in range(40):
        response = login("reviewer", "wrong-password")
        assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert not signed_in(login("reviewer", PASSWORD))  # locked: the right password does not help now
    assert AuditEntry.objects.filter(event="operator.login_failed").count() == ACCOUNT_MAX_FAILURES
    locks = AuditEntry.objects.filter(event="operator.login_locked", data__scope="account")
    assert locks.count() == 1 and locks.get().actor_label == "reviewer"

    throttle = LoginThrottle.objects.get(scope="account", key="reviewer")
    LoginThrottle.objects.filter(pk=throttle.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert signed_in(login("reviewer", PASSWORD))


def test_the_lock_grows_with_each_lock_in_a_row(operator):
    durations = []
    for _ in range(3):
        for _ in range(ACCOUNT_MAX_FAILURES):
            login("reviewer", "wrong-password", ip=f"10.1.{len(durations)}.1")
        throttle = LoginThrottle.objects.get(scope="account", key="reviewer")
        assert throttle.locked_until is not None
        durations.append(throttle.locked_until - throttle.last_locked_at)
        LoginThrottle.objects.filter(pk=throttle.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert durations[0] < durations[1] < durations[2]


def test_one_ip_trying_many_accounts_is_locked_out(operator):
    User.objects.create_superuser("second", password=PASSWORD)
    for n in range(IP_MAX_FAILURES):
        login(f"guess{n}", "wrong-password", ip="10.9.9.9")
    assert not signed_in(login("second", PASSWORD, ip="10.9.9.9"))
    assert AuditEntry.objects.filter(event="operator.login_locked", data__scope="ip", ip="10.9.9.9").count() == 1
    assert signed_in(login("second", PASSWORD, ip="10.2.2.2"))  # another address is not affected


def test_usernames_are_counted_case_insensitively(operator):
    for n in range(ACCOUNT_MAX_FAILURES):
        login("Reviewer" if n % 2 else "REVIEWER", "wrong-password", ip=f"10.3.{n}.1")
    assert not signed_in(login("reviewer", PASSWORD, ip="10.4.0.1"))


# --- TOTP -----------------------------------------------------------------------------------------

SHA1_SEED = b"12345678901234567890"
SHA256_SEED = b"12345678901234567890123456789012"
SHA512_SEED = b"1234567890123456789012345678901234567890123456789012345678901234"


@pytest.mark.parametrize(
    ("at", "sha1", "sha256", "sha512"),
    [  # RFC 6238 Appendix B
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ],
)
def test_rfc_6238_test_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    assert totp.code(SHA1_SEED, at, digits=8, algorithm="sha1") == sha1
    assert totp.code(SHA256_SEED, at, digits=8, algorithm="sha256") == sha256
    assert totp.code(SHA512_SEED, at, digits=8, algorithm="sha512") == sha512


def test_a_code_is_accepted_one_step_either_side_only() -> None:
    secret = totp.new_secret()
    now = 1_700_000_000
    assert totp.matching_step(secret, totp.code(secret, now - 30), now) is not None
    assert totp.matching_step(secret, totp.code(secret, now + 30), now) is not None
    assert totp.matching_step(secret, totp.code(secret, now - 90), now) is None
    assert totp.matching_step(secret, "12345", now) is None


def enrol(operator: User) -> tuple[Client, bytes]:
    client = Client()
    client.force_login(operator)
    assert 'href="/backoffice/totp/"' in client.get("/backoffice/").content.decode()
    page = client.get("/backoffice/totp/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html, html[:500]
    match = re.search(r"secret=([A-Z2-7]+)", html)
    assert match, "the otpauth URI is in the QR code's title for manual entry"
    import base64

    secret = base64.b32decode(match.group(1) + "=" * (-len(match.group(1)) % 8))
    row = OperatorTotp.objects.get(user=operator)
    assert match.group(1) not in row.secret_sealed and row.confirmed_at is None
    wrong = client.post("/backoffice/totp/", {"code": "000000" if totp.code(secret, time.time()) != "000000" else "1"})
    assert wrong.status_code == 400
    done = client.post("/backoffice/totp/", {"code": totp.code(secret, time.time())})
    assert done.status_code == 302
    return client, secret


def test_enrolled_operators_need_the_code_to_sign_in(operator):
    _, secret = enrol(operator)
    assert OperatorTotp.objects.get(user=operator).confirmed_at is not None
    assert AuditEntry.objects.filter(event="operator.totp_enrolled", actor_label="reviewer").count() == 1
    without = login("reviewer", PASSWORD)
    assert not signed_in(without) and "动态验证码" in without.content.decode()
    assert not signed_in(
        login("reviewer", PASSWORD, code="000000" if totp.code(secret, time.time()) != "000000" else "111111")
    )
    # the code used at enrolment cannot be replayed; wait for the next step instead of sleeping 30 s
    OperatorTotp.objects.filter(user=operator).update(last_step=0)
    assert signed_in(login("reviewer", PASSWORD, code=totp.code(secret, time.time())))
    assert not signed_in(login("reviewer", PASSWORD, code=totp.code(secret, time.time()))), "replayed code"
    assert AuditEntry.objects.filter(event="operator.login_failed", data__reason="totp").count() >= 2


def test_another_operator_with_the_role_resets_it(operator):
    enrol(operator)
    row = OperatorTotp.objects.get(user=operator)
    plain = User.objects.create_user("helper", password=PASSWORD, is_staff=True)
    helper = Client()
    helper.force_login(plain)
    url = "/backoffice/backoffice/operatortotp/"
    action = {"action": "reset_totp", "_selected_action": [row.pk], "reason": "手机丢失"}
    assert helper.post(url, action).status_code == 403
    plain.user_permissions.add(
        Permission.objects.get(codename="reset_operator_totp"), Permission.objects.get(codename="view_operatortotp")
    )
    response = helper.post(url, action)
    assert response.status_code == 302, response.content.decode()[:500]
    assert not OperatorTotp.objects.filter(user=operator).exists()
    reset = AuditEntry.objects.get(event="operator.totp_reset")
    assert reset.actor_label == "helper" and reset.target == f"operator:{operator.pk}"
    assert signed_in(login("reviewer", PASSWORD))


def test_an_operator_cannot_reset_their_own(operator):
    enrol(operator)
    row = OperatorTotp.objects.get(user=operator)
    client = Client()
    client.force_login(operator)
    client.post("/backoffice/backoffice/operatortotp/", {"action": "reset_totp", "_selected_action": [row.pk]})
    assert OperatorTotp.objects.filter(user=operator).exists()
