"""接口文档 (/api/docs) renders offline: Swagger UI is served from our own static files, never a CDN."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_api_docs_render_with_every_other_host_blocked(page, live_server):
    own_host = urlsplit(live_server.url).netloc
    blocked: list[str] = []

    def only_our_server(route):
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_our_server)
    page.goto(f"{live_server.url}/api/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for(timeout=20_000)
    assert any(path.startswith("/api/v1/sign-tasks") for path in operations.all_inner_texts())
    assert blocked == []
    screenshot(page, "api-docs")
