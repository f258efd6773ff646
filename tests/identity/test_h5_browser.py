"""The face flow in real browsers: the desktop shows the QR code, a phone-sized chromium with a
fake front camera (a face video built in the test) records 2.5 s with MediaRecorder and uploads
it, and both pages show 认证成功 without a reload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore

from inkseal.accounts import session as portal_session
from inkseal.accounts.models import Person
from tests.e2e.conftest import CHROMIUM, screenshot, wait_until
from tests.identity.conftest import id_number
from tests.identity.media import write_y4m

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def camera_browser(tmp_path_factory: Any) -> Iterator[Any]:
    """Chromium whose camera plays a looping face video, with the permission prompt auto-accepted."""
    from playwright.sync_api import sync_playwright

    video = write_y4m(tmp_path_factory.mktemp("camera") / "face.y4m", "face", seconds=3.0, fps=15)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        yield browser
        browser.close()


def logged_in_context(browser: Any, base_url: str, person: Person) -> Any:
    session = SessionStore()
    session[portal_session.PERSON] = person.pk
    session[portal_session.EPOCH] = person.session_epoch
    session[portal_session.IDENTITY] = "person"
    session.save()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}])
    return context


def test_h5_recording_page_verifies_with_the_front_camera(camera_browser, live_server, make_person):
    person = make_person(phone="18600000996", name="刘婧妍")
    desktop = logged_in_context(camera_browser, live_server.url, person).new_page()
    desktop.set_default_timeout(20_000)
    desktop.goto(f"{live_server.url}/identity/face")
    desktop.fill("#id_id_number", id_number(60))
    desktop.check("#liveness-silent")
    for slug in ("service", "privacy", "biometrics"):
        desktop.check(f"#agree-{slug}")
    screenshot(desktop, "identity-face-form")
    desktop.click("#face-submit")
    desktop.wait_for_selector("#consent-modal")
    screenshot(desktop, "identity-face-consent")
    desktop.click("#consent-agree")
    desktop.wait_for_selector("#face-qr svg")
    assert "请使用微信扫一扫验证" in desktop.content()
    screenshot(desktop, "identity-face-qr")
    link = desktop.get_attribute("#open-h5", "href")
    assert link and "/h5/face/" in link

    phone_context = camera_browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = phone_context.new_page()
    phone.set_default_timeout(20_000)
    phone.goto(link)
    assert "刘*妍" in phone.inner_text("#h5-subject")
    screenshot(phone, "identity-h5-consent")
    desktop.wait_for_selector('#face-status[data-stage="scanned"]')
    phone.click("#agree")
    phone.wait_for_selector("#record:not([disabled])")
    wait_until(phone, "document.getElementById('preview').videoWidth > 0")  # the camera is live
    screenshot(phone, "identity-h5-recording")
    phone.click("#record")
    phone.wait_for_selector("#result:not([hidden])", timeout=30_000)
    assert phone.inner_text("#result-title") == "认证成功", phone.inner_text("#result")
    screenshot(phone, "identity-h5-result")

    desktop.wait_for_selector('#face-status[data-stage="succeeded"]', timeout=15_000)
    assert "认证成功" in desktop.inner_text("#face-result")
    assert not desktop.query_selector("#face-qr")  # the QR code is gone once there is a result
    screenshot(desktop, "identity-face-result")
    person.refresh_from_db()
    assert person.is_verified


def test_h5_page_falls_back_to_the_system_camera_input(camera_browser, live_server, make_person, tmp_path):
    """Without MediaRecorder (some in-app browsers), the file input with capture=user uploads."""
    from tests.identity.media import write_video

    person = make_person(phone="18600000997", name="刘婧妍")
    desktop = logged_in_context(camera_browser, live_server.url, person).new_page()
    desktop.goto(f"{live_server.url}/identity/face")
    desktop.fill("#id_id_number", id_number(61))
    for slug in ("service", "privacy", "biometrics"):
        desktop.check(f"#agree-{slug}")
    desktop.click("#face-submit")
    desktop.click("#consent-agree")
    link = desktop.get_attribute("#open-h5", "href")

    phone = camera_browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    phone.add_init_script("delete window.MediaRecorder")
    phone.goto(link)
    phone.click("#agree")
    assert phone.get_attribute("#file-video", "capture") == "user"
    phone.set_input_files("#file-video", str(write_video(Path(tmp_path) / "clip.webm", "empty", 2.5, 10)))
    phone.wait_for_selector("#result:not([hidden])", timeout=30_000)
    assert "未能在视频中持续检测到人脸" in phone.inner_text("#result-message")
    desktop.wait_for_selector('#face-status[data-stage="failed"]', timeout=15_000)
