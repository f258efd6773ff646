"""SM2 PDF signatures say what they are: GM/T 0010 SignedData under a GM signature handler name,
not PAdES (see docs/sm2-pdf-signatures.md).

International validators must call them unsupported, not corrupt, and keep validating the
RSA signatures of the same document; our verifier reads both the new labelling and the
PAdES labelling of documents signed before.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from inkseal.signing.core import gmcms
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.core.verify import verify_pdf
from tests.helpers.signing_pki import TestPki
from tests.helpers.sm2_pki import Sm2TestPki, make_sm2_test_pki
from tests.signing.conftest import CORPUS, run_pdfsig

GM_FORMAT = "GM/T 0010 (SM2) detached"


@pytest.fixture(scope="module")
def sm2_pki() -> Sm2TestPki:
    return make_sm2_test_pki()


def rsa_then_sm2(pki: TestPki, sm2_pki: Sm2TestPki, seal: SealImage) -> bytes:
    """A bid signed by an RSA seal, then by an SM2 seal, both B-T."""
    rsa_signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 150, 300))],
        timestamper=pki.timestamper(),
    )
    both = sign_pdf(
        rsa_signed,
        signer=sm2_pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 420, 300))],
        timestamper=sm2_pki.timestamper(),
    )
    assert isinstance(both, bytes)
    return both


@pytest.fixture(scope="module")
def mixed(pki: TestPki, sm2_pki: Sm2TestPki, seal: SealImage) -> bytes:
    return rsa_then_sm2(pki, sm2_pki, seal)


def signature_dictionaries(pdf: bytes) -> dict[str, Any]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {name: sig.get_object() for name, sig, _ in enumerate_sig_fields(reader, filled_status=True)}


def test_sm2_signature_carries_a_gm_handler_name_rsa_keeps_pades(mixed: bytes) -> None:
    dictionaries = signature_dictionaries(mixed)

    assert dictionaries["Seal1"]["/Filter"] == "/Adobe.PPKLite"
    assert dictionaries["Seal1"]["/SubFilter"] == "/ETSI.CAdES.detached"
    assert dictionaries["Seal2"]["/Filter"] == "/DJ.GMPkiLite"
    assert dictionaries["Seal2"]["/SubFilter"] == "/GM.sm2cms.detached"


def test_report_names_the_format_and_calls_only_pades_pades(mixed: bytes, pki: TestPki, sm2_pki: Sm2TestPki) -> None:
    report = verify_pdf(mixed, trust_roots=[pki.root_pem(), sm2_pki.root.der])

    assert report.all_valid, report.as_dict()
    rsa, sm2 = report.signatures
    assert (rsa.signature_format, rsa.pades_level, rsa.level) == ("PAdES", "B-T", "B-T")
    assert (sm2.signature_format, sm2.pades_level, sm2.level) == (GM_FORMAT, None, "B-T")
    as_json = sm2.as_dict()
    assert as_json["signature_format"] == GM_FORMAT and as_json["pades_level"] is None


def test_sm2_signatures_labelled_pades_by_earlier_releases_still_verify(
    pki: TestPki, sm2_pki: Sm2TestPki, seal: SealImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents signed before this change say /Adobe.PPKLite, /ETSI.CAdES.detached over SM2."""
    monkeypatch.setattr(gmcms, "GM_PDF_FILTER", "/Adobe.PPKLite")
    monkeypatch.setattr(gmcms, "GM_PDF_SUBFILTER", "/ETSI.CAdES.detached")
    legacy = rsa_then_sm2(pki, sm2_pki, seal)
    monkeypatch.undo()
    assert signature_dictionaries(legacy)["Seal2"]["/SubFilter"] == "/ETSI.CAdES.detached"

    report = verify_pdf(legacy, trust_roots=[pki.root_pem(), sm2_pki.root.der])

    assert report.all_valid, report.as_dict()
    assert [s.signature_format for s in report.signatures] == ["PAdES", GM_FORMAT]


def test_pdfsig_calls_the_sm2_signature_unknown_and_the_rsa_one_valid(
    mixed: bytes, nss_dir: str, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.pdf"
    path.write_bytes(mixed)

    rsa, sm2 = run_pdfsig(path, nss_dir)
    messages = subprocess.run(["pdfsig", "-nssdir", nss_dir, str(path)], capture_output=True, text=True).stderr

    assert rsa.says("Signature Validation: Signature is Valid.") and rsa.says("Certificate is Trusted."), rsa
    # before: "Signature Type: ETSI.CAdES.detached", "Unknown Validation Failure."
    assert sm2.says("Signature Type: unknown"), sm2
    assert sm2.says("Signature Validation: Signature has not yet been verified."), sm2
    assert "Unable to validate this type of signature" in messages, messages


PYHANKO_ALONE = """
import sys, logging
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
logging.basicConfig(level=logging.WARNING, format="%(message)s")
context = ValidationContext(trust_roots=[x509.Certificate.load(pem.unarmor(open(sys.argv[2], "rb").read())[2])])
reader = PdfFileReader(open(sys.argv[1], "rb"), strict=False)
for signature in reader.embedded_regular_signatures:
    status = validate_pdf_signature(signature, context)
    print(signature.field_name, status.intact and status.valid and status.trusted)
"""


def test_pyhanko_alone_skips_the_sm2_signature_as_unsupported_and_validates_the_rsa_one(
    mixed: bytes, pki: TestPki, tmp_path: Path
) -> None:
    """pyHanko without our GM hooks (a fresh interpreter that never imports inkseal)."""
    (tmp_path / "mixed.pdf").write_bytes(mixed)
    (tmp_path / "root.pem").write_bytes(pki.root_pem())

    result = subprocess.run(
        [sys.executable, "-c", PYHANKO_ALONE, "mixed.pdf", "root.pem"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Seal1", "True"]
    assert "unsupported SubFilter" in result.stderr and "/GM.sm2cms.detached" in result.stderr
