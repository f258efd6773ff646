"""Back office: a new or rotated signing-API client secret is shown once, in the page, never in a cookie."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.platforms.models import ApiClient, TradingPlatform
from inkseal.platforms.services import do_create_api_client, do_issue_token

pytestmark = pytest.mark.django_db
SECRET_IN_PAGE = re.compile(r'id="client-secret-([\w-]+)"[^>]*>([\w-]{40,})<')


@pytest.fixture
def operator_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ops", password="a-long-password-1"))
    return client


def _shown_secrets(response: Any) -> dict[str, str]:
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return dict(SECRET_IN_PAGE.findall(response.content.decode()))


def _assert_not_in_cookies(response: Any, secret: str) -> None:
    for cookie in response.cookies.values():
        assert secret not in cookie.OutputString()
    assert secret not in str(response.headers)


def test_a_new_client_secret_is_shown_in_the_page_and_not_in_a_cookie(operator_client: Client) -> None:
    platform = TradingPlatform.objects.create(name="平台", code="p1")
    response = operator_client.post("/backoffice/platforms/apiclient/add/", {"platform": platform.pk, "enabled": "on"})
    shown = _shown_secrets(response)
    client = ApiClient.objects.get(platform=platform)
    secret = shown[client.client_id]
    assert do_issue_token(client.client_id, secret)  # the shown secret is the working one
    _assert_not_in_cookies(response, secret)
    # shown once: the list page afterwards does not carry it
    assert secret not in operator_client.get("/backoffice/platforms/apiclient/").content.decode()


def test_a_rotated_secret_is_shown_in_the_page_and_not_in_a_cookie(operator_client: Client) -> None:
    platform = TradingPlatform.objects.create(name="平台", code="p2")
    client, old = do_create_api_client(platform, acting=Acting(Actor("system", "", "test")))
    response = operator_client.post(
        "/backoffice/platforms/apiclient/",
        {"action": "rotate_secret", "_selected_action": [client.pk], "index": 0},
    )
    secret = _shown_secrets(response)[client.client_id]
    assert secret != old
    assert do_issue_token(client.client_id, secret)
    _assert_not_in_cookies(response, secret)
