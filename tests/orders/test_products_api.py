"""GET /api/v1/products: only with a platform token, only enabled products."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.core.acting import Acting


@pytest.mark.django_db
def test_products_api_needs_a_platform_token(holder: Any, product: Any, platform: Any) -> None:
    from django.test import Client

    from inkseal.platforms.services import do_create_api_client, do_issue_token

    product(name="云企业双证书（SM2）-1年期", code="cloudca02-1Y", algorithm="sm2")
    product(code="hidden", enabled=False)
    client = Client()
    assert client.get("/api/v1/products").status_code == 401
    api_client, secret = do_create_api_client(platform, acting=Acting.system())
    token, _lifetime = do_issue_token(api_client.client_id, secret)
    response = client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()]
    assert codes == ["cloudca02-1Y"]
    assert response.json()[0]["platform"] == platform.code
