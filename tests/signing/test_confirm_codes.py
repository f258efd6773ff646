"""Intent-confirmation codes (签章确认验证码) have limits of their own (issue #14 item 9): a bidder
signing many bids before a deadline is not stopped by the login quota, a flood on one task still
is, and login codes and signing codes do not use up each other's quota."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inkseal.notify.models import SmsCode
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import CONFIRMER_PHONE, Signing, confirm_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_limits(settings: Any) -> Any:
    """The shipped defaults (signing_media raises the general ones for the other signing tests)."""
    settings.SMS_PHONE_INTERVAL_SECONDS = 60
    settings.SMS_PER_PHONE_PER_HOUR = 10
    settings.SMS_PER_IP_PER_HOUR = 30
    return settings


def new_task(signing: Signing) -> str:
    created = signing.create()
    assert created.status_code == 201, created.content
    return confirm_token(created.json()["confirm_url"])


def request_sign_code(signing: Signing, token: str) -> Any:
    return signing.client.post(f"/api/v1/confirm/{token}/code")


def request_login_code(phone: str = CONFIRMER_PHONE) -> Any:
    return Client().post("/login/code", {"phone": phone}, HTTP_ACCEPT="application/json")


def test_a_bidder_gets_the_codes_of_30_tasks_within_an_hour(signing: Signing, production_limits: Any) -> None:
    tokens = [new_task(signing) for _ in range(30)]
    for token in tokens:
        response = request_sign_code(signing, token)
        assert response.status_code == 200, response.content
    assert SmsCode.objects.filter(phone=CONFIRMER_PHONE, purpose__startswith="sign:").count() == 30
    # and the login quota of that phone is untouched
    assert request_login_code().status_code == 200


def test_the_per_task_limit_stops_a_flood_on_one_task(signing: Signing, production_limits: Any) -> None:
    production_limits.SMS_PHONE_INTERVAL_SECONDS = 0  # resend at once: only the per-task quota is left
    token = new_task(signing)
    for _ in range(production_limits.SMS_SIGN_PER_TASK_PER_HOUR):
        assert request_sign_code(signing, token).status_code == 200
    refused = request_sign_code(signing, token)
    assert refused.status_code == 429 and refused.json()["error"] == "sign_code_limited"
    message = refused.json()["message"]
    assert "PIN" in message and "批量" in message
    # another task of the same person still gets its code
    assert request_sign_code(signing, new_task(signing)).status_code == 200


def test_the_per_phone_signing_limit_offers_pin_and_batches(signing: Signing, production_limits: Any) -> None:
    production_limits.SMS_SIGN_PER_PHONE_PER_HOUR = 3
    for _ in range(3):
        assert request_sign_code(signing, new_task(signing)).status_code == 200
    refused = request_sign_code(signing, new_task(signing))
    assert refused.status_code == 429 and refused.json()["error"] == "sign_code_limited"
    assert "PIN" in refused.json()["message"] and "批量" in refused.json()["message"]


def test_login_codes_do_not_use_up_the_signing_quota(signing: Signing, production_limits: Any) -> None:
    production_limits.SMS_PHONE_INTERVAL_SECONDS = 0
    # the fixture's authorisation confirmation code to this phone already counts in the general pool
    already = SmsCode.objects.filter(phone=CONFIRMER_PHONE).exclude(purpose__startswith="sign:").count()
    for _ in range(production_limits.SMS_PER_PHONE_PER_HOUR - already):
        assert request_login_code().status_code == 200
    login_refused = request_login_code()
    assert login_refused.status_code == 429 and "一小时内获取验证码次数过多" in login_refused.json()["message"]
    assert request_sign_code(signing, new_task(signing)).status_code == 200


def test_the_code_verification_limit_per_task_stays(signing: Signing, production_limits: Any) -> None:
    token = new_task(signing)
    assert request_sign_code(signing, token).status_code == 200
    for _ in range(production_limits.SMS_CODE_MAX_TRIES):
        wrong = signing.client.post(
            f"/api/v1/confirm/{token}", {"method": "sms", "code": "000000"}, content_type="application/json"
        )
        assert wrong.status_code == 400
    code = SmsCode.objects.get(purpose__startswith="sign:")
    assert code.failed_attempts == production_limits.SMS_CODE_MAX_TRIES
    spent = signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": "000000"}, content_type="application/json"
    )
    assert "错误次数过多" in spent.json()["message"]
