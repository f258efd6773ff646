"""证书初购 in the browser: home → product → 确认订单信息 → 提交订单 → 申请 with seals → approval →
the home page counts the cloud certificate."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.orders import services
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


def test_enterprise_buys_a_free_cloud_certificate(
    page: Any, live_server: Any, holder: Any, product: Any, ca_hierarchy: Any
) -> None:
    user = holder()
    product(name="云企业双证书（ECDSA）-1年期", code="cloudca-ec-1Y")
    session = user.client.cookies["sessionid"].value  # stepped up: binding seals needs it
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    page.goto(f"{live_server.url}/")
    page.click("#quick-buy")
    assert page.locator("#medium-cloud").is_checked()
    page.click("#buy-now")
    page.wait_for_selector("#order-items")
    assert "应付金额 ¥0" in page.locator("#payable").inner_text()
    page.check("#agree")
    screenshot(page, "orders-confirm")
    page.click("#submit-order")
    page.wait_for_selector("#apply-form")
    for seal in user.seals:
        page.check(f"#seal-{seal.pk}")
    page.click("#submit-application")
    page.wait_for_selector("#state")
    assert page.locator("#state").inner_text() == "审核中"

    application = Application.objects.get(party=user.party)
    services.do_approve(application, acting=Acting(Actor("operator", "1", "reviewer")))
    page.goto(f"{live_server.url}/")
    assert page.locator('[data-count="cloud_certificates"]').inner_text() == "1"
    page.goto(f"{live_server.url}/applications/?tab=all")
    assert application.number in page.locator("#applications").inner_text()
    screenshot(page, "orders-list")


def test_operator_approves_and_rejects_in_the_back_office(
    page: Any, live_server: Any, holder: Any, product: Any, ca_hierarchy: Any
) -> None:
    """The review buttons sit inside the admin's change form: each must post to its own action."""
    from django.contrib.auth.models import Permission, User

    from tests.orders.conftest import order

    operator = User.objects.create_user("reviewer-e2e", password="x", is_staff=True)
    operator.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["orders", "pki"]))
    cloud = product(name="云企业双证书（ECDSA）-1年期", code="cloudca-ec-1Y-bo")
    applications = []
    for _ in range(2):
        user = holder()
        assert order(user, cloud).status_code == 302
        application = Application.objects.get(party=user.party)
        submitted = user.client.post(
            f"/applications/{application.number}/apply/", {"seals": [seal.pk for seal in user.seals]}
        )
        assert submitted.status_code == 302
        applications.append(application)

    page.goto(f"{live_server.url}/backoffice/login/")
    page.fill("#id_username", "reviewer-e2e")
    page.fill("#id_password", "x")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/backoffice/orders/application/{applications[0].pk}/change/")
    page.click("#approve")
    page.wait_for_selector(".messagelist")
    assert "审核通过，已签发证书" in page.locator(".messagelist").inner_text()
    applications[0].refresh_from_db()
    assert applications[0].certificate is not None

    page.goto(f"{live_server.url}/backoffice/orders/application/{applications[1].pk}/change/")
    page.click("#reject")  # no reason: refused with a message, nothing changes
    page.wait_for_selector(".messagelist")
    applications[1].refresh_from_db()
    assert applications[1].certificate is None
    state_before = applications[1].state
    page.fill("#reason", "营业执照不清晰")
    page.click("#reject")
    page.wait_for_selector(".messagelist")
    assert "已驳回" in page.locator(".messagelist").inner_text()
    applications[1].refresh_from_db()
    assert applications[1].state != state_before
    assert applications[1].reject_reason == "营业执照不清晰"
