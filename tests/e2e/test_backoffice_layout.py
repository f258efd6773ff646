"""The back office at 1366×768 (an operator's laptop): the audit list and the application review
page fit the screen (no horizontal scrolling), with the seal images on the review page.
Screenshots are kept under var/test/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.audit.services import Actor, record
from inkseal.orders.models import Application
from tests.e2e.conftest import screenshot
from tests.orders import conftest as order_fixtures

pytestmark = pytest.mark.django_db(transaction=True)
platform, product, holder, _media, ca_hierarchy = (
    order_fixtures.platform,
    order_fixtures.product,
    order_fixtures.holder,
    order_fixtures._media,
    order_fixtures.ca_hierarchy,
)
LAPTOP = {"width": 1366, "height": 768}


def overflow(page: Any) -> int:
    """CSS pixels past the screen's right edge: of the page, and of any table inside its scroll box
    (the admin puts the change list in a box that scrolls, so a too-wide table is cut off there)."""
    return int(
        page.evaluate(
            """() => Math.max(document.documentElement.scrollWidth - window.innerWidth,
                 ...Array.from(document.querySelectorAll('table')).map(t =>
                     Math.max(t.getBoundingClientRect().right - window.innerWidth,
                              t.parentElement.scrollWidth - t.parentElement.clientWidth)))"""
        )
    )


@pytest.fixture
def operator_page(browser: Any, live_server: Any) -> Any:
    from django.contrib.auth.models import User

    User.objects.create_superuser("reviewer-layout", password="a-long-password-1")
    context = browser.new_context(locale="zh-CN", viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(60_000)  # a busy test machine
    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", "reviewer-layout")
    page.fill("#id_password", "a-long-password-1")
    page.click("input[type=submit]")
    page.wait_for_selector("#content")
    yield page
    context.close()


def test_the_audit_list_fits_a_laptop_screen(operator_page: Any, live_server: Any) -> None:
    for n in range(5):  # long values, as real entries have them
        record(
            "certificate.authorization_resend",
            actor=Actor("person", "L00011QFJRK3K3IG0", "北京示范科技有限公司经办人张三"),
            identity=f"enterprise:{1000 + n}",
            ip="2001:db8:85a3:0000:0000:8a2e:0370:7334",
            target=f"authorization:{'f3a9' * 8}",
        )
    operator_page.goto(f"{live_server.url}/backoffice/audit/auditentry/")
    operator_page.wait_for_selector("#result_list")
    screenshot(operator_page, "backoffice-audit-1366")
    assert "重新发送证书授权确认" in operator_page.locator("#result_list").inner_text()
    assert overflow(operator_page) <= 0


def test_the_review_page_fits_and_shows_the_seals(
    operator_page: Any, live_server: Any, holder: Any, product: Any, ca_hierarchy: Any
) -> None:
    from tests.orders.conftest import order

    user = holder()
    assert order(user, product(name="云企业双证书（ECDSA）-1年期", code="cloudca-ec-1Y-layout")).status_code == 302
    application = Application.objects.get(party=user.party)
    data = {"seals": [seal.pk for seal in user.seals]}
    assert user.client.post(f"/applications/{application.number}/apply/", data).status_code == 302
    operator_page.goto(f"{live_server.url}/backoffice/orders/application/{application.pk}/change/")
    operator_page.wait_for_selector("#chosen-seals img")
    images = operator_page.locator("#chosen-seals img")
    assert images.count() == len(user.seals)
    for i in range(images.count()):  # every image loaded (naturalWidth is 0 for a broken one)
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    assert operator_page.locator("#certificate-subject").is_visible()
    screenshot(operator_page, "backoffice-review-1366")
    assert overflow(operator_page) <= 0
