"""A bidder logs into the demo procurement portal, clicks 电子签章 and lands in Inkseal signed in."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def portal_login(page, portal_url: str, user: dict) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{portal_url}/login/")
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("button[type=submit]")
    page.wait_for_selector("#esign-enterprise")


@pytest.mark.parametrize("method", ["ticket", "oidc"])
def test_enterprise_entry_lands_in_inkseal_signed_in(page, live_server, build_demo, demo_portal, method):
    document = build_demo(live_server.url)
    bidder = next(u for u in document["portal_users"] if u["username"] == "bidder")
    portal_login(page, demo_portal[0], bidder)
    screenshot(page, f"portal-home-{method}")
    if method == "oidc":
        page.goto(f"{demo_portal[0]}/esign?entry=enterprise&method=oidc")
    else:
        page.click("#esign-enterprise")
    page.wait_for_url(f"{live_server.url}/")
    summary = page.locator("#summary").inner_text()
    assert document["enterprise"]["name"] in summary
    screenshot(page, f"inkseal-home-{method}")

    for label in ("印章管理", "证书管理", "我的办理", "应用记录", "首页"):
        page.click(f"nav >> text={label}")
        assert page.locator("nav .nav-link.active").inner_text() == label

    page.click("#identity-menu")
    page.click(f"text={bidder['name']}")
    assert bidder["name"] in page.locator("#summary").inner_text()


def test_unlinked_platform_must_prove_the_phone_on_a_phone_screen(page, browser, live_server, build_demo, demo_portal):
    """解除关联 in 个人中心, then the platform's next 电子签章 needs the code sent to the person's phone
    (the page on a 390 px phone screen)."""
    document = build_demo(live_server.url)
    expert = next(u for u in document["portal_users"] if u["username"] == "expert")
    mobile = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone_page = mobile.new_page()
        phone_page.set_default_timeout(15_000)
        portal_login(phone_page, demo_portal[0], expert)
        phone_page.goto(f"{demo_portal[0]}/esign?entry=personal&method=ticket")
        phone_page.wait_for_url(f"{live_server.url}/")
        phone_page.goto(f"{live_server.url}/account/")
        assert "际华集团" in phone_page.locator("#session-origin").inner_text()
        screenshot(phone_page, "profile-platform-links-390")
        phone_page.click("#platform-links .unlink-platform")
        phone_page.wait_for_url(re.compile(r".*/login/.*"))  # the platform's session ended with the link

        phone_page.goto(f"{demo_portal[0]}/esign?entry=personal&method=ticket")
        phone_page.wait_for_url(f"{live_server.url}/sso/link")
        assert "188****5473" in phone_page.content()
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(phone_page, "sso-link-390")
        messages = requests.get(
            f"{live_server.url}/dev/sms.json", params={"phone": expert["phone"]}, timeout=10
        ).json()["messages"]
        code = re.search(r"验证码为(\d{6})", messages[0]["body"]).group(1)
        phone_page.fill("#code", code)
        phone_page.click("#link-form button[type=submit]")
        phone_page.wait_for_url(f"{live_server.url}/")
        assert expert["name"] in phone_page.locator("#summary").inner_text()
    finally:
        mobile.close()


def test_sms_login_in_the_browser(page, live_server, build_demo):
    document = build_demo(live_server.url)
    person = document["people"][0]
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#phone", person["phone"])
    page.click("#send-code")
    page.wait_for_selector("#code-status.text-success")
    messages = requests.get(f"{live_server.url}/dev/sms.json", params={"phone": person["phone"]}, timeout=10).json()
    code = re.search(r"验证码为(\d{6})", messages["messages"][0]["body"]).group(1)
    page.fill("#code", code)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert person["name"] in page.locator("#summary").inner_text()
    screenshot(page, "inkseal-home-sms")
    page.click("#identity-menu")
    page.click("text=退出")
    page.wait_for_url(re.compile(r".*/login/$"))


def test_bad_ticket_shows_a_clear_error_page(page, live_server, build_demo):
    build_demo(live_server.url)
    page.goto(f"{live_server.url}/sso/jump?platform=jihua&ticket=not-a-ticket")
    assert "单点登录失败" in page.content()
    assert page.locator("#error-code").inner_text() == "ticket_malformed"
    screenshot(page, "sso-error")
