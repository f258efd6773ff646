"""Seals in the browser: an enterprise makes a template seal watching the live preview, voids it
through the confirmation dialog; a person draws a handwritten signature with the mouse."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.seals.render import render_image
from inkseal.seals.render_spec import SealSpec
from tests.conftest import login_client
from tests.e2e.conftest import screenshot, step_up_in_page, wait_until
from tests.seals import conftest as seal_fixtures
from tests.seals.conftest import COMPANY, admin_of
from tests.seals.samples import on_paper

pytestmark = pytest.mark.django_db(transaction=True)
# The fixtures of tests/seals: verified people and enterprises, throwaway media, the OCR engine.
company, person, seal_media, ocr = (
    seal_fixtures.company,
    seal_fixtures.person,
    seal_fixtures.seal_media,
    seal_fixtures.ocr,
)
PHOTO = on_paper(render_image(SealSpec("contract", COMPANY, texture=True)), angle=12, seed=1)


def sign_in(page: Any, live_server: Any, person: Any, identity: str = "person") -> None:
    """Reuse a portal session made the way the tests' clients make them."""
    session = login_client(person, identity).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


def preview_query(page: Any) -> str:
    return page.locator("#seal-preview").get_attribute("data-query") or ""


def wait_for_preview(page: Any, *fragments: str) -> None:
    wait_until(
        page,
        "parts => { const img = document.getElementById('seal-preview');"
        " return img.complete && img.naturalWidth > 0 && parts.every(p => (img.dataset.query || '').includes(p)); }",
        arg=list(fragments),
    )


def test_enterprise_makes_a_template_seal_with_live_preview(page, live_server, company):
    sign_in(page, live_server, admin_of(company), f"enterprise:{company.pk}")
    page.goto(f"{live_server.url}/seals/")
    assert page.locator("#no-seals").is_visible()
    page.click("#add-seal")
    page.wait_for_url("**/seals/new/")
    wait_for_preview(page, "kind=official", "color=red")
    assert COMPANY in page.locator("#identity-info").inner_text()

    page.click("label[for=kind-contract]")
    page.check("#with-lower-text")
    page.fill("#lower-text", "3101150012345")
    page.click("label[for=color-blue]")
    wait_for_preview(page, "kind=contract", "lower_text=3101150012345", "color=blue")
    screenshot(page, "seal-new-template-preview")

    page.click("label[for=method-upload]")
    assert page.locator("#risk-notice").is_visible() and not page.locator("#template-options").is_visible()
    page.set_input_files("#seal-upload", files=[{"name": "seal.jpg", "mimeType": "image/jpeg", "buffer": PHOTO}])
    wait_until(page, "document.getElementById('seal-preview').naturalWidth > 0")
    screenshot(page, "seal-new-upload")
    page.click("label[for=method-template]")

    page.fill("#lower-text", "31011500\U000f0001")  # a pasted character no seal font has: the preview explains
    wait_until(page, "document.getElementById('preview-error').textContent.includes('印章字体不支持字符')")
    page.fill("#lower-text", "3101150012345")
    wait_for_preview(page, "lower_text=3101150012345")

    step_up_in_page(page, live_server.url, admin_of(company).phone)  # seal changes need a fresh step-up
    screenshot(page, "seal-new-step-up")
    page.click("#save-seal")
    page.wait_for_url("**/seals/*/")
    assert "合同专用章制作成功" in page.content()
    assert page.locator("#seal-image").evaluate("img => img.naturalWidth") >= 600
    screenshot(page, "seal-detail")

    page.goto(f"{live_server.url}/seals/")
    card = page.locator(".seal-card[data-kind=contract]")
    assert "可用" in card.inner_text()
    page.hover("#state-help")
    page.wait_for_selector(".popover")
    screenshot(page, "seal-list")
    page.mouse.move(0, 0)

    card.locator(".seal-void").click()
    page.wait_for_selector("#void-modal.show")
    assert page.locator("#void-modal #step-up-done").is_visible()  # still fresh from making the seal
    screenshot(page, "seal-void-confirm")
    page.click("#confirm-void")
    page.wait_for_url("**/seals/?tab=void")
    assert "合同专用章已作废" in page.content()
    assert "作废" in page.locator("#void-seals").inner_text()
    screenshot(page, "seal-void-tab")

    page.click("button[name=language][value=en]")
    page.wait_for_selector("text=Void seals")
    page.goto(f"{live_server.url}/seals/new/")
    wait_for_preview(page, "kind=official")
    screenshot(page, "seal-new-en")


def test_person_draws_a_signature_with_the_mouse(page, live_server, person, ocr):
    sign_in(page, live_server, person)
    page.goto(f"{live_server.url}/seals/new/")
    wait_for_preview(page, "kind=name_square")
    page.check("#style-strip")
    wait_for_preview(page, "kind=name_strip")
    screenshot(page, "seal-new-name-strip")
    page.click("label[for=kind-handwriting]")
    canvas = page.locator("#signature-canvas")
    assert canvas.is_visible() and page.locator("#signature-hint").is_visible()
    box = canvas.bounding_box()

    def stroke(points: list[tuple[float, float]]) -> None:
        page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()

    def inked() -> int:
        return canvas.evaluate(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
        )

    stroke([(80, 120), (140, 110), (200, 118)])  # 一
    assert not page.locator("#signature-hint").is_visible()
    one_stroke = inked()
    stroke([(140, 60), (138, 130), (130, 200)])
    assert inked() > one_stroke
    page.click("#signature-undo")
    assert inked() == one_stroke
    page.click("#signature-clear")
    assert inked() == 0 and page.locator("#signature-hint").is_visible()

    page.click("#save-seal")  # nothing drawn: refused in the page
    assert "请先在签名区书写您的姓名" in page.locator("#signature-error").inner_text()

    page.click("label[for=ink-blue]")
    for points in (
        [(60, 80), (130, 72), (200, 80)],
        [(130, 40), (128, 150), (100, 210)],
        [(260, 60), (330, 140), (380, 210)],
        [(380, 60), (300, 200)],
        [(440, 90), (520, 90), (500, 180), (450, 200)],
    ):
        stroke(points)
    screenshot(page, "seal-new-handwriting")
    step_up_in_page(page, live_server.url, person.phone)
    page.click("#save-seal")
    page.wait_for_selector("#form-error")
    # a scribble does not read as the person's name: the server says so clearly
    assert "手写签名无法识别为“王小明”，请工整书写您的姓名。" in page.locator("#form-error").inner_text()
    screenshot(page, "seal-new-handwriting-refused")
