"""The generated invoice PDF is text, not a picture: number, buyer, item and amounts can be copied."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from inkseal.orders.models import Invoice
from tests.orders.conftest import latest, order


def _text_of(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


@pytest.mark.django_db
def test_generated_invoice_has_selectable_text(holder: Any, product: Any, operator: Any, ca_hierarchy: Any) -> None:
    user = holder()
    item = product(price="300")
    order(user, item)
    application = latest(user)
    user.client.post(f"/applications/{application.number}/pay/")
    user.client.post(
        f"/applications/{application.number}/invoice/",
        {"title": "北京示范科技有限公司", "tax_number": user.enterprise.uscc},
    )
    invoice = Invoice.objects.get(order=application.order)
    operator.post(f"/backoffice/orders/invoice/{invoice.pk}/issue/")
    invoice.refresh_from_db()

    pdf = user.client.get(f"/applications/{application.number}/invoice.pdf")
    text = _text_of(pdf.content)
    assert invoice.number and invoice.number in text
    assert "北京示范科技有限公司" in text and user.enterprise.uscc in text
    assert item.name in text and application.order.number in text
    assert "300.00" in text
    assert "电子发票" in text
