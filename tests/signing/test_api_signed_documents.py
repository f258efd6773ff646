"""The PDFs the signing API hands back, checked by independent validators: PAdES B-LT (revocation data in
the DSS), documents already carrying someone else's signature, and uploads Django spooled to disk."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from inkseal.pki.pem import armor
from inkseal.pki.services import certificate_chain
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.models import SignTask
from tests.helpers.signing_pki import TestPki, to_asn1
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, sign_through_api, text_pdf
from tests.signing.conftest import assert_qpdf_ok, run_pdfsig
from tests.signing.test_pdf import CORPUS, seal_at

pytestmark = pytest.mark.django_db(transaction=False)


def _our_root(signing: Signing) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate_chain(signing.certificate)[-1])


def _nss(tmp_path: Path, roots: list[bytes], untrusted: list[bytes]) -> str:
    """An NSS database trusting `roots` (DER); `untrusted` certificates known without trust."""
    directory = tmp_path / "nss"
    directory.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    for n, (der, trust) in enumerate([(d, "CT,C,C") for d in roots] + [(d, ",,") for d in untrusted]):
        pem = tmp_path / f"cert{n}.pem"
        pem.write_text(armor(der, "CERTIFICATE"))
        subprocess.run(
            ["certutil", "-A", "-d", f"sql:{directory}", "-n", f"cert{n}", "-t", trust, "-i", str(pem)], check=True
        )
    return f"sql:{directory}"


def test_b_lt_task_embeds_ocsp_responses_and_certificates(signing: Signing, tmp_path: Path) -> None:
    pdf = sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec(pades_level="B-LT"))

    reader = PdfFileReader(io.BytesIO(pdf))
    dss = DocumentSecurityStore.read_dss(reader)
    signer = signing.certificate
    responses = [asn1_ocsp.OCSPResponse.load(ref.get_object().data) for ref in dss.ocsps]
    answered = {
        single["cert_id"]["serial_number"].native
        for response in responses
        for single in response.basic_ocsp_response["tbs_response_data"]["responses"]
    }
    assert int(signer.serial, 16) in answered  # the signer's OCSP response
    assert len(answered) >= 2  # and the time-stamping authority's
    stored = {cert.sha256 for cert in dss.load_certs()}
    chain = [asn1_x509.Certificate.load(bytes(signer.der))] + [
        asn1_x509.Certificate.load(der) for der in certificate_chain(signer)
    ]
    assert {cert.sha256 for cert in chain} <= stored  # signer, issuing CA, root

    # pyHanko with only the revocation data the document carries, required for every certificate
    [signature] = reader.embedded_regular_signatures
    from_dss = dss.as_validation_context({"trust_roots": [_our_root(signing)], "revocation_mode": "require"})
    status = validate_pdf_signature(signature, from_dss, from_dss)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.revocation_details is None, status.pretty_print_details()
    timestamp = status.timestamp_validity
    assert timestamp is not None and timestamp.valid and timestamp.trusted, status.pretty_print_details()

    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    out = io.StringIO()
    call_command("verify", str(path), "--json", stdout=out)
    [report] = json.loads(out.getvalue())["signatures"]
    assert report["valid"] and report["pades_level"] == "B-LT" and report["revocation"] == "good", report
    assert_qpdf_ok(path)


def test_a_pre_signed_pdf_keeps_its_earlier_signature(
    signing: Signing, pki: TestPki, seal: Any, tmp_path: Path
) -> None:
    earlier = sign_pdf(
        text_pdf(), signer=pki.seal_signer(), placements=[seal_at(seal, y=600)], timestamper=pki.timestamper()
    )
    assert isinstance(earlier, bytes)

    pdf = sign_through_api(signing, [("countersigned.pdf", earlier)], signing.spec())

    assert pdf.startswith(earlier)  # an incremental update: the earlier bytes are untouched
    reader = PdfFileReader(io.BytesIO(pdf))
    first, ours = reader.embedded_regular_signatures
    theirs_context = ValidationContext(trust_roots=[to_asn1(pki.root)])
    ours_context = ValidationContext(trust_roots=[_our_root(signing)])
    for signature, context in ((first, theirs_context), (ours, ours_context)):
        status = validate_pdf_signature(signature, context, context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.docmdp_ok, status.pretty_print_details()
    assert first.signed_revision < ours.signed_revision

    path = tmp_path / "countersigned.pdf"
    path.write_bytes(pdf)
    nss = _nss(
        tmp_path,
        roots=[pki.root.public_bytes(Encoding.DER), certificate_chain(signing.certificate)[-1]],
        untrusted=[pki.signer_cert.public_bytes(Encoding.DER)],
    )
    earlier_sig, our_sig = run_pdfsig(path, nss)
    for signature in (earlier_sig, our_sig):
        assert signature.says("Signature Validation: Signature is Valid."), signature
    assert not earlier_sig.says("Total document signed")  # it covers its own revision only, still valid
    assert earlier_sig.says("Certificate Validation: Certificate is Trusted."), earlier_sig
    assert our_sig.says("Total document signed"), our_sig
    assert_qpdf_ok(path)


def test_a_spooled_upload_is_stored_and_signed_from_files(signing: Signing, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every upload goes to a temporary file
    original = text_pdf(pages=3)
    pdf = sign_through_api(signing, [("bid.pdf", original)], signing.spec())
    document = SignTask.objects.get().documents.get()
    with document.original.open("rb") as stored:
        assert stored.read() == original
    assert document.sha256_before == hashlib.sha256(original).hexdigest()
    assert document.sha256_after == hashlib.sha256(pdf).hexdigest() and pdf.startswith(original)
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    context = ValidationContext(trust_roots=[_our_root(signing)])
    status = validate_pdf_signature(signature, context, context)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()


def test_a_damaged_spooled_upload_is_repaired_in_a_copy(signing: Signing, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    document = (CORPUS / "002-trivial-libre-office-writer.pdf").read_bytes()
    startxref = document.rindex(b"startxref")
    offset = int(document[startxref + 9 :].split()[0])
    broken = document[:startxref] + b"startxref\n%d\n%%%%EOF\n" % (offset + 7)

    pdf = sign_through_api(signing, [("broken.pdf", broken)], signing.spec())

    stored = SignTask.objects.get().documents.get()
    with stored.original.open("rb") as handle:
        assert handle.read() == broken  # the original as uploaded, not the repaired copy
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    context = ValidationContext(trust_roots=[_our_root(signing)])
    assert validate_pdf_signature(signature, context, context).intact
