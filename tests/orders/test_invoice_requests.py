"""Invoices: the holder requests one, the back office issues it, the holder downloads it; free orders have none."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.orders.models import Invoice
from tests.orders.conftest import latest, order


@pytest.mark.django_db
def test_invoice_request_issue_and_download(holder: Any, product: Any, operator: Any, ca_hierarchy: Any) -> None:
    user = holder()
    order(user, product(price="300"))
    application = latest(user)
    user.client.post(f"/applications/{application.number}/pay/")
    bad = user.client.post(
        f"/applications/{application.number}/invoice/", {"title": "北京示范科技有限公司", "tax_number": "x"}
    )
    assert bad.status_code == 400 and "纳税人识别号" in bad.content.decode()
    user.client.post(
        f"/applications/{application.number}/invoice/",
        {"title": "北京示范科技有限公司", "tax_number": user.enterprise.uscc},
    )
    invoice = Invoice.objects.get(order=application.order)
    assert user.client.get(f"/applications/{application.number}/invoice.pdf").status_code == 404
    operator.post(f"/backoffice/orders/invoice/{invoice.pk}/issue/")
    invoice.refresh_from_db()
    assert invoice.state == "issued"
    pdf = user.client.get(f"/applications/{application.number}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    again = user.client.post(
        f"/applications/{application.number}/invoice/", {"title": "x", "tax_number": user.enterprise.uscc}
    )
    assert again.status_code == 409


@pytest.mark.django_db
def test_free_orders_need_no_invoice(holder: Any, product: Any) -> None:
    user = holder()
    order(user, product())
    application = latest(user)
    response = user.client.post(
        f"/applications/{application.number}/invoice/", {"title": "x", "tax_number": user.enterprise.uscc}
    )
    assert response.status_code == 400 and "免费订单" in response.content.decode()
