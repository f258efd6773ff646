"""Browser journeys: Playwright driving Debian's chromium (/usr/bin/chromium; never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("INKSEAL_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"
# Django's live server runs in a thread of this process; Playwright's sync API needs this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: make test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Every journey also checks that the pages keep to their Content-Security-Policy.
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert violations == [], violations


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


MANUAL = Path(__file__).resolve().parents[2] / "docs" / "manual"


def manual_screenshot(page: Any, name: str) -> Path | None:
    """With INKSEAL_WRITE_MANUAL=1, the page as the user manual shows it: docs/manual/<name>.png
    (the viewport, 256 colours to keep the repository small). Otherwise nothing is written."""
    if os.environ.get("INKSEAL_WRITE_MANUAL") != "1":
        return None
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot(full_page=False))).convert("RGB")
    path = MANUAL / f"{name}.png"
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def step_up_in_page(page: Any, base_url: str, phone: str) -> None:
    """The step-up block of an action's form, as the person uses it: 获取验证码, then the code
    from their phone (the sandbox outbox)."""
    import re

    import requests

    page.click("#step-up-send")
    page.wait_for_selector("#step-up-status.text-success")
    messages = requests.get(f"{base_url}/dev/sms.json", params={"phone": phone}, timeout=10).json()["messages"]
    body = next(m["body"] for m in messages if m["purpose"] == "stepup")
    page.fill("#step-up-code", re.search(r"验证码为(\d{6})", body).group(1))  # type: ignore[union-attr]


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 15.0) -> None:
    """page.wait_for_function without its in-page polling, which evaluates a string and so is
    refused by the pages' Content-Security-Policy (no 'unsafe-eval'): poll page.evaluate."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)
