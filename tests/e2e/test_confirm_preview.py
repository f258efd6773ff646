"""签章确认 in the browser: the signer sees the real seals on the page previews, at their true size and
place, named in Chinese, on a laptop and on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.signing.core.geometry import MM
from tests.e2e.conftest import manual_screenshot, screenshot, wait_until
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, text_pdf

pytestmark = pytest.mark.django_db(transaction=True)

PAGE_W = 595.0


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_confirm_page_shows_the_seals_as_stamped(
    browser: Any, live_server: Any, signing: Signing, width: int, height: int
) -> None:
    placements = [
        {"seal_type": "official", "page": 1, "x": 420, "y": 160},
        {"seal_type": "legal_representative", "cross_page": True},
    ]
    spec = signing.spec(documents=[{"file": 0, "placements": placements}])
    created = signing.create(files=[("采购合同.pdf", text_pdf(2))], spec=spec)
    token = confirm_token(created.json()["confirm_url"])

    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/sign/confirm/{token}")
        wait_until(
            page, "Array.from(document.querySelectorAll('.preview-page img')).every(i => i.complete && i.naturalWidth)"
        )
        seals = page.locator(".seal-preview")
        assert seals.count() == 3
        assert seals.nth(0).inner_text().strip() == "公章"
        assert "法定代表人章" in seals.nth(1).inner_text() and "骑缝章" in seals.nth(1).inner_text()

        sheet = page.locator(".preview-page > img").first.bounding_box()
        official = page.locator(".seal-preview .seal-clip").nth(0).bounding_box()
        scale = sheet["width"] / PAGE_W  # CSS pixels per point (the page image has a 1px border)
        assert official["width"] == pytest.approx(42 * MM * scale, abs=2)
        assert official["x"] + official["width"] / 2 == pytest.approx(sheet["x"] + 420 * scale, abs=2)
        # and 160 pt from the bottom of the 842 pt page (the caption below the page does not count)
        assert official["y"] + official["height"] / 2 == pytest.approx(sheet["y"] + (842 - 160) * scale, abs=2)
        piece = page.locator(".seal-preview .seal-clip").nth(1).bounding_box()
        assert piece["x"] + piece["width"] == pytest.approx(sheet["x"] + sheet["width"], abs=2)  # on the edge
        assert piece["width"] == pytest.approx(10 * MM * scale, abs=2)  # half of the 20 mm seal

        page.locator(".preview-page").first.scroll_into_view_if_needed()
        screenshot(page, f"inkseal-confirm-seals-{width}x{height}")
    finally:
        context.close()


def test_manual_picture_of_the_confirm_page(browser: Any, live_server: Any, signing: Signing) -> None:
    """docs/manual/sign-confirm.png (INKSEAL_WRITE_MANUAL=1 writes it): the real seals on the page."""
    placements = [
        {"seal_type": "official", "page": 1, "x": 420, "y": 640},
        {"seal_type": "legal_representative", "page": 1, "x": 240, "y": 640},
    ]
    spec = signing.spec(documents=[{"file": 0, "placements": placements}])
    created = signing.create(files=[("某某工程施工招标投标文件（商务标）.pdf", text_pdf(1))], spec=spec)
    token = confirm_token(created.json()["confirm_url"])
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1009})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/sign/confirm/{token}")
        wait_until(
            page, "Array.from(document.querySelectorAll('.preview-page img')).every(i => i.complete && i.naturalWidth)"
        )
        assert page.locator(".seal-preview img, .seal-preview .seal-clip").count() >= 2
        screenshot(page, "inkseal-confirm-manual")
        manual_screenshot(page, "sign-confirm")
    finally:
        context.close()


def test_confirm_page_shows_ofd_pages_with_the_seals(browser: Any, live_server: Any, signing: Signing) -> None:
    """An OFD document (until the API takes OFD uploads, the stored document is made one with the
    overlays an OFD placement gives): its page pictures, and the seal 42 mm wide with its top left
    corner 150 mm / 230 mm from the page's top left, as the placement says."""
    from pathlib import Path

    from inkseal.signing.core.ofd.render import stamp_fractions
    from inkseal.signing.models import SignDocument

    body = signing.create().json()
    document = SignDocument.objects.get(task__public_id=body["id"])
    Path(document.original.path).write_bytes(Path("/work/shared/corpus/ofd/unsigned/layout-Page5.ofd").read_bytes())
    left, top, width, height = stamp_fractions((0, 0, 210, 297), 150, 230, 42, 42)
    overlay = {"page": 1, "left": left, "top": top, "width": width, "height": height, "seal_type": "official"}
    document.pages = 5
    document.placements = {**document.placements, "overlays": [overlay]}
    document.save(update_fields=["pages", "placements"])
    token = confirm_token(body["confirm_url"])

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/sign/confirm/{token}")
        wait_until(
            page, "Array.from(document.querySelectorAll('.preview-page img')).every(i => i.complete && i.naturalWidth)"
        )
        assert page.locator(".preview-page > img").count() == 5
        sheet = page.locator(".preview-page > img").first.bounding_box()
        assert sheet["height"] / sheet["width"] == pytest.approx(297 / 210, abs=0.01)
        seal = page.locator(".seal-preview .seal-clip").first.bounding_box()
        scale = sheet["width"] / 210  # CSS pixels per millimetre
        assert seal["width"] == pytest.approx(42 * scale, abs=2)
        assert seal["x"] - sheet["x"] == pytest.approx(150 * scale, abs=2)
        assert seal["y"] - sheet["y"] == pytest.approx(230 * scale, abs=2)
        page.locator(".preview-page").first.scroll_into_view_if_needed()
        screenshot(page, "inkseal-confirm-ofd")
    finally:
        context.close()
