"""Single sign-on by OpenID Connect (authorization code + PKCE) against the demo portal as provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.test import Client

from inkseal.audit.models import AuditEntry
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import set_oidc_client_secret

pytestmark = pytest.mark.django_db


def portal_session(portal_url: str, user: dict) -> requests.Session:
    session = requests.Session()
    session.get(f"{portal_url}/login/")
    response = session.post(
        f"{portal_url}/login/",
        data={
            "username": user["username"],
            "password": user["password"],
            "csrfmiddlewaretoken": session.cookies["portal_csrftoken"],
            "next": "/",
        },
    )
    assert response.ok and "esign-enterprise" in response.text
    return session


def start(client: Client, entry: str = "personal") -> str:
    response = client.get("/sso/oidc/jihua/start", {"entry": entry})
    assert response.status_code == 302
    return response["Location"]


def authorize(portal: requests.Session, location: str) -> str:
    params = parse_qs(urlparse(location).query)
    assert params["code_challenge_method"] == ["S256"] and params["code_challenge"][0]
    assert params["nonce"][0] and params["state"][0]
    response = portal.get(location, allow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def callback(client: Client, location: str):  # type: ignore[no-untyped-def]
    parsed = urlparse(location)
    assert parsed.path == "/sso/oidc/jihua/callback"
    return client.get(parsed.path + "?" + parsed.query)


def test_oidc_login_as_enterprise(build_demo, demo_portal):
    document = build_demo()
    bidder = next(u for u in document["portal_users"] if u["username"] == "bidder")
    portal = portal_session(demo_portal[0], bidder)
    client = Client()
    response = callback(client, authorize(portal, start(client, "enterprise")))
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/").content.decode()
    assert document["enterprise"]["name"] in home
    entry = AuditEntry.objects.filter(event="login.sso").latest("seq")
    assert entry.data["method"] == "oidc" and entry.data["platform"] == "jihua"


def test_authorization_response_cannot_be_replayed(build_demo, demo_portal):
    document = build_demo()
    portal = portal_session(demo_portal[0], document["portal_users"][0])
    client = Client()
    location = authorize(portal, start(client))
    assert callback(client, location).status_code == 302
    again = callback(Client(), location)
    assert again.status_code == 400
    assert "oidc_state_invalid" in again.content.decode()
    assert AuditEntry.objects.filter(event="login.sso_failed").latest("seq").data["reason"] == "oidc_state_invalid"


def test_wrong_client_secret_fails_cleanly(build_demo, demo_portal):
    document = build_demo()
    platform = TradingPlatform.objects.get(code="jihua")
    set_oidc_client_secret(platform, "not-the-secret")
    platform.save()
    portal = portal_session(demo_portal[0], document["portal_users"][0])
    client = Client()
    response = callback(client, authorize(portal, start(client)))
    assert response.status_code == 502
    assert "oidc_token_failed" in response.content.decode()
    assert client.get("/").status_code == 302


def test_provider_error_is_shown(build_demo):
    build_demo()
    client = Client()
    start(client)
    response = client.get("/sso/oidc/jihua/callback", {"error": "access_denied", "state": "x"})
    assert response.status_code == 403 and "oidc_denied" in response.content.decode()


def test_oidc_not_enabled(build_demo):
    build_demo()
    TradingPlatform.objects.filter(code="jihua").update(oidc_enabled=False)
    response = Client().get("/sso/oidc/jihua/start")
    assert response.status_code == 403 and "oidc_not_enabled" in response.content.decode()


def test_demo_portal_ticket_button_signs_in(build_demo, demo_portal):
    """The portal's own 电子签章 link mints an ES256 ticket that Inkseal accepts."""
    document = build_demo()
    portal = portal_session(demo_portal[0], document["portal_users"][0])
    response = portal.get(f"{demo_portal[0]}/esign?entry=personal&method=ticket", allow_redirects=False)
    jump = urlparse(response.headers["Location"])
    assert jump.path == "/sso/jump"
    client = Client()
    assert client.get(jump.path + "?" + jump.query).status_code == 302
    assert document["people"][0]["name"] in client.get("/").content.decode()


def test_oidc_subject_not_linked_must_prove_the_phone(build_demo, demo_portal):
    """The demo people are linked to the demo portal under their portal username; once the link is
    revoked, the same OIDC login needs the SMS code sent to the person's phone again."""
    from inkseal.platforms.models import PlatformLink
    from tests.conftest import prove_sso_link

    document = build_demo()
    bidder = next(u for u in document["portal_users"] if u["username"] == "bidder")
    PlatformLink.objects.filter(subject="bidder").update(revoked_at="2026-01-01T00:00:00Z")
    portal = portal_session(demo_portal[0], bidder)
    client = Client()
    response = callback(client, authorize(portal, start(client, "enterprise")))
    assert response.status_code == 302 and response["Location"] == "/sso/link"
    assert client.get("/").status_code == 302
    assert prove_sso_link(client, bidder["phone"])["Location"] == "/"
    assert document["enterprise"]["name"] in client.get("/").content.decode()
    assert PlatformLink.objects.get(subject="bidder", revoked_at__isnull=True).method == "sms"
