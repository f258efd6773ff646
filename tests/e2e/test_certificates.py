"""An enterprise administrator revokes a cloud certificate in the browser: reason, risk prompt, done."""

from __future__ import annotations

import pytest
from cryptography import x509 as cx

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import RSA_2048
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate
from tests.conftest import login_client
from tests.e2e.conftest import screenshot, step_up_in_page
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_revoke_a_cloud_certificate(page, live_server, ca_hierarchy, verified_person, verified_enterprise):  # noqa: F811
    admin = verified_person(name="刘婧妍")
    enterprise = verified_enterprise(admin, name="北京示范科技有限公司")
    certificate = issue_cloud_certificate(
        enterprise.party, algorithm=RSA_2048, years=1, acting=Acting(Actor("system", "", "test"))
    )
    session = login_client(admin, identity=f"enterprise:{enterprise.pk}").cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    page.goto(f"{live_server.url}/certificates/")
    row = page.locator(f"#usable-certificates tr[data-certificate='{certificate.pk}']")
    assert "有效" in row.inner_text()
    screenshot(page, "certificates-list")
    row.locator("text=吊销").click()

    page.wait_for_selector("#revoke-step-1")
    page.click("#revoke-next")  # no reason chosen
    assert "请选择吊销原因。" in page.locator(".field-error").inner_text()
    page.select_option("#id_reason", label="停止使用")
    page.click("#revoke-next")
    page.wait_for_selector("#revoke-step-2")
    assert "风险提示" in page.content() and page.locator("#chosen-reason").inner_text() == "停止使用"
    screenshot(page, "certificate-revoke-risk")
    page.check("#id_confirm")
    page.click("#revoke-confirm")  # without the step-up: refused, nothing revoked
    assert "step_up_required" in page.content()
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is None
    page.goto(f"{live_server.url}/certificates/{certificate.pk}/revoke")
    page.select_option("#id_reason", label="停止使用")
    page.click("#revoke-next")
    page.wait_for_selector("#revoke-step-2")
    page.check("#id_confirm")
    step_up_in_page(page, live_server.url, admin.phone)
    page.click("#revoke-confirm")

    page.wait_for_url(f"{live_server.url}/certificates/{certificate.pk}/")
    assert page.locator("#certificate-status").inner_text() == "已吊销"
    assert "证书已吊销。" in page.content() and page.locator("#revoke").count() == 0
    screenshot(page, "certificate-revoked")

    certificate.refresh_from_db()
    assert certificate.revocation_reason == 5
    page.goto(f"{live_server.url}/certificates/")
    assert str(certificate.serial) in page.locator("#invalid-certificates").inner_text()
    crl = cx.load_der_x509_crl(page.request.get(f"{live_server.url}/pki/crl/issuing-rsa.crl").body())
    assert crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16)) is not None
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is not None


def test_add_an_authorisation_and_the_grantee_confirms_on_a_phone(
    page,
    browser,
    live_server,
    ca_hierarchy,  # noqa: F811
    verified_person,  # noqa: F811
    verified_enterprise,  # noqa: F811
):
    """添加授权 with the step-up in the page; the authorisation waits (待确认) until the authorised
    person opens the SMS link on a 390 px phone and enters the code."""
    import re

    import requests

    from inkseal.platforms.models import CertificateAuthorization, TradingPlatform

    admin = verified_person(name="刘婧妍")
    enterprise = verified_enterprise(admin, name="北京示范科技有限公司")
    certificate = issue_cloud_certificate(
        enterprise.party, algorithm=RSA_2048, years=1, acting=Acting(Actor("system", "", "test"))
    )
    TradingPlatform.objects.create(name="际华集团电子化采购平台", code="jihua-e2e")
    page.set_viewport_size({"width": 1366, "height": 860})
    session = login_client(admin, identity=f"enterprise:{enterprise.pk}").cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])

    page.goto(f"{live_server.url}/certificates/{certificate.pk}/authorisations/")
    page.fill("input[name=grantee_name]", "赵雨桐")
    page.fill("input[name=grantee_phone]", "13800000000")
    step_up_in_page(page, live_server.url, admin.phone)
    screenshot(page, "authorisation-add-1366")
    page.click("#add-authorization-submit")
    page.wait_for_selector("#authorizations")
    assert "待确认" in page.locator("#authorizations").inner_text()
    screenshot(page, "authorisation-pending-1366")

    sms = requests.get(f"{live_server.url}/dev/sms.json", params={"phone": "13800000000"}, timeout=10).json()
    body = sms["messages"][0]["body"]
    link = re.search(r"(/authorisations/confirm/[\w-]+)", body).group(1)
    code = re.search(r"验证码为(\d{6})", body).group(1)
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        grantee = phone.new_page()
        grantee.goto(f"{live_server.url}{link}")
        assert "北京示范科技有限公司" in grantee.locator("#grant-holder").inner_text()
        assert grantee.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(grantee, "authorisation-confirm-390")
        grantee.fill("#code", code)
        grantee.click("#grant-confirm-form button[type=submit]")
        grantee.wait_for_selector("#grant-done")
        screenshot(grantee, "authorisation-confirmed-390")
    finally:
        phone.close()
    assert CertificateAuthorization.objects.get(grantee_phone="13800000000").confirmed_at is not None
    page.reload()
    assert "有效" in page.locator("#authorizations").inner_text()
