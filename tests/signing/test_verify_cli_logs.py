"""`inkseal verify` on a PDF sealed under a CA we do not trust: our report and one-line reasons on
stderr, never pyHanko's tracebacks (an untrusted chain is an expected verdict, not a crash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers.signing_pki import TestPki
from tests.signing.test_verification_http import foreign_sealed

ROOT = Path(__file__).resolve().parents[2]


def test_untrusted_ca_report_has_no_library_tracebacks(tmp_path: Path, pki: TestPki, seal: Any) -> None:
    pdf = tmp_path / "foreign.pdf"
    pdf.write_bytes(foreign_sealed(pki, seal))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INKSEAL_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cli = [sys.executable, "-m", "inkseal.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, cwd=ROOT, check=True, capture_output=True)

    result = subprocess.run([*cli, "verify", str(pdf)], env=env, cwd=ROOT, capture_output=True, text=True)

    assert result.returncode == 1
    assert "验签未通过" in result.stdout and "无效" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "Failed to build path" in result.stderr  # the reason stays, on one line
    assert "no issuer matching" in result.stderr
