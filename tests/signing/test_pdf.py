"""Sealing real PDFs: PAdES levels, successive seals, DocMDP, bad input; checked by pdfsig, qpdf and pyHanko."""

from __future__ import annotations

import io
import shutil

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from inkseal.pki import algorithms
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.errors import (
    PdfEncrypted,
    PdfLocked,
    PdfMalformed,
    PdfNotPdf,
    PdfTooLarge,
    PdfTooManyPages,
    PdfTruncated,
    SealImageInvalid,
    SignerCertificateInvalid,
    SignerUnsupported,
    TimestampFailed,
)
from inkseal.signing.core.geometry import MM
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, CrossPage, Placement
from inkseal.signing.core.signer import SealSigner
from tests.signing.conftest import (
    CORPUS,
    CORPUS_PASSWORD,
    ENCRYPTED,
    assert_pdfsig_valid,
    assert_pyhanko_valid,
    assert_qpdf_ok,
    corpus_names,
    make_hybrid_xref,
    pyhanko_statuses,
)

DAMAGED = "unreadablemetadata.pdf"  # wrong xref offsets and a page tree that no longer exists


def seal_at(seal: SealImage, page: int = 1, x: float = 300, y: float = 200, **kw: object) -> Placement:
    return Placement(seal, AtPoint(page, x, y), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [n for n in corpus_names() if n not in (ENCRYPTED, DAMAGED)])
def test_every_corpus_pdf_gets_a_valid_timestamped_seal(name, corpus_copy, pki, seal, nss_dir, tmp_path):
    original_path = corpus_copy(name)
    original = original_path.read_bytes()

    signed = sign_pdf(
        original,
        signer=pki.seal_signer(),
        placements=[seal_at(seal, show_date=True)],
        pades_level="B-T",
        timestamper=pki.timestamper(),
        reason="投标文件盖章",
        location="北京",
    )

    assert signed.startswith(original), "signing must append, never rewrite"
    (status,) = pyhanko_statuses(signed, pki)
    assert_pyhanko_valid(status)
    out = tmp_path / f"signed-{name}"
    out.write_bytes(signed)
    assert_pdfsig_valid(out, nss_dir, expected=1)
    assert_qpdf_ok(out, original=original_path)


def test_several_seals_are_successive_signatures_first_certifies(pki, seal, nss_dir, tmp_path):
    original = (CORPUS / "pdflatex-4-pages.pdf").read_bytes()
    placements = [seal_at(seal, 1, 400, 120), seal_at(seal, 2, 200, 300), Placement(seal, CrossPage())]

    signed = sign_pdf(
        original,
        signer=pki.seal_signer(),
        placements=placements,
        timestamper=pki.timestamper(),
        docmdp=MDPPerm.FILL_FORMS,
    )

    reader = PdfFileReader(io.BytesIO(signed))
    signatures = reader.embedded_regular_signatures
    assert [s.field_name for s in signatures] == ["Seal1", "Seal2", "Seal3"]
    assert [s.signed_revision for s in signatures] == [1, 2, 3]
    assert signatures[0].docmdp_level is MDPPerm.FILL_FORMS
    assert signatures[1].docmdp_level is None and signatures[2].docmdp_level is None
    for status in pyhanko_statuses(signed, pki):
        assert_pyhanko_valid(status)
    out = tmp_path / "three.pdf"
    out.write_bytes(signed)
    assert_pdfsig_valid(out, nss_dir, expected=3)
    assert_qpdf_ok(out)


def test_existing_signatures_stay_valid_and_new_ones_are_approvals(pki, seal, nss_dir, tmp_path):
    first = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[seal_at(seal)],
        pades_level="B-B",
    )

    second = sign_pdf(first, signer=pki.seal_signer(), placements=[seal_at(seal, y=500)], pades_level="B-B")

    assert second.startswith(first)
    statuses = pyhanko_statuses(second, pki)
    assert len(statuses) == 2
    for status in statuses:
        assert_pyhanko_valid(status, timestamped=False)
    fields = [s.field_name for s in PdfFileReader(io.BytesIO(second)).embedded_regular_signatures]
    assert fields == ["Seal1", "Seal2"]
    out = tmp_path / "twice.pdf"
    out.write_bytes(second)
    assert_pdfsig_valid(out, nss_dir, expected=2)


def test_b_lt_embeds_ocsp_crls_and_certificates_in_the_dss(pki, seal):
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[seal_at(seal), seal_at(seal, y=500)],
        pades_level="B-LT",
        timestamper=pki.timestamper(),
        validation_context=pki.validation_context(),
    )

    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed)))
    assert dss.ocsps and dss.crls and dss.certs
    for status in pyhanko_statuses(signed, pki, from_dss=True):  # revocation_mode="require"
        assert_pyhanko_valid(status)


def test_b_lta_adds_a_document_timestamp_after_the_dss(pki, seal, nss_dir, tmp_path):
    signed = sign_pdf(
        (CORPUS / "pdfkit.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[seal_at(seal)],
        pades_level="B-LTA",
        timestamper=pki.timestamper(),
        validation_context=pki.validation_context(),
    )

    reader = PdfFileReader(io.BytesIO(signed))
    (timestamp,) = reader.embedded_timestamp_signatures
    (signature,) = reader.embedded_regular_signatures
    assert timestamp.signed_revision > signature.signed_revision
    assert "/DSS" in reader.get_historical_resolver(timestamp.signed_revision).root
    for status in pyhanko_statuses(signed, pki, from_dss=True):
        assert_pyhanko_valid(status)
    out = tmp_path / "lta.pdf"
    out.write_bytes(signed)
    assert_pdfsig_valid(out, nss_dir, expected=1, last_covers_all=False)


def test_ecdsa_p256_signer(ec_pki, seal):
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=ec_pki.seal_signer(),
        placements=[seal_at(seal)],
        timestamper=ec_pki.timestamper(),
    )

    (status,) = pyhanko_statuses(signed, ec_pki)
    assert_pyhanko_valid(status)
    assert status.signing_cert.public_key.algorithm == "ec"


def test_seal_is_true_size_on_paper(pki, seal):
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[seal_at(seal, x=300, y=200)],
        pades_level="B-B",
    )

    field = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0].sig_field
    x0, y0, x1, y1 = (float(v) for v in field["/Rect"])
    assert x1 - x0 == pytest.approx(42 * MM, abs=0.01)  # 42 mm = 119.06 pt
    assert y1 - y0 == pytest.approx(42 * MM, abs=0.01)
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((300, 200), abs=0.01)


def test_approval_signatures_by_default_certification_when_asked(pki, seal):
    document = (CORPUS / "minimal-document.pdf").read_bytes()
    kwargs = {"signer": pki.seal_signer(), "placements": [seal_at(seal)], "pades_level": "B-B"}

    approval = PdfFileReader(io.BytesIO(sign_pdf(document, **kwargs)))
    certified = PdfFileReader(io.BytesIO(sign_pdf(document, docmdp=MDPPerm.FILL_FORMS, **kwargs)))

    assert "/Perms" not in approval.root
    assert approval.embedded_regular_signatures[0].docmdp_level is None
    assert "/DocMDP" in certified.root["/Perms"]
    assert certified.embedded_regular_signatures[0].docmdp_level is MDPPerm.FILL_FORMS


def test_no_changes_certification_refuses_further_seals(pki, seal):
    locked = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[seal_at(seal)],
        pades_level="B-B",
        docmdp=MDPPerm.NO_CHANGES,
    )

    with pytest.raises(PdfLocked) as raised:
        sign_pdf(locked, signer=pki.seal_signer(), placements=[seal_at(seal, y=500)], pades_level="B-B")
    assert raised.value.code == "pdf_locked"


def test_cross_page_seal_refused_on_a_document_certified_against_annotations(pki, seal):
    certified = sign_pdf(
        (CORPUS / "pdflatex-4-pages.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[seal_at(seal)],
        pades_level="B-B",
        docmdp=MDPPerm.FILL_FORMS,
    )

    with pytest.raises(PdfLocked) as raised:
        sign_pdf(certified, signer=pki.seal_signer(), placements=[Placement(seal, CrossPage())], pades_level="B-B")
    assert raised.value.code == "pdf_locked_for_annotations"


def test_encrypted_pdf_needs_its_password(pki, seal, corpus_copy, nss_dir, tmp_path):
    encrypted = corpus_copy(ENCRYPTED).read_bytes()
    kwargs = {"signer": pki.seal_signer(), "placements": [seal_at(seal)], "pades_level": "B-B"}

    with pytest.raises(PdfEncrypted) as missing:
        sign_pdf(encrypted, **kwargs)
    with pytest.raises(PdfEncrypted) as wrong:
        sign_pdf(encrypted, password="guess", **kwargs)
    signed = sign_pdf(encrypted, password=CORPUS_PASSWORD, **kwargs)

    assert missing.value.code == "pdf_encrypted"
    assert wrong.value.code == "pdf_password_wrong"
    assert signed.startswith(encrypted)
    (status,) = pyhanko_statuses(signed, pki, password=CORPUS_PASSWORD)
    assert_pyhanko_valid(status, timestamped=False)
    out = tmp_path / "encrypted-signed.pdf"
    out.write_bytes(signed)
    assert_pdfsig_valid(out, nss_dir, expected=1, password=CORPUS_PASSWORD)
    assert_qpdf_ok(out, password=CORPUS_PASSWORD)


def test_hybrid_xref_pdf(pki, seal, nss_dir, tmp_path):
    hybrid = make_hybrid_xref((CORPUS / "002-trivial-libre-office-writer.pdf").read_bytes())
    assert PdfFileReader(io.BytesIO(hybrid), strict=False).xrefs.hybrid_xrefs_present

    signed = sign_pdf(hybrid, signer=pki.seal_signer(), placements=[seal_at(seal)], timestamper=pki.timestamper())

    assert signed.startswith(hybrid)
    # pyHanko's strict mode refuses to validate anything in hybrid-reference files, by policy
    (status,) = pyhanko_statuses(signed, pki, strict=False)
    assert_pyhanko_valid(status)
    out = tmp_path / "hybrid-signed.pdf"
    out.write_bytes(signed)
    assert_pdfsig_valid(out, nss_dir, expected=1)
    assert_qpdf_ok(out)


def test_file_to_file_signing_streams_into_the_output(pki, seal, tmp_path):
    source = tmp_path / "in.pdf"
    shutil.copyfile(CORPUS / "GeoTopo-komprimiert.pdf", source)

    with open(tmp_path / "out.pdf", "w+b") as output:
        result = sign_pdf(
            source, signer=pki.seal_signer(), placements=[seal_at(seal)], pades_level="B-B", output=output
        )
        assert result is output

    signed = (tmp_path / "out.pdf").read_bytes()
    assert signed.startswith(source.read_bytes())
    (status,) = pyhanko_statuses(signed, pki)
    assert_pyhanko_valid(status, timestamped=False)


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (b"", PdfNotPdf, "pdf_not_pdf"),
        (b"PK\x03\x04 this is a zip file", PdfNotPdf, "pdf_not_pdf"),
        ((CORPUS / "minimal-document.pdf").read_bytes()[:9000], PdfTruncated, "pdf_truncated"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n", PdfMalformed, "pdf_malformed"),
    ],
    ids=["empty", "zip", "truncated", "no-xref"],
)
def test_bad_input_is_refused_with_a_stable_code(pki, seal, data, error, code):
    with pytest.raises(error) as raised:
        sign_pdf(data, signer=pki.seal_signer(), placements=[seal_at(seal)], pades_level="B-B")
    assert raised.value.code == code


def test_page_and_size_limits(pki, seal):
    four_pages = (CORPUS / "pdflatex-4-pages.pdf").read_bytes()
    kwargs = {"signer": pki.seal_signer(), "placements": [seal_at(seal)], "pades_level": "B-B"}

    with pytest.raises(PdfTooManyPages) as pages:
        sign_pdf(four_pages, max_pages=3, **kwargs)
    with pytest.raises(PdfTooLarge) as size:
        sign_pdf(four_pages, max_bytes=1000, **kwargs)

    assert (pages.value.code, size.value.code) == ("pdf_too_many_pages", "pdf_too_large")
    assert pages.value.details == {"pages": 4, "limit": 3}


def test_wrong_xref_offset_is_repaired_before_signing(pki, seal):
    document = (CORPUS / "002-trivial-libre-office-writer.pdf").read_bytes()
    startxref = document.rindex(b"startxref")
    offset = int(document[startxref + 9 :].split()[0])
    broken = document[:startxref] + b"startxref\n%d\n%%%%EOF\n" % (offset + 7)
    kwargs = {"signer": pki.seal_signer(), "placements": [seal_at(seal)], "pades_level": "B-B"}

    with pytest.raises(PdfMalformed):
        sign_pdf(broken, repair=False, **kwargs)
    signed = sign_pdf(broken, **kwargs)

    (status,) = pyhanko_statuses(signed, pki)
    assert_pyhanko_valid(status, timestamped=False)


def test_damaged_corpus_pdf_is_refused(pki, seal):
    with pytest.raises(PdfMalformed) as raised:
        sign_pdf(
            (CORPUS / DAMAGED).read_bytes(), signer=pki.seal_signer(), placements=[seal_at(seal)], pades_level="B-B"
        )
    assert raised.value.code == "pdf_malformed"


def test_revoked_signer_is_refused_when_a_validation_context_is_given(pki, seal):
    with pytest.raises(SignerCertificateInvalid) as raised:
        sign_pdf(
            (CORPUS / "minimal-document.pdf").read_bytes(),
            signer=pki.seal_signer(),
            placements=[seal_at(seal)],
            pades_level="B-LT",
            timestamper=pki.timestamper(),
            validation_context=pki.validation_context(revoked=True),
        )
    assert raised.value.code == "signer_certificate_invalid"


def test_levels_need_their_services(pki, seal):
    document = (CORPUS / "minimal-document.pdf").read_bytes()
    with pytest.raises(ValueError, match="timestamper"):
        sign_pdf(document, signer=pki.seal_signer(), placements=[seal_at(seal)], pades_level="B-T")
    with pytest.raises(ValueError, match="validation context"):
        sign_pdf(
            document,
            signer=pki.seal_signer(),
            placements=[seal_at(seal)],
            pades_level="B-LT",
            timestamper=pki.timestamper(),
        )


def test_signature_contents_reservation_is_tight_and_sufficient(pki, seal):
    signer = pki.seal_signer()
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=signer,
        placements=[seal_at(seal)],
        timestamper=pki.timestamper(),
    )

    sig = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0]
    reserved = (sig.byte_range[2] - sig.byte_range[1] - 2) // 2
    assert len(sig.pkcs7_content) <= reserved <= len(sig.pkcs7_content) + 600


def test_pdfa1_gets_a_hard_mask_other_files_a_soft_mask(pki, seal):
    placements = [seal_at(seal)]
    pdfa = (CORPUS / "crazyones-pdfa.pdf").read_bytes()
    plain = (CORPUS / "pdfkit.pdf").read_bytes()

    sealed_pdfa = sign_pdf(pdfa, signer=pki.seal_signer(), placements=placements, pades_level="B-B")
    sealed_plain = sign_pdf(plain, signer=pki.seal_signer(), placements=placements, pades_level="B-B")

    update_pdfa, update_plain = sealed_pdfa[len(pdfa) :], sealed_plain[len(plain) :]
    assert b"/SMask" not in update_pdfa and b"/Mask" in update_pdfa  # PDF/A-1 forbids soft masks
    assert b"/SMask" in update_plain


def test_time_stamping_failure_is_reported(pki, seal):
    class DownTsa(TimeStamper):
        async def async_request_tsa_response(self, req):
            raise OSError("connection refused")

    with pytest.raises(TimestampFailed) as raised:
        sign_pdf(
            (CORPUS / "minimal-document.pdf").read_bytes(),
            signer=pki.seal_signer(),
            placements=[seal_at(seal)],
            timestamper=DownTsa(),
        )
    assert raised.value.code == "timestamp_failed"


def test_unreadable_seal_picture(pki):
    with pytest.raises(SealImageInvalid) as raised:
        sign_pdf(
            (CORPUS / "minimal-document.pdf").read_bytes(),
            signer=pki.seal_signer(),
            placements=[seal_at(SealImage(b"not a png", 42))],
            pades_level="B-B",
        )
    assert raised.value.code == "seal_image_invalid"


def test_keystore_handles_from_inkseal_pki(pki, seal):
    pkcs8 = pki.signer_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    handle = algorithms.RSA_2048.load_soft_key(pkcs8)

    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=SealSigner(handle, pki.signer_cert, pki.chain()),
        placements=[seal_at(seal)],
        pades_level="B-B",
    )

    (status,) = pyhanko_statuses(signed, pki)
    assert_pyhanko_valid(status, timestamped=False)
    with pytest.raises(SignerUnsupported):
        SealSigner(algorithms.ECDSA_P256.generate_soft_key(), pki.signer_cert, pki.chain())


def test_signing_logs_no_pyhanko_layout_warning(pki, seal, caplog):
    """Neither Inkseal's seal nor the benches' pyHanko reference stamp makes pyHanko's layout code
    complain ("Content box width/height 109.00000000000001 is too wide for container size 119")."""
    import logging

    from bench.signing_bench import pyhanko_sign, reference_style, simple_signer
    from tests.signing.conftest import red_seal_png

    pdf = (CORPUS / "minimal-document.pdf").read_bytes()
    with caplog.at_level(logging.WARNING):
        sign_pdf(pdf, signer=pki.seal_signer(), placements=[seal_at(seal, show_date=True)], pades_level="B-B")
        pyhanko_sign(pdf, simple_signer(pki), reference_style(red_seal_png(420)), None)
    pyhanko = [r.getMessage() for r in caplog.records if r.name.startswith("pyhanko")]
    assert not pyhanko, pyhanko
