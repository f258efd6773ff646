"""Verification reports (验签): signer, certificate, times, seal picture, integrity, changes, trust,
revocation, PAdES level; and what happens when something is wrong."""

from __future__ import annotations

import io
import json

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.dss import DocumentSecurityStore

from inkseal.signing.core.errors import PdfEncrypted, PdfNotPdf
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, CrossPage, Placement
from inkseal.signing.core.verify import verify_pdf
from tests.helpers.signing_pki import make_test_pki
from tests.signing.conftest import CORPUS, CORPUS_PASSWORD, ENCRYPTED, red_count


@pytest.fixture(scope="module")
def sealed_twice(pki, seal) -> bytes:
    """公章 then a cross-page seal, B-T, the first certifying the document."""
    return sign_pdf(
        (CORPUS / "pdflatex-4-pages.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 400, 150)), Placement(seal, CrossPage())],
        timestamper=pki.timestamper(),
        docmdp=MDPPerm.FILL_FORMS,
    )


def lt_document(pki, seal, level: str) -> bytes:
    return sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        pades_level=level,
        timestamper=pki.timestamper(),
        validation_context=pki.validation_context(),
    )


def test_report_names_signer_certificate_ca_and_times(pki, sealed_twice):
    report = verify_pdf(sealed_twice, trust_roots=[pki.root])

    assert report.all_valid
    first, second = report.signatures
    assert (first.field_name, second.field_name) == ("Seal1", "Seal2")
    assert first.certificate.subject_cn == "测试科技有限公司"
    assert first.certificate.serial_hex == format(pki.signer_cert.serial_number, "x")
    assert first.certificate.issuer_cn == "Inkseal Test Issuing CA"
    assert first.signing_time is not None
    assert first.timestamp is not None and first.timestamp.valid and first.timestamp.tsa == "Inkseal Test TSA"
    assert abs((first.timestamp.time - first.signing_time).total_seconds()) < 60


def test_report_integrity_changes_and_docmdp(pki, sealed_twice):
    first, second = verify_pdf(sealed_twice, trust_roots=[pki.root]).signatures

    assert first.intact and first.trusted and first.valid
    assert first.certification and first.docmdp == "FILL_FORMS"
    assert first.changes.level == "form_filling" and first.changes.allowed
    assert first.changes.fields_changed == ("Seal2",)
    assert not first.changes.covers_whole_document
    assert not second.certification and second.docmdp is None
    assert second.changes.level == "none" and second.changes.covers_whole_document


def test_report_gives_back_the_seal_picture(pki, seal, sealed_twice):
    first, second = verify_pdf(sealed_twice, trust_roots=[pki.root]).signatures

    for report in (first, second):  # the cross-page seal gives the whole picture, not a slice
        picture = Image.open(io.BytesIO(report.seal_png))
        assert picture.size == (seal.encoded.width, seal.encoded.height)
        assert picture.mode == "RGBA"
        assert red_count(picture.convert("RGB")) > 1000
        assert report.seal_data_url.startswith("data:image/png;base64,")


@pytest.mark.parametrize(("level", "expected"), [("B-LT", "B-LT"), ("B-LTA", "B-LTA")])
def test_long_term_levels_and_revocation_from_the_dss(pki, seal, level, expected):
    report = verify_pdf(lt_document(pki, seal, level), trust_roots=[pki.root])

    signature = report.signatures[0]
    assert signature.pades_level == expected
    assert signature.revocation == "good"
    assert report.all_valid
    if level == "B-LTA":
        assert report.signatures[-1].kind == "document_timestamp" and report.signatures[-1].valid


def test_basic_levels(pki, seal):
    document = (CORPUS / "minimal-document.pdf").read_bytes()
    placements = [Placement(seal, AtPoint(1, 300, 300))]
    basic = sign_pdf(document, signer=pki.seal_signer(), placements=placements, pades_level="B-B")
    timestamped = sign_pdf(document, signer=pki.seal_signer(), placements=placements, timestamper=pki.timestamper())

    assert verify_pdf(basic, trust_roots=[pki.root]).signatures[0].pades_level == "B-B"
    assert verify_pdf(basic, trust_roots=[pki.root]).signatures[0].revocation == "unknown"
    assert verify_pdf(timestamped, trust_roots=[pki.root]).signatures[0].pades_level == "B-T"


def test_tampered_signed_bytes_are_reported(pki, sealed_twice):
    tampered = bytearray(sealed_twice)
    position = tampered.index(b"/Producer")
    tampered[position + 11] ^= 0x01

    report = verify_pdf(bytes(tampered), trust_roots=[pki.root])

    assert not report.all_valid
    assert all(not s.intact and not s.valid for s in report.signatures)
    assert "the signed content was changed" in report.signatures[0].problems


def test_content_changed_after_signing_is_reported(pki, seal):
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        pades_level="B-B",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = writer.find_page_for_modification(0)[0]
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 500 Td (PAID) Tj ET"))
    page = page_ref.get_object()
    page["/Contents"] = generic.ArrayObject([*_contents(page), extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)

    (signature,) = verify_pdf(out.getvalue(), trust_roots=[pki.root]).signatures

    assert signature.intact  # its own bytes are untouched...
    assert signature.changes.level == "other" and not signature.valid  # ...but the page was altered later


def _contents(page: generic.DictionaryObject) -> list[generic.PdfObject]:
    contents = page.raw_get("/Contents")
    return list(contents) if isinstance(contents, generic.ArrayObject) else [contents]


def test_untrusted_root(pki, sealed_twice):
    stranger = make_test_pki("ec")

    report = verify_pdf(sealed_twice, trust_roots=[stranger.root])

    assert not report.all_valid
    assert all(s.intact and not s.trusted for s in report.signatures)


def test_revoked_signer_found_in_the_dss(pki, seal):
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        timestamper=pki.timestamper(),
    )
    out = io.BytesIO(signed)
    DocumentSecurityStore.add_dss(
        out,
        sig_contents=None,
        ocsps=[asn1_ocsp.OCSPResponse.load(pki.ocsp_response(revoked=True))],
        crls=[asn1_crl.CertificateList.load(pki.crl("issuing", (pki.signer_cert,)))],
    )

    (signature,) = verify_pdf(out.getvalue(), trust_roots=[pki.root]).signatures

    assert signature.revocation == "revoked" and not signature.valid


def test_unsigned_document_is_not_valid(pki):
    report = verify_pdf((CORPUS / "minimal-document.pdf").read_bytes(), trust_roots=[pki.root])
    assert not report.all_valid and report.problems == ("the document has no signature",)


def test_encrypted_document_needs_the_password_to_verify(pki, seal):
    signed = sign_pdf(
        (CORPUS / ENCRYPTED).read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        pades_level="B-B",
        password=CORPUS_PASSWORD,
    )

    with pytest.raises(PdfEncrypted):
        verify_pdf(signed, trust_roots=[pki.root])
    report = verify_pdf(signed, trust_roots=[pki.root], password=CORPUS_PASSWORD)
    assert report.all_valid and report.signatures[0].seal_png


def test_not_a_pdf(pki):
    with pytest.raises(PdfNotPdf):
        verify_pdf(b"hello", trust_roots=[pki.root])


def test_report_is_json_for_the_api(pki, sealed_twice):
    body = json.loads(json.dumps(verify_pdf(sealed_twice, trust_roots=[pki.root]).as_dict()))

    assert body["all_valid"] is True
    first = body["signatures"][0]
    assert first["certificate"]["serial_hex"] == format(pki.signer_cert.serial_number, "x")
    assert first["seal_image"].startswith("data:image/png;base64,")
    assert first["changes"]["fields_changed"] == ["Seal2"]
    assert first["pades_level"] == "B-T"


def test_pem_trust_roots_are_accepted(pki, sealed_twice):
    assert verify_pdf(sealed_twice, trust_roots=[pki.root_pem()]).all_valid
