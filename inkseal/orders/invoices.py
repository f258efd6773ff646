"""A generated invoice PDF (电子发票 stand-in) for operators who do not upload their own.

Typeset with fpdf2 and a Noto CJK face (the text can be selected, copied and searched), found the
way seal fonts are: Debian's fonts-noto-cjk sans face, else the seal font lookup.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone

from inkseal.seals.fonts import NOTO_DIR, chinese_face_index, locate_seal_font

if TYPE_CHECKING:
    from inkseal.orders.models import Application, Invoice

RED = (160, 40, 40)


def _invoice_font() -> tuple[Path, int]:
    sans = NOTO_DIR / "NotoSansCJK-Regular.ttc"
    if sans.is_file():
        return sans, chinese_face_index(sans)
    return locate_seal_font()


def render_invoice(invoice: Invoice, application: Application) -> bytes:
    """An A5-landscape page: invoice number, buyer, the item line and the amounts, as text."""
    from fpdf import FPDF  # fpdf2 is only needed when an operator issues an invoice
    from fpdf.fonts import FontFace

    order = invoice.order
    issued = timezone.localtime(invoice.issued_at or timezone.now())
    unit_price = (
        (Decimal(invoice.amount) / order.quantity).quantize(Decimal("0.01")) if order.quantity else invoice.amount
    )

    path, index = _invoice_font()
    pdf = FPDF(orientation="L", unit="mm", format=(148, 210))  # A5
    pdf.set_title(f"电子发票 {invoice.number}")
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", str(path), collection_font_number=index)
    pdf.add_page()
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)

    pdf.set_text_color(*RED)
    pdf.set_font("cjk", size=18)
    pdf.cell(0, 12, "电子发票（普通发票）", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=9)
    pdf.cell(
        0, 6, f"发票号码：{invoice.number}    开票日期：{issued:%Y-%m-%d}", align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)

    pdf.set_font("cjk", size=10)
    for label, value in (
        ("购买方名称", invoice.title),
        ("纳税人识别号", invoice.tax_number or "—"),
        ("订单号", order.number),
        ("办理单号", application.number),
    ):
        pdf.cell(32, 7, f"{label}：")
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    widths = (82, 18, 38, 38)
    with pdf.table(
        col_widths=widths,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=7,
        headings_style=FontFace(emphasis="", color=RED),
    ) as table:
        table.row(("项目名称", "数量", "单价（元）", "金额（元）"))
        table.row(
            (
                f"{order.product.name}（{order.product.code}）",
                str(order.quantity),
                f"{unit_price:.2f}",
                f"{invoice.amount:.2f}",
            )
        )
        table.row(("合计", "", "", f"¥{invoice.amount:.2f}"))
    pdf.ln(4)
    pdf.cell(32, 7, "销售方：")
    pdf.cell(0, 7, order.product.ca_name, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
