"""A bidder signs a bid file in the browser: portal upload → 签章 → Inkseal's confirm page (SMS code,
progress, completion) → back on the portal, the signed PDF arrived by callback and downloads."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.e2e.conftest import screenshot, wait_until
from tests.helpers.jobs import run_queued_jobs
from tests.signing.test_demo_portal import PROJECT, bid_pdf, signed_pdf_is_valid

pytestmark = pytest.mark.django_db(transaction=True)


def test_bid_signing_journey(
    page: Any,
    live_server: Any,
    build_demo: Callable[[str], dict[str, Any]],
    demo_portal: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SMS_PHONE_INTERVAL_SECONDS = 0
    document = build_demo(live_server.url)
    portal_url = demo_portal[0]
    bidder = next(u for u in document["portal_users"] if u["username"] == "bidder")
    certificate = next(c for c in document["certificates"] if c["kind"] == "enterprise")

    page.goto(f"{portal_url}/login/")
    page.fill("#id_username", bidder["username"])
    page.fill("#id_password", bidder["password"])
    page.click("button[type=submit]")
    page.click("nav >> text=我的项目")
    page.click(f"#projects tr:has-text('{PROJECT}') >> text=上传投标文件")
    bid_file = tmp_path / "投标文件-劳保用品.pdf"
    bid_file.write_bytes(bid_pdf())
    page.set_input_files("#id_file", str(bid_file))
    page.check(f"input[name=certificate][value='{certificate['serial']}']")
    page.check("#id_cross_page")
    page.click("#upload-button")
    row = page.locator("tr.bid").first
    assert "待签章" in row.inner_text()
    screenshot(page, "portal-bid-uploaded")

    row.locator("button.sign").click()
    page.wait_for_url(re.compile(rf"^{re.escape(live_server.url)}/sign/confirm/"))
    page.wait_for_selector(".preview-page img")
    assert document["platform"]["name"] in page.locator("#platform-name").inner_text()
    page.click("#send-code")
    wait_until(page, "document.getElementById('sent-to').textContent.length > 0")
    phone = certificate["authorised_person"]["phone"]
    messages = requests.get(f"{live_server.url}/dev/sms.json", params={"phone": phone}, timeout=10).json()
    code = re.search(r"验证码为(\d{6})", messages["messages"][0]["body"]).group(1)  # type: ignore[union-attr]
    page.fill("#code", code)
    screenshot(page, "inkseal-confirm")
    page.click("#confirm-button")
    page.wait_for_selector("#done:not(.d-none)", timeout=60_000)
    assert page.locator(".doc-status").first.inner_text() == "已签署"
    page.wait_for_timeout(800)  # the progress bar's width transition
    screenshot(page, "inkseal-confirm-done")

    page.goto(f"{portal_url}/projects/{PROJECT}/")
    for _ in range(30):
        run_queued_jobs()  # the job consumer's part: the callback to the portal
        if "已签章" in page.locator("tr.bid").first.inner_text():
            break
        page.wait_for_timeout(300)
        page.reload()
    row = page.locator("tr.bid").first
    assert "已签章" in row.inner_text() and "已收到回调" in row.inner_text()
    screenshot(page, "portal-bid-signed")
    with page.expect_download() as download_info:
        row.locator("a.download").click()
    download = download_info.value
    assert download.suggested_filename == "投标文件-劳保用品（已签章）.pdf"
    signed_pdf_is_valid(open(download.path(), "rb").read(), signatures=3)
