"""A generated invoice PDF (电子发票 stand-in) for operators who do not upload their own."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from inkseal.seals.fonts import locate_seal_font

if TYPE_CHECKING:
    from inkseal.orders.models import Application, Invoice


def render_invoice(invoice: Invoice, application: Application) -> bytes:
    """An A5-landscape page with the buyer, the item and the amount, as a one-page PDF."""
    path, index = locate_seal_font()
    title_font = ImageFont.truetype(str(path), 44, index=index)
    font = ImageFont.truetype(str(path), 26, index=index)
    page = Image.new("RGB", (1240, 874), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((30, 30, 1210, 844), outline=(160, 40, 40), width=3)
    draw.text((620, 90), "电子发票（普通发票）", font=title_font, fill=(160, 40, 40), anchor="mm")
    order = invoice.order
    issued = timezone.localtime(invoice.issued_at or timezone.now())
    lines = [
        f"发票抬头：{invoice.title}",
        f"纳税人识别号：{invoice.tax_number or '—'}",
        f"订单号：{order.number}    办理单号：{application.number}",
        f"项目：{order.product.name}（{order.product.code}） × {order.quantity}",
        f"金额：¥{invoice.amount}",
        f"开票日期：{issued:%Y-%m-%d}",
        f"销售方：{order.product.ca_name}",
    ]
    for row, line in enumerate(lines):
        draw.text((90, 200 + row * 70), line, font=font, fill="black")
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=150.0)
    return out.getvalue()
