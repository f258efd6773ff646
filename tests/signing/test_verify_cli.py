"""`inkseal verify <file.pdf> [--json]`: the same report as the API; exit 0 valid, 1 a signature
fails, 2 the file is bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inkseal.pki.models import Certificate
from tests.signing import test_verification_http as http

pytestmark = pytest.mark.django_db
ca_hierarchy, verified_person, verified_enterprise = http.ca_hierarchy, http.verified_person, http.verified_enterprise
our_certificate, sealed = http.our_certificate, http.sealed


def run(*args: str) -> tuple[int, str]:
    """Exit status and stdout of `inkseal verify ...`."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("verify", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_valid_seal_exits_zero_with_a_readable_report(tmp_path: Path, sealed: bytes, our_certificate: Certificate):
    path = tmp_path / "bid.pdf"
    path.write_bytes(sealed)

    status, out = run(str(path))

    assert status == 0, out
    assert "全部签名有效" in out and our_certificate.common_name in out and our_certificate.serial in out
    assert "证书链: 可信" in out and "签名格式: PAdES · B-T" in out


def test_json_is_the_api_report(tmp_path: Path, sealed: bytes, client: Any):
    path = tmp_path / "bid.pdf"
    path.write_bytes(sealed)

    status, out = run(str(path), "--json")
    api = http.post_verify(client, sealed).json()

    assert status == 0
    assert json.loads(out) == api


def test_tampered_copy_exits_non_zero(tmp_path: Path, sealed: bytes):
    path = tmp_path / "tampered.pdf"
    path.write_bytes(http.tampered(sealed))

    status, out = run(str(path))

    assert status == 1
    assert "验签未通过" in out and "签名后被篡改" in out
    assert json.loads(run(str(path), "--json")[1])["signatures"][0]["intact"] is False


@pytest.mark.parametrize(
    ("content", "code"), [(b"not a pdf", "pdf_not_pdf"), (b"%PDF-1.7\n1 0 obj << >> endobj\n", "pdf_malformed")]
)
def test_bad_files_exit_two(tmp_path: Path, content: bytes, code: str):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)

    status, out = run(str(path), "--json")

    assert status == 2 and json.loads(out)["error"] == code
    assert run(str(tmp_path / "missing.pdf"))[0] == 2


def test_encrypted_file_with_its_password(tmp_path: Path):
    from tests.signing.conftest import CORPUS, CORPUS_PASSWORD, ENCRYPTED

    assert run(str(CORPUS / ENCRYPTED))[0] == 2
    status, out = run(str(CORPUS / ENCRYPTED), "--password", CORPUS_PASSWORD, "--json")
    assert status == 1 and json.loads(out)["signatures"] == []  # readable, but nothing is signed
