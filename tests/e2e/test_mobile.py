"""The portal on a phone (390×844) and on a laptop (1366×768): every page fits the screen's width,
the navigation opens from the menu button and its links work on a phone, the sidebar stays on a
laptop. Screenshots of each page at both sizes go to test-results/mobile/ for a person to look at."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from inkseal.accounts.duties import do_set_member_duties
from inkseal.accounts.models import Duty, Membership
from inkseal.core.acting import Acting
from inkseal.orders.models import Application, Medium, Product, SubjectKind
from inkseal.seals.services.approvals import request_seal_use_approval
from inkseal.signing.models import SigningRecord
from tests.conftest import login_client
from tests.orders.conftest import Holder, order
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code, text_pdf

pytestmark = pytest.mark.django_db(transaction=True)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results" / "mobile"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


def _sign(signing: Signing, name: str) -> None:
    body = signing.create([(name, text_pdf())]).json()
    token = confirm_token(body["confirm_url"])
    signing.client.post(f"/api/v1/confirm/{token}/code")
    code = sms_code(signing.client)
    signing.client.post(f"/api/v1/confirm/{token}", {"method": "sms", "code": code}, content_type="application/json")


def portal_pages(signing: Signing) -> dict[str, str]:
    """An enterprise with a cloud certificate, bound seals, an order and a signing record: every
    portal page has content. Returns page name → path."""
    enterprise = signing.certificate.holder.enterprise
    with ThreadPoolExecutor(1) as pool:  # signing runs its own event loop; Playwright's is running here
        pool.submit(_sign, signing, "某某工程施工招标投标文件（商务标）.pdf").result()
    client = login_client(signing.admin, f"enterprise:{enterprise.pk}", stepped_up=True)
    product = Product.objects.create(
        name="云企业双证书（ECDSA）-1年期",
        code="cloudca-ec-1Y",
        medium=Medium.CLOUD,
        subject_kind=SubjectKind.ENTERPRISE,
        algorithm="ecdsa-p256",
        years=1,
        price=Decimal("0"),
        platform=signing.platform,
    )
    order(Holder(signing.admin, enterprise, client, list(signing.seals.values())), product)
    application = Application.objects.filter(party=enterprise.party).latest("pk")
    record = SigningRecord.objects.get()
    seal = next(iter(signing.seals.values()))
    # 用印审批: the administrator is also an approver, 公章 needs approval, one request waits
    membership = Membership.objects.get(person=signing.admin, enterprise=enterprise)
    do_set_member_duties(membership, {Duty.APPROVER}, acting=Acting.system())
    client.post("/seals/approvals/settings", {"kind": seal.kind, "approvers": [signing.admin.pk]})
    request_seal_use_approval(
        seal, "ab" * 32, "cd" * 32, acting=Acting.system(), document_name="某某工程施工招标投标文件（商务标）.pdf"
    )
    return {
        "home": "/",
        "seals": "/seals/",
        "seal-new": "/seals/new/",
        "seal-edit": f"/seals/new/?replace={seal.pk}",
        "seal-detail": f"/seals/{seal.pk}/",
        "seal-approvals": "/seals/approvals/",
        "seal-approval-settings": "/seals/approvals/settings",
        "certificates": "/certificates/",
        "certificate-detail": f"/certificates/{signing.certificate.pk}/",
        "authorisations": f"/certificates/{signing.certificate.pk}/authorisations/",
        "applications": "/applications/?tab=all",
        "application-detail": f"/applications/{application.number}/",
        "records": "/records/",
        "record-detail": f"/records/{record.event_id}/",
        "profile": "/account/",
        "addresses": "/account/addresses/",
        "self-sign": "/sign/self/",
        "enterprise-detail": f"/account/enterprises/{enterprise.pk}/",
        "enterprise-new": "/account/enterprises/new",
        "identity": "/identity/",
    }


def signed_in(browser: Any, live_server: Any, signing: Signing, viewport: dict[str, int]) -> Any:
    enterprise = signing.certificate.holder.enterprise
    session = login_client(signing.admin, f"enterprise:{enterprise.pk}").cookies["sessionid"].value
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the screen (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def sticking_out(page: Any) -> list[str]:
    """The innermost elements that reach past the screen's right edge, to say what to fix."""
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
              .filter(e => !(e.parentElement && e.parentElement.closest('.table-responsive, .overflow-auto'))
                        && e.getBoundingClientRect().right > window.innerWidth + 1
                        && !Array.from(e.children).some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
              .slice(0, 4)
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                        + '.' + e.className.toString().split(' ').join('.')
                        + ' ' + Math.round(e.getBoundingClientRect().right))"""
        )
    )


def opens_menu(page: Any) -> bool:
    """The sidebar is folded away on a phone; the menu button opens it and Escape closes it."""
    toggle = page.locator("#portal-nav-toggle")
    if page.locator("#portal-nav").is_visible() or not toggle.is_visible():
        return False
    toggle.click()
    page.wait_for_selector("#portal-nav.show")
    if not page.locator("#portal-nav a[href='/records/']").is_visible():
        return False
    page.keyboard.press("Escape")
    page.wait_for_selector("#portal-nav", state="hidden")
    return True


def save(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_every_portal_page_fits_a_phone_and_its_menu_opens(browser, live_server, signing, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    pages = portal_pages(signing)
    page = signed_in(browser, live_server, signing, PHONE)
    too_wide, no_menu = {}, []
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, (name, response.status)
        save(page, f"{name}-390")
        if overflow(page) > 0:
            too_wide[name] = (page.evaluate("document.documentElement.scrollWidth"), sticking_out(page))
        if not opens_menu(page):
            no_menu.append(name)
    assert too_wide == {}, f"pages wider than the 390 px screen: {too_wide}"
    assert no_menu == [], f"pages whose menu does not open from the menu button: {no_menu}"

    # The identity switcher fits on the screen.
    page.goto(f"{live_server.url}/")
    page.click("#identity-menu")
    menu = page.locator("#identity-menu + .dropdown-menu").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= PHONE["width"]
    save(page, "identity-menu-390")
    page.keyboard.press("Escape")

    # Records and applications read as one card per row: every value on screen, no sideways scrolling.
    for path, table, text in [
        ("/records/", "#records", "某某工程施工招标投标文件（商务标）.pdf"),
        ("/applications/?tab=all", "#applications", "测试交易平台"),
    ]:
        page.goto(f"{live_server.url}{path}")
        cell = page.locator(f"{table} td", has_text=text).first
        box = cell.bounding_box()
        assert cell.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, box)
        details = page.locator(f"{table} a", has_text="详情").first.bounding_box()
        assert details["x"] + details["width"] <= PHONE["width"], path

    # A link in the menu takes the person there.
    page.goto(f"{live_server.url}/")
    page.click("#portal-nav-toggle")
    page.wait_for_selector("#portal-nav.show")
    page.wait_for_timeout(400)  # the slide-in transition, for the screenshot
    save(page, "nav-open-390")
    page.click("#portal-nav a[href='/certificates/']")
    page.wait_for_url("**/certificates/")
    assert page.locator("#portal-nav .nav-link.active").text_content() == "证书管理"
    assert overflow(page) == 0
    page.context.close()


def test_every_portal_page_keeps_its_sidebar_on_a_laptop(browser, live_server, signing, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    pages = portal_pages(signing)
    page = signed_in(browser, live_server, signing, LAPTOP)
    for name, path in pages.items():
        assert page.goto(f"{live_server.url}{path}").ok, name
        save(page, f"{name}-1366")
        assert page.locator("#portal-nav").is_visible(), name
        assert not page.locator("#portal-nav-toggle").is_visible(), name
        assert overflow(page) == 0, name
    page.click("#portal-nav a[href='/seals/']")
    page.wait_for_url("**/seals/")
    page.context.close()


def test_confirm_login_and_verify_pages_still_fit_a_phone(browser, live_server, signing, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    with ThreadPoolExecutor(1) as pool:
        body = pool.submit(lambda: signing.create([("投标文件.pdf", text_pdf())]).json()).result()
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    for name, url in [
        ("login", f"{live_server.url}/login/"),
        ("verify", f"{live_server.url}/verify/"),
        ("confirm", body["confirm_url"].replace(settings.PUBLIC_BASE_URL, live_server.url)),
    ]:
        assert page.goto(url).ok, name
        save(page, f"{name}-390")
        assert overflow(page) == 0, (name, sticking_out(page))
    context.close()
