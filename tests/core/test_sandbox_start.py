"""Sandbox is off unless asked for; a production start with sandbox providers and no flag refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from inkseal.core.sandbox import check_production_start, sandbox_providers

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INKSEAL_", "DATABASE_URL"))}
    return {**env, "INKSEAL_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "inkseal.settings", **extra}


def test_sandbox_is_off_by_default(tmp_path: Path) -> None:
    code = "import django; django.setup(); from django.conf import settings; print(settings.SANDBOX)"
    out = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_serve_refuses_sandbox_providers_without_the_flag(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "inkseal.cli", "serve", "--bind", "127.0.0.1:1", "--workers", "1"]
    out = subprocess.run(command, env=_env(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "INKSEAL_SANDBOX" in out.stderr
    assert "inkseal.notify.backends.OutboxBackend" in out.stderr  # names what to replace
    assert "Listening at" not in out.stderr + out.stdout


def test_the_sandbox_flag_allows_the_sandbox_providers(settings: pytest.FixtureRequest) -> None:
    settings.SANDBOX = True  # type: ignore[attr-defined]
    check_production_start()


def test_without_the_flag_every_sandbox_provider_is_named(settings: pytest.FixtureRequest) -> None:
    settings.SANDBOX = False  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured) as refused:
        check_production_start()
    for path in sandbox_providers():
        assert path in str(refused.value)
    assert "INKSEAL_IDENTITY_FACE_PROVIDER" in str(refused.value)
