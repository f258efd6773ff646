"""The public 验签 page in a browser: no login, upload a sealed PDF, see the seal and the green
report; a tampered copy turns red and says what changed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from inkseal.pki.models import Certificate
from tests.e2e.conftest import screenshot, wait_until
from tests.signing import test_verification_http as http
from tests.signing.conftest import seal

pytestmark = pytest.mark.django_db(transaction=True)
ca_hierarchy, verified_person, verified_enterprise = http.ca_hierarchy, http.verified_person, http.verified_enterprise
our_certificate, _fresh_rate_limits = http.our_certificate, http._fresh_rate_limits
__all__ = ["seal"]


@pytest.fixture
def sealed(our_certificate: Certificate, seal: Any) -> bytes:
    """Sealed on another thread: Playwright's event loop runs on this one, sign_pdf starts its own."""

    def work() -> bytes:
        try:
            return http.seal_with(our_certificate, seal)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def test_anyone_verifies_a_sealed_pdf(
    page: Any, live_server: Any, tmp_path: Path, sealed: bytes, our_certificate: Certificate
):
    good = tmp_path / "投标文件.pdf"
    good.write_bytes(sealed)
    bad = tmp_path / "篡改文件.pdf"
    bad.write_bytes(http.tampered(sealed))

    page.goto(f"{live_server.url}/verify/")
    assert page.locator("h1").inner_text().startswith("验签")
    page.set_input_files("#verify-file", str(good))
    page.click("#verify-submit")
    page.wait_for_selector("#verify-summary")

    assert page.locator("#verify-summary").get_attribute("data-valid") == "true"
    card = page.locator(".sig-card").first
    assert card.get_attribute("data-valid") == "true"
    assert our_certificate.common_name in card.inner_text() and our_certificate.serial in card.inner_text()
    assert page.evaluate("document.querySelector('.seal-box img').naturalWidth") > 0
    screenshot(page, "verify-valid")

    page.set_input_files("#verify-file", str(bad))
    page.click("#verify-submit")
    page.wait_for_selector("#verify-summary[data-valid=false]")
    assert "签名后文档被篡改" in page.locator(".sig-card .sig-integrity").inner_text()
    screenshot(page, "verify-tampered")

    page.click("#switch-language")
    wait_until(page, "document.querySelector('h1').innerText.startsWith('Verify')")
    assert page.locator("#verify-submit").inner_text() == "Verify"
