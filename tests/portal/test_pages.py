"""Every navigation entry renders for a logged-in user; logged-out visitors go to the login page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import login_client

pytestmark = pytest.mark.django_db

NAV = [
    ("/", "首页"),
    ("/seals/", "印章管理"),
    ("/certificates/", "证书管理"),
    ("/applications/", "我的办理"),
    ("/records/", "应用记录"),
    ("/account/", "个人中心"),
    ("/account/enterprises/new", "创建企业"),
]


@pytest.mark.parametrize(("path", "title"), NAV)
def test_navigation_page_renders(make_person, path, title):
    response = login_client(make_person(name="赵六")).get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert title in page
    for entry in ("首页", "印章管理", "证书管理", "我的办理", "应用记录", "个人中心", "切换身份", "创建企业", "退出"):
        assert entry in page


@pytest.mark.parametrize(("path", "title"), NAV)
def test_logged_out_visitors_are_sent_to_login(path, title):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_home_dashboard_counts_start_at_zero(make_person):
    page = login_client(make_person()).get("/").content.decode()
    for key in ("usable_seals", "ukey_certificates", "cloud_certificates"):
        assert f'data-count="{key}">0<' in page
    assert "暂无办理中的申请" in page


def test_english_is_available(make_person):
    client = login_client(make_person())
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Seals" in page and "Certificates" in page
    assert "印章管理" not in page


def test_healthz():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_openapi_and_docs():
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    assert Client().get("/api/docs").status_code == 200


def test_unknown_page_is_a_404():
    assert Client().get("/no-such-page").status_code == 404
