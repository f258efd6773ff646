"""SM2 (国密) PDF signatures: GM/T 0010 CMS with SM3 and SM2-with-SM3, our TSA's SM3 imprint, and the
same verification report as RSA/ECDSA; then through the signing API and POST /api/v1/verify.

Independent checks: the CMS is read with asn1crypto, the byte-range digest recomputed with
hashlib's SM3 and the raw signature verified with the OpenSSL 3 command line (SM2 with the
default user ID). poppler's pdfsig does not know SM2, so it is not asked.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms as asn1_cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import AlgorithmNotSupported
from pyhanko_certvalidator.sig_validate import SignatureValidationContext

from inkseal.core.acting import Acting
from inkseal.pki.algorithms import SM2, new_hash
from inkseal.pki.models import Certificate
from inkseal.pki.services import certificate_chain, revoke_certificate, signing_key_for
from inkseal.seals.models import SealType
from inkseal.signing.core.cms import CmsTemplate
from inkseal.signing.core.errors import SignerCertificateInvalid
from inkseal.signing.core.gmcms import SIGNATURE_VALIDATOR, GmSignatureValidator, collect_signatures
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, CrossPage, Placement
from inkseal.signing.core.signer import SealSigner, SignatureAlgorithm
from inkseal.signing.core.verify import verify_pdf
from inkseal.signing.tasks.timestamper import platform_timestamper, reserve_serials
from tests.helpers.signing_pki import to_asn1
from tests.helpers.sm2_pki import Sm2TestPki, issue_sm2_signer, make_sm2_test_pki
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401
from tests.signing.api_support import (
    ACTOR,
    Signing,
    confirm_token,
    make_signing,
    signing_media,  # noqa: F401
    sms_code,
)
from tests.signing.conftest import CORPUS

GM_SIGNED_DATA = "1.2.156.10197.6.1.4.2.2"
GM_DATA = "1.2.156.10197.6.1.4.2.1"
SM3 = "1.2.156.10197.1.401"
SM2_WITH_SM3 = "1.2.156.10197.1.501"
COMPANY = "国密测试科技有限公司"


@pytest.fixture(scope="module")
def sm2_pki() -> Sm2TestPki:
    return make_sm2_test_pki(COMPANY)


@pytest.fixture(scope="module")
def sealed(sm2_pki: Sm2TestPki, seal: Any) -> bytes:
    """A 公章 and a cross-page seal on a four-page corpus PDF, B-T with the SM2 TSA."""
    signed = sign_pdf(
        (CORPUS / "pdflatex-4-pages.pdf").read_bytes(),
        signer=sm2_pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 400, 150)), Placement(seal, CrossPage())],
        timestamper=sm2_pki.timestamper(),
    )
    assert isinstance(signed, bytes)
    return signed


def sign_one(pki: Sm2TestPki, seal: Any, level: str = "B-T", **options: Any) -> bytes:
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=options.pop("signer", None) or pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        pades_level=level,
        timestamper=options.pop("timestamper", None) or pki.timestamper(),
        **options,
    )
    assert isinstance(signed, bytes)
    return signed


def signer_info(pdf: bytes, index: int = 0) -> tuple[Any, Any]:
    """(ContentInfo, the EmbeddedPdfSignature) of the index-th signature."""
    sig = collect_signatures(PdfFileReader(io.BytesIO(pdf)))[index]
    return asn1_cms.ContentInfo.load(sig.pkcs7_content), sig


def tampered(pdf: bytes) -> bytes:
    copy = bytearray(pdf)
    position = copy.index(b"/Producer")
    copy[position + 11] ^= 0x01
    return bytes(copy)


# --- pure: signing and the report --------------------------------------------------------------


def test_sm2_certificate_selects_sm2_with_sm3(sm2_pki: Sm2TestPki) -> None:
    signer = sm2_pki.seal_signer()
    assert signer.algorithm is SignatureAlgorithm.SM2_SM3
    assert signer.digest_algorithm == "sm3"


def test_sm2_seals_round_trip_with_the_full_report(sm2_pki: Sm2TestPki, sealed: bytes) -> None:
    report = verify_pdf(sealed, trust_roots=[sm2_pki.root.der])

    assert report.all_valid, report.as_dict()
    first, second = report.signatures
    for signature in (first, second):
        assert signature.intact and signature.trusted and signature.valid
        assert signature.certificate is not None and signature.certificate.subject_cn == COMPANY
        assert signature.certificate.serial_hex == format(sm2_pki.signer_cert.serial, "x")
        assert signature.certificate.issuer_cn == "Inkseal SM2 Test SM2 Issuing CA"
        assert signature.signature_format == "GM/T 0010 (SM2) detached" and signature.pades_level is None
        assert signature.level == "B-T"
        assert signature.timestamp is not None and signature.timestamp.valid
        assert signature.timestamp.tsa == "Inkseal SM2 Test Time Stamping Authority"
        assert signature.seal_png is not None
    assert first.changes.level == "form_filling" and first.changes.fields_changed == ("Seal2",)
    assert second.changes.level == "none" and second.changes.covers_whole_document


def test_cms_carries_the_gm_t_0010_identifiers(sm2_pki: Sm2TestPki, sealed: bytes) -> None:
    content_info, sig = signer_info(sealed)
    signed_data = content_info["content"]
    (info,) = signed_data["signer_infos"]
    attributes = {attr["type"].dotted: attr["values"][0] for attr in info["signed_attrs"]}

    assert content_info["content_type"].dotted == GM_SIGNED_DATA
    assert signed_data["encap_content_info"]["content_type"].dotted == GM_DATA
    assert signed_data["encap_content_info"]["content"].native is None  # detached
    assert [a["algorithm"].dotted for a in signed_data["digest_algorithms"]] == [SM3]
    assert info["digest_algorithm"]["algorithm"].dotted == SM3
    assert info["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
    assert info["signature_algorithm"]["parameters"].native is None  # absent, GM/T 0015
    assert attributes["1.2.840.113549.1.9.3"].dotted == GM_DATA  # content-type attribute
    # the byte range digested with SM3, recomputed independently (hashlib's OpenSSL)
    start, length, start2, length2 = sig.byte_range
    covered = sealed[start : start + length] + sealed[start2 : start2 + length2]
    assert attributes["1.2.840.113549.1.9.4"].native == new_hash("sm3", covered).digest()
    (cert_id,) = attributes["1.2.840.113549.1.9.16.2.47"]["certs"]
    assert cert_id["hash_algorithm"]["algorithm"].dotted == SM3
    assert cert_id["cert_hash"].native == new_hash("sm3", sm2_pki.signer_cert.der).digest()


def test_pkcs7_wrapped_sm2_cms_verifies_too(sm2_pki: Sm2TestPki, seal: Any) -> None:
    """BouncyCastle's CMS generator writes SM2/SM3 under the PKCS #7 content types: accepted as well."""
    signer = sm2_pki.seal_signer()
    chain = [c.asn1 for c in (sm2_pki.issuing, sm2_pki.root)]
    mechanism = SignatureAlgorithm.SM2_SM3.mechanism
    signer.template = CmsTemplate.build(sm2_pki.signer_cert.asn1, chain, mechanism, digest="sm3", gm=False)
    signed = sign_one(sm2_pki, seal, signer=signer)

    content_info, _ = signer_info(signed)
    assert content_info["content_type"].dotted == "1.2.840.113549.1.7.2"
    assert content_info["content"]["encap_content_info"]["content_type"].dotted == "1.2.840.113549.1.7.1"
    assert verify_pdf(signed, trust_roots=[sm2_pki.root.der]).all_valid


def test_raw_sm2_signature_verifies_with_openssl(sm2_pki: Sm2TestPki, sealed: bytes, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    content_info, _ = signer_info(sealed)
    (info,) = content_info["content"]["signer_infos"]
    (tmp_path / "attrs.der").write_bytes(info["signed_attrs"].untag().dump())  # the SET that was signed
    (tmp_path / "sig.der").write_bytes(info["signature"].native)
    (tmp_path / "signer.pem").write_text(sm2_pki.signer_cert.pem())

    def dgst(*extra: str) -> subprocess.CompletedProcess[str]:
        subprocess.run(
            ["openssl", "x509", "-in", "signer.pem", "-pubkey", "-noout", "-out", "pub.pem"], cwd=tmp_path, check=True
        )
        command = ["openssl", "dgst", "-sm3", "-verify", "pub.pem", "-signature", "sig.der", *extra, "attrs.der"]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)

    assert "Verified OK" in dgst("-sigopt", "distid:1234567812345678").stdout
    assert dgst().returncode != 0  # OpenSSL's default (empty) ID: so Z_A really is in the signed digest


def test_signature_time_stamp_is_over_sm3_of_the_signature(sealed: bytes) -> None:
    content_info, _ = signer_info(sealed)
    (info,) = content_info["content"]["signer_infos"]
    (token_attr,) = [a for a in info["unsigned_attrs"] if a["type"].dotted == "1.2.840.113549.1.9.16.2.14"]
    token = token_attr["values"][0]
    tst_info = asn1_tsp.TSTInfo.load(token["content"]["encap_content_info"]["content"].parsed.dump())
    imprint = tst_info["message_imprint"]
    (tsa_info,) = token["content"]["signer_infos"]

    assert imprint["hash_algorithm"]["algorithm"].dotted == SM3
    assert imprint["hashed_message"].native == new_hash("sm3", info["signature"].native).digest()
    assert tsa_info["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3  # the SM2 TSA's own key


def test_international_tsa_with_an_sm3_imprint(sm2_pki: Sm2TestPki, pki: Any, seal: Any) -> None:
    """An SM2 seal time-stamped by a non-SM2 TSA (imprint SM3) still verifies when both roots are
    trusted; the platform itself stamps SM2 signatures with its SM2 TSA (tests/signing/test_gm_trust.py)."""
    signed = sign_one(sm2_pki, seal, timestamper=pki.timestamper())

    report = verify_pdf(signed, trust_roots=[sm2_pki.root.der, pki.root_pem()])

    (signature,) = report.signatures
    assert signature.valid and signature.timestamp is not None and signature.timestamp.valid
    assert signature.timestamp.tsa == "Inkseal Test TSA"


def test_tampered_document_fails_integrity(sm2_pki: Sm2TestPki, sealed: bytes) -> None:
    report = verify_pdf(tampered(sealed), trust_roots=[sm2_pki.root.der])

    assert not report.all_valid
    assert all(not s.intact and not s.valid for s in report.signatures)
    assert "the signed content was changed" in report.signatures[0].problems


def test_forged_signature_value_fails(sm2_pki: Sm2TestPki, seal: Any) -> None:
    signed = sign_one(sm2_pki, seal, level="B-B")
    content_info, _ = signer_info(signed)
    signature = content_info["content"]["signer_infos"][0]["signature"].native
    position = signed.upper().index(signature.hex().upper().encode())  # /Contents is hex, outside the byte range
    forged = bytearray(signed)
    forged[position + 20 : position + 22] = b"00" if forged[position + 20 : position + 22] != b"00" else b"11"

    (report,) = verify_pdf(bytes(forged), trust_roots=[sm2_pki.root.der]).signatures

    assert not report.intact and not report.valid
    assert "the cryptographic signature does not verify" in report.problems


def test_untrusted_without_the_sm2_root(sealed: bytes, pki: Any) -> None:
    report = verify_pdf(sealed, trust_roots=[pki.root_pem()])

    assert not report.all_valid
    assert all(s.intact and not s.trusted for s in report.signatures)


@pytest.mark.parametrize("level", ["B-LT", "B-LTA"])
def test_long_term_levels_with_sm2_crls_and_ocsp(sm2_pki: Sm2TestPki, seal: Any, level: str) -> None:
    signed = sign_one(sm2_pki, seal, level=level, validation_context=sm2_pki.validation_context())

    report = verify_pdf(signed, trust_roots=[sm2_pki.root.der])

    signature = report.signatures[0]
    assert signature.level == level and signature.pades_level is None and signature.revocation == "good"
    assert report.all_valid


def test_revoked_signer_is_reported_revoked(sm2_pki: Sm2TestPki, seal: Any) -> None:
    key, certificate = issue_sm2_signer(sm2_pki.issuing_ca, "吊销测试有限公司")
    signer = SealSigner(key, certificate.der, sm2_pki.chain())
    out = io.BytesIO(sign_one(sm2_pki, seal, signer=signer))
    DocumentSecurityStore.add_dss(  # the SM2 CA's CRL and OCSP answer, both saying revoked
        out,
        sig_contents=None,
        ocsps=[asn1_ocsp.OCSPResponse.load(sm2_pki.ocsp_response(certificate, revoked=True))],
        crls=[asn1_crl.CertificateList.load(sm2_pki.crl("issuing", [certificate]))],
    )

    (signature,) = verify_pdf(out.getvalue(), trust_roots=[sm2_pki.root.der]).signatures

    assert signature.intact and signature.revocation == "revoked" and not signature.valid
    assert "the signer's certificate is revoked" in signature.problems


def test_revoked_signer_is_refused_at_b_lt(sm2_pki: Sm2TestPki, seal: Any) -> None:
    with pytest.raises(SignerCertificateInvalid):
        sign_one(sm2_pki, seal, level="B-LT", validation_context=sm2_pki.validation_context(revoked=True))


def test_rsa_and_sm2_seals_on_one_document(sm2_pki: Sm2TestPki, pki: Any, seal: Any) -> None:
    rsa_sealed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 150, 300))],
        timestamper=pki.timestamper(),
    )
    both = sign_pdf(
        rsa_sealed,
        signer=sm2_pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 400, 300))],
        timestamper=sm2_pki.timestamper(),
    )

    report = verify_pdf(both, trust_roots=[pki.root_pem(), sm2_pki.root.der])

    assert report.all_valid
    assert [s.certificate.issuer_cn for s in report.signatures if s.certificate] == [
        "Inkseal Test Issuing CA",
        "Inkseal SM2 Test SM2 Issuing CA",
    ]


# --- pure: the validator hook ------------------------------------------------------------------


def test_plain_validation_contexts_verify_sm2_chains(sm2_pki: Sm2TestPki) -> None:
    """pyhanko-certvalidator makes contexts of its own (delegated OCSP responders): they verify SM2 too."""
    context = ValidationContext(
        trust_roots=[sm2_pki.root.asn1],
        crls=[sm2_pki.crl("root"), sm2_pki.crl("issuing")],
        ocsps=[sm2_pki.ocsp_response()],
        revocation_mode="require",
    )
    validator = CertificateValidator(
        sm2_pki.signer_cert.asn1, intermediate_certs=[sm2_pki.issuing.asn1], validation_context=context
    )
    path = asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    assert path.pkix_len == 2


def test_validator_keeps_sm2_to_sm2(sm2_pki: Sm2TestPki, pki: Any) -> None:
    validator = GmSignatureValidator()
    signer_cert = sm2_pki.signer_cert.asn1
    issuing = sm2_pki.issuing.asn1
    tbs, signature = signer_cert["tbs_certificate"].dump(), signer_cert["signature_value"].native
    algorithm = signer_cert["signature_algorithm"]

    validator.validate_signature(signature, tbs, issuing.public_key, algorithm)
    with pytest.raises(InvalidSignature):
        validator.validate_signature(signature, tbs + b"x", issuing.public_key, algorithm)
    with pytest.raises(AlgorithmNotSupported):  # an SM2 signature against an RSA key
        validator.validate_signature(signature, tbs, to_asn1(pki.root).public_key, algorithm)
    with pytest.raises(AlgorithmNotSupported):  # Z_A cannot be added to a precomputed digest
        digest = new_hash("sm3", tbs).digest()
        validator.validate_signature(
            signature, digest, issuing.public_key, algorithm, SignatureValidationContext("sm3", prehashed=True)
        )


def test_shared_validator_is_the_gm_one() -> None:
    assert isinstance(SIGNATURE_VALIDATOR, GmSignatureValidator)


# --- Django: the signing API and POST /api/v1/verify ---------------------------------------------


@pytest.fixture
def sm2_signing(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Signing:  # noqa: F811
    """An enterprise with an SM2 cloud certificate (our root-sm2 → issuing-sm2), bound seals and
    a trading platform authorised to use it."""
    return make_signing(
        verified_person,
        verified_enterprise,
        algorithm=SM2,
        company=COMPANY,
        seal_kinds=(SealType.OFFICIAL,),
        platform_name="国密交易平台",
        platform_code="sm2platform",
        callback_url="",
    )


def sign_through_the_api(signing: Signing, level: str) -> bytes:
    token = signing.token()
    created = signing.create(spec=signing.spec(pades_level=level, callback_url=""), token=token)
    assert created.status_code == 201, created.content
    body = created.json()
    code_token = confirm_token(body["confirm_url"])
    assert signing.client.post(f"/api/v1/confirm/{code_token}/code").status_code == 200
    confirmed = signing.client.post(
        f"/api/v1/confirm/{code_token}",
        {"method": "sms", "code": sms_code(signing.client)},
        content_type="application/json",
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "completed", confirmed.content
    download = signing.client.get(f"/api/v1/sign-tasks/{body['id']}/documents/1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert download.status_code == 200
    return b"".join(download.streaming_content)  # type: ignore[attr-defined]


def post_verify(pdf: bytes) -> dict[str, Any]:
    response = Client().post("/api/v1/verify", {"file": SimpleUploadedFile("signed.pdf", pdf, "application/pdf")})
    assert response.status_code == 200, response.content
    return dict(response.json())


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["B-T", "B-LT"])
def test_sm2_sign_task_is_valid_in_the_verify_api(sm2_signing: Signing, level: str) -> None:
    pdf = sign_through_the_api(sm2_signing, level)

    content_info, _ = signer_info(pdf)
    assert content_info["content_type"].dotted == GM_SIGNED_DATA
    body = post_verify(pdf)
    assert body["all_valid"] is True, json.dumps(body, ensure_ascii=False)[:2000]
    (signature,) = body["signatures"]
    certificate = sm2_signing.certificate
    assert signature["signer"] == certificate.common_name
    assert signature["certificate"]["serial_hex"] == certificate.serial
    assert signature["ca"]["issued_here"] is True and signature["ca"]["organization"] == certificate.ca_name
    assert signature["trusted"] and signature["intact"] and signature["revocation"] == "good"
    assert signature["signature_format"] == "GM/T 0010 (SM2) detached" and signature["level"] == level
    assert signature["pades_level"] is None  # GM/T 0010 SignedData is not PAdES
    assert signature["timestamp"]["valid"] is True
    assert signature["seal_image"].startswith("data:image/png;base64,")
    # the platform's SM2 TSA time-stamped SM3 of the SM2 signature value
    (info,) = content_info["content"]["signer_infos"]
    token = next(a for a in info["unsigned_attrs"] if a["type"].dotted == "1.2.840.113549.1.9.16.2.14")["values"][0]
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hash_algorithm"]["algorithm"].dotted == SM3
    root = asn1_x509.Certificate.load(certificate_chain(certificate)[-1])  # trusted: our SM2 root
    assert SignatureAlgorithm.for_certificate(root) is SignatureAlgorithm.SM2_SM3


@pytest.mark.django_db
def test_verify_page_names_sm2_signatures_gm_t_0010_not_pades(sm2_signing: Signing) -> None:
    pdf = sign_through_the_api(sm2_signing, "B-T")

    response = Client().post("/verify/", {"file": SimpleUploadedFile("投标文件.pdf", pdf, "application/pdf")})

    page = response.content.decode()
    assert response.status_code == 200
    assert "GM/T 0010 (SM2) detached · B-T" in page
    assert "PAdES" not in page.split('id="verify-ses-link"')[0].split("sig-facts")[1]


@pytest.mark.django_db
def test_tampered_sm2_document_fails_in_the_verify_api(sm2_signing: Signing) -> None:
    body = post_verify(tampered(sign_through_the_api(sm2_signing, "B-T")))

    (signature,) = body["signatures"]
    assert body["all_valid"] is False and signature["intact"] is False
    assert "签名后文档内容被修改，签名范围内的数据已不完整。" in signature["messages"]


@pytest.mark.django_db
def test_revoked_sm2_certificate_is_reported_revoked(sm2_signing: Signing, seal: Any) -> None:
    certificate: Certificate = sm2_signing.certificate
    key = signing_key_for(certificate)
    reserve_serials(4)
    signed = sign_pdf(
        (CORPUS / "minimal-document.pdf").read_bytes(),
        signer=SealSigner(key.signer, key.certificate_der, key.chain),
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        pades_level="B-B",
        timestamper=platform_timestamper(SM2.family),
    )
    assert isinstance(signed, bytes)
    revoke_certificate(certificate, reason=1, acting=Acting(ACTOR))

    body = post_verify(signed)

    (signature,) = body["signatures"]
    assert signature["revocation"] == "revoked" and signature["valid"] is False and body["all_valid"] is False
    assert "签名证书已吊销。" in signature["messages"]
