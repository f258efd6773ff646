"""自助签署 in the browser: an enterprise admin uploads a PDF, drags the 公章 onto page 1 with the
mouse, confirms with the SMS code sent to their own phone and downloads the signed PDF."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from asn1crypto import x509 as asn1_x509

from inkseal.pki.services import certificate_chain
from inkseal.signing.core.verify import verify_pdf
from inkseal.signing.models import SigningRecord, SignTask
from tests.conftest import login_client
from tests.e2e.conftest import screenshot, wait_until
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, text_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def test_self_sign_journey(page: Any, live_server: Any, signing: Signing, settings: Any, tmp_path: Any) -> None:
    settings.PUBLIC_BASE_URL = live_server.url
    enterprise = signing.certificate.holder.enterprise
    session = login_client(signing.admin, f"enterprise:{enterprise.pk}").cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    page.goto(f"{live_server.url}/records/")
    page.click("#self-sign-link")
    page.wait_for_url("**/sign/self/")
    pdf = tmp_path / "采购合同.pdf"
    pdf.write_bytes(text_pdf(2))
    page.set_input_files("#file", str(pdf))
    page.click("#upload-button")
    page.wait_for_url(re.compile(r".*/sign/self/[0-9a-f]{32}/$"))
    wait_until(page, "Array.from(document.querySelectorAll('.sheet img')).every(i => i.complete && i.naturalWidth)")

    seal = page.locator(".palette-seal[data-seal-type=official]")
    sheet = page.locator(".sheet[data-page='1'] img")
    s, p = seal.bounding_box(), sheet.bounding_box()
    target = (p["x"] + p["width"] * 0.7, p["y"] + p["height"] * 0.8)  # centre of the drop
    page.mouse.move(s["x"] + s["width"] / 2, s["y"] + s["height"] / 2)
    page.mouse.down()
    page.mouse.move(target[0], target[1], steps=12)
    page.mouse.up()
    placed = page.locator(".sheet[data-page='1'] .placed-seal")
    assert placed.count() == 1
    box = placed.bounding_box()
    # true size: 42 mm on a 595 pt wide page, relative to the displayed preview
    assert box["width"] == pytest.approx(42 * 72 / 25.4 / 595 * p["width"], abs=1.5)
    assert page.locator("#next-button").is_enabled()
    screenshot(page, "self-sign-placed")

    # a second seal, then removed again
    legal = page.locator(".palette-seal[data-seal-type=legal_representative]").bounding_box()
    page.mouse.move(legal["x"] + 10, legal["y"] + 10)
    page.mouse.down()
    page.mouse.move(p["x"] + p["width"] * 0.3, p["y"] + p["height"] * 0.3, steps=8)
    page.mouse.up()
    assert page.locator(".placed-seal").count() == 2
    page.locator(".placed-seal[data-seal-type=legal_representative] .remove").click()
    assert page.locator(".placed-seal").count() == 1
    assert page.locator("#placed-count").inner_text() == "1"

    page.click("#next-button")
    page.wait_for_url(re.compile(r".*/sign/confirm/"))
    page.wait_for_selector(".preview-page img")
    assert page.locator("#platform-name").inner_text() == "自助签署"
    task = SignTask.objects.get()
    [spec] = task.documents.get().placements["specs"]
    assert spec["page"] == 1 and spec["seal_type"] == "official"
    assert spec["x"] == pytest.approx(595 * 0.7, abs=3) and spec["y"] == pytest.approx(842 * 0.2, abs=3)

    page.click("#send-code")
    wait_until(page, "document.getElementById('sent-to').textContent.length > 0")
    messages = requests.get(f"{live_server.url}/dev/sms.json", params={"phone": signing.admin.phone}, timeout=10)
    code = re.search(r"验证码为(\d{6})", messages.json()["messages"][0]["body"]).group(1)  # type: ignore[union-attr]
    page.fill("#code", code)
    screenshot(page, "self-sign-confirm")
    page.click("#confirm-button")
    page.wait_for_selector("#done:not(.d-none)", timeout=60_000)
    page.wait_for_timeout(800)  # the progress bar's width transition
    screenshot(page, "self-sign-done")
    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == "采购合同（已签章）.pdf"
    signed = tmp_path / "signed.pdf"
    download.save_as(str(signed))
    root = asn1_x509.Certificate.load(certificate_chain(signing.certificate)[-1])
    with ThreadPoolExecutor(1) as pool:  # verify_pdf runs its own event loop; Playwright's is running here
        report = pool.submit(verify_pdf, signed.read_bytes(), trust_roots=[root]).result()
    assert len(report.signatures) == 1 and report.all_valid, report.as_dict()
    record = SigningRecord.objects.get()
    assert record.platform_name == "自助签署" and record.intent_method == "sms" and record.ip

    page.goto(f"{live_server.url}/records/")
    assert "自助签署" in page.locator("#records").inner_text()
    screenshot(page, "self-sign-records")
