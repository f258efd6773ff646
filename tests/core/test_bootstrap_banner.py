"""`inkseal bootstrap` prints where the logins are, never the passwords (its output ends up in run
logs); the passwords are in var/demo.json (0600) or var/secrets only."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _bootstrap(*args: str) -> str:
    out = io.StringIO()
    call_command("bootstrap", *args, stdout=out)
    return out.getvalue()


def test_the_demo_banner_says_where_the_logins_are_without_the_passwords(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    (tmp_path / "secrets").mkdir(mode=0o700)
    output = _bootstrap("--demo")
    document = json.loads((tmp_path / "demo.json").read_text())
    assert stat.S_IMODE((tmp_path / "demo.json").stat().st_mode) == 0o600
    passwords = [document["operator"]["password"], *(u["password"] for u in document.get("portal_users", []))]
    assert len(passwords) >= 2
    for password in passwords:
        assert password not in output
    assert str(tmp_path / "demo.json") in output
    assert document["operator"]["username"] in output  # who to sign in as is fine to print


def test_the_operator_banner_says_where_the_password_is(settings: Any) -> None:
    from inkseal.accounts.demo import ensure_operator

    output = _bootstrap()
    assert ensure_operator()["password"] not in output
    assert "operator_password" in output
