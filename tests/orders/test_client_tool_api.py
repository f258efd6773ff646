"""The client tool's API for UKEY orders: its per-application token, the CSR upload, fetching the issued certificate."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.orders.models import Medium
from tests.orders.conftest import latest, order


@pytest.mark.django_db
def test_client_tool_endpoints(holder: Any, product: Any, operator: Any, ca_hierarchy: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.orders.conftest import csr_pem

    user = holder()
    order(user, product(medium=Medium.UKEY))
    application = latest(user)
    user.client.post(f"/applications/{application.number}/client-token")
    token = user.client.get(f"/applications/{application.number}/").context["client_token"]
    api = Client()
    url = f"/api/v1/applications/{application.number}"
    assert api.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    submitted = api.post(
        f"{url}/csr",
        {"csr": SimpleUploadedFile("ukey.csr", csr_pem()), "ukey_serial": "SN-42"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "reviewing"
    operator.post(f"/backoffice/orders/application/{application.pk}/approve/")
    fetched = api.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert fetched["state"] == "to_ship" and fetched["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
