"""Error pages (404/403/400/500) in the portal's style and the user's language; /api/ keeps JSON."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.urls("tests.portal.error_urls")


@override_settings(DEBUG=False)
def test_unknown_url_shows_our_404_page_in_chinese(db):
    response = Client().get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "页面不存在" in html and "返回首页" in html
    assert 'lang="zh-hans"' in html and "portal/portal.css" in html
    assert "Not Found" not in html


@override_settings(DEBUG=False)
def test_404_page_follows_the_chosen_language(db):
    client = Client(headers={"accept-language": "en"})
    html = client.get("/no/such/page/").content.decode()
    assert 'lang="en"' in html and "Back to Home" in html


@override_settings(DEBUG=False)
def test_403_and_400_pages(db):
    forbidden = Client().get("/__test__/forbidden")
    assert forbidden.status_code == 403 and "没有权限" in forbidden.content.decode()
    bad = Client().get("/__test__/suspicious")
    assert bad.status_code == 400 and "请求无效" in bad.content.decode()


@override_settings(DEBUG=False)
def test_500_page_renders_without_the_database():
    # No `db` fixture: any query made while rendering the page would fail this test.
    client = Client(raise_request_exception=False)
    response = client.get("/__test__/broken")
    html = response.content.decode()
    assert response.status_code == 500
    assert "服务暂时不可用" in html and "portal/portal.css" in html
    assert "boom" not in html and "Traceback" not in html


@override_settings(DEBUG=False)
def test_api_paths_keep_answering_json(db):
    missing = Client().get("/api/v1/no-such-endpoint")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "message": missing.json()["message"]}
    broken = Client(raise_request_exception=False).get("/api/__test__/broken")
    assert broken.status_code == 500 and broken.json()["error"] == "server_error"
