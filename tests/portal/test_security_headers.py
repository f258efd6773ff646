"""Content-Security-Policy on every page, templates without inline scripts or handlers (so that
the policy can forbid them), and HTTPS hardening (HSTS, Secure cookies) when INKSEAL_HTTPS is on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "inkseal").glob("*/templates/**/*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/verify/", "/backoffice/login/"])
def test_pages_carry_a_policy_without_inline_scripts(client: Any, path: str) -> None:
    policy = _policy(client.get(path))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["style-src"]


def test_templates_have_no_inline_scripts_styles_or_event_handlers() -> None:
    assert len(TEMPLATES) > 50
    found = []
    for template in TEMPLATES:
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, re.compile(r"<style", re.I)):
            found += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert found == []


_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
response = Client().get("/login/", secure=True)
print(json.dumps({
    "hsts": response.get("Strict-Transport-Security", ""),
    "cookies": {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}
                for name, c in response.cookies.items()},
    "session": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE],
    "redirect": Client().get("/login/").status_code,
}))
"""


def _probe(tmp_path: Path, **extra: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INKSEAL_", "DATABASE_URL"))}
    env.update(INKSEAL_VAR_DIR=str(tmp_path), INKSEAL_SANDBOX="1", DJANGO_SETTINGS_MODULE="inkseal.settings", **extra)
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_https_turns_on_hsts_and_secure_cookies(tmp_path: Path) -> None:
    probe = _probe(tmp_path, INKSEAL_HTTPS="1")
    assert re.match(r"max-age=\d{8,}", probe["hsts"])  # a year or more
    assert probe["cookies"]["csrftoken"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert probe["session"] == [True, True, "Lax"]
    assert probe["redirect"] == 301  # plain HTTP is sent to HTTPS


def test_plain_http_development_keeps_cookies_usable(tmp_path: Path) -> None:
    probe = _probe(tmp_path)
    assert probe["hsts"] == ""
    assert probe["cookies"]["csrftoken"]["secure"] is False
    assert probe["redirect"] == 200
