"""The demo procurement portal keeps its users' ID numbers encrypted, and still tells Inkseal the
full number at single sign-on."""

from __future__ import annotations

import jwt
import pytest

from tests.accounts.test_sso_oidc import portal_session

pytestmark = pytest.mark.django_db


def test_the_demo_portal_database_holds_no_id_number_in_clear(build_demo, demo_portal):  # type: ignore[no-untyped-def]
    document = build_demo()
    portal_url, demo_json = demo_portal
    stored = b"".join(p.read_bytes() for p in demo_json.parent.glob("portal.sqlite3*"))
    numbers = [u["id_number"] for u in document["portal_users"] if u.get("id_number")]
    assert numbers
    for number in numbers:
        assert number.encode() not in stored

    user = next(u for u in document["portal_users"] if u.get("id_number"))
    portal = portal_session(portal_url, user)
    response = portal.get(f"{portal_url}/esign?entry=personal&method=ticket", allow_redirects=False)
    ticket = response.headers["Location"].split("ticket=")[1].split("&")[0]
    claims = jwt.decode(ticket, options={"verify_signature": False})
    assert claims["id_number"] == user["id_number"]
