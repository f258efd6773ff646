"""The verification caches (signing.core.verify_cache) never change a verdict: with the caches warmed
by a valid signature, a revoked certificate, an expired one, a changed trust store, a modified
document and a different signer each still get their own verdict (#16)."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.sign.validation.dss import DocumentSecurityStore

from inkseal.signing.core import verify_cache
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.core.signer import SealSigner
from inkseal.signing.core.verify import verify_pdf
from tests.helpers.signing_pki import TestPki, make_test_pki
from tests.signing.conftest import CORPUS

ONE_PAGE = CORPUS / "minimal-document.pdf"


def _sign(signer: SealSigner, seal, **options) -> bytes:
    return sign_pdf(ONE_PAGE.read_bytes(), signer=signer, placements=[Placement(seal, AtPoint(1, 300, 300))], **options)


@pytest.fixture
def warm(pki, seal) -> bytes:
    """A valid signed document, verified twice so that every cache holds its certificates."""
    verify_cache.clear()
    signed = _sign(pki.seal_signer(), seal, timestamper=pki.timestamper())
    for _ in range(2):
        assert verify_pdf(signed, trust_roots=[pki.root]).all_valid
    sizes = verify_cache.sizes()
    assert sizes["paths"] == 1 and sizes["names"] > 0 and sizes["certificates"] >= 2
    return signed


def test_a_warm_cache_gives_the_same_report(pki, warm):
    verify_cache.clear()
    cold = verify_pdf(warm, trust_roots=[pki.root])
    hot = verify_pdf(warm, trust_roots=[pki.root])
    assert hot == cold and hot.all_valid


def test_revoked_certificate_in_the_dss_is_revoked_with_a_warm_cache(pki, warm):
    out = io.BytesIO(warm)
    DocumentSecurityStore.add_dss(
        out,
        sig_contents=None,
        ocsps=[asn1_ocsp.OCSPResponse.load(pki.ocsp_response(revoked=True))],
        crls=[asn1_crl.CertificateList.load(pki.crl("issuing", (pki.signer_cert,)))],
    )

    (signature,) = verify_pdf(out.getvalue(), trust_roots=[pki.root]).signatures

    assert signature.revocation == "revoked" and not signature.valid
    assert "the signer's certificate is revoked" in signature.problems


def test_changed_trust_store_is_untrusted_with_a_warm_cache(pki, warm):
    stranger = make_test_pki("rsa")  # same CA names, other keys

    report = verify_pdf(warm, trust_roots=[stranger.root])

    assert not report.all_valid and not report.signatures[0].trusted
    assert verify_pdf(warm, trust_roots=[]).signatures[0].trusted is False
    assert verify_pdf(warm, trust_roots=[pki.root]).all_valid  # and back


def test_modified_document_is_not_intact_with_a_warm_cache(pki, warm):
    tampered = bytearray(warm)
    position = tampered.index(b"/Producer")
    tampered[position + 11] ^= 0x01

    (signature,) = verify_pdf(bytes(tampered), trust_roots=[pki.root]).signatures

    assert not signature.intact and not signature.valid
    assert "the signed content was changed" in signature.problems


def test_different_signer_with_the_same_names_is_untrusted_with_a_warm_cache(pki, seal, warm):
    impostor = make_test_pki("rsa")  # "测试科技有限公司" under "Inkseal Test Issuing CA", other keys
    forged = _sign(impostor.seal_signer(), seal, timestamper=impostor.timestamper())

    (signature,) = verify_pdf(forged, trust_roots=[pki.root]).signatures

    assert signature.intact and not signature.trusted and not signature.valid
    assert signature.certificate.subject_cn == "测试科技有限公司"
    assert signature.certificate.serial_hex == format(impostor.signer_cert.serial_number, "x")


def _short_lived_signer(pki: TestPki, seconds: float) -> tuple[SealSigner, dt.datetime]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "短期证书有限公司")]))
        .issuer_name(pki.issuing.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(seconds=seconds))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.issuing_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(pki.issuing_key, hashes.SHA256())
    )
    return SealSigner.from_private_key(key, cert, pki.chain()), cert.not_valid_after_utc


def test_certificate_expired_since_the_cache_was_warmed_is_untrusted(pki, seal):
    verify_cache.clear()
    signer, not_after = _short_lived_signer(pki, seconds=3)
    signed = _sign(signer, seal, pades_level="B-B")
    assert verify_pdf(signed, trust_roots=[pki.root]).all_valid  # valid, and now cached
    assert verify_pdf(signed, trust_roots=[pki.root]).all_valid
    assert verify_cache.sizes()["paths"] == 1

    time.sleep(max(0.0, not_after.timestamp() - time.time()) + 1.1)
    (signature,) = verify_pdf(signed, trust_roots=[pki.root]).signatures

    assert not signature.trusted and not signature.valid


def test_caches_are_off_outside_verification(pki):
    """pyHanko used directly (the bench's baseline, other callers) compares names as it always did."""
    name = asn1_x509.Certificate.load(pki.signer_cert.public_bytes(serialization.Encoding.DER)).subject
    before = verify_cache.sizes()["names"]
    assert name == name.copy() and name.hashable
    assert verify_cache.sizes()["names"] == before
