"""Small page fixes (issue #15): the order page's agreements are links, the phone is masked,
+ 新增收货地址 comes back to the order, + 新增证书 opens the products, the SMS outbox says what for."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inkseal.notify.backends import OutboxBackend
from inkseal.orders.models import Medium

BEIJING = {"province": "北京市", "city": "市辖区", "district": "海淀区"}

pytestmark = pytest.mark.django_db


def test_order_page_links_the_agreements_and_masks_the_phone(holder: Any, product: Any) -> None:
    user = holder()
    item = product(medium=Medium.UKEY)
    page = user.client.get(f"/applications/confirm/?product={item.pk}").content.decode()
    assert 'href="/identity/agreements/service"' in page and 'href="/identity/agreements/privacy"' in page
    assert "18500005312" not in page
    assert "185****5312" in page


def test_new_address_returns_to_the_order(holder: Any, product: Any) -> None:
    user = holder()
    back = f"/applications/confirm/?product={product(medium=Medium.UKEY).pk}"
    address = {
        "recipient": "刘婧妍",
        "phone": "18600000996",
        "province": "北京市",
        "city": "市辖区",
        "district": "海淀区",
        "detail": "上地八街7号",
    }
    response = user.client.post("/account/addresses/", address, QUERY_STRING=f"next={back}")
    assert response.status_code == 302 and response["Location"] == back
    elsewhere = user.client.post("/account/addresses/", address, QUERY_STRING="next=https://evil.example/")
    assert elsewhere["Location"] == "/account/addresses/"


def test_new_certificate_opens_the_products(holder: Any) -> None:
    user = holder()
    page = user.client.get("/certificates/").content.decode()
    assert 'id="new-certificate" href="/applications/buy/"' in page


def test_sms_outbox_shows_what_each_message_is_for(settings: Any) -> None:
    settings.SANDBOX = True
    backend = OutboxBackend()
    backend.send("13800000001", "【Inkseal】您的登录验证码为123456", "login")
    backend.send("13800000001", "【Inkseal】您的签章确认验证码为654321", "sign:11")
    backend.send("13800000001", "【Inkseal】订单已支付", "orders.order.paid")
    page = Client().get("/dev/sms").content.decode()
    assert "<td>login</td>" not in page and "<td>sign:11</td>" not in page
    assert "登录验证码" in page and "签章确认验证码" in page and "订单通知" in page
