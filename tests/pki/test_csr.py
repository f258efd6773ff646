"""PKCS#10 requests from UKEY tokens: proof of possession checked, bad requests refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.csr import MAX_CSR_SIZE, parse_csr
from inkseal.pki.errors import (
    CsrError,
    CsrMalformed,
    CsrSignatureInvalid,
    CsrSubjectTooLong,
    CsrTooLarge,
    CsrUnsupportedKey,
)
from inkseal.pki.hierarchy import Hierarchy
from inkseal.pki.names import person_subject
from inkseal.pki.profiles import PERSONAL_SIGNING, validity_years
from inkseal.pki.x509 import PublicUrls, issue_certificate
from tests.pki.conftest import OpenSSL

_RSA_KEY = rsa.generate_private_key(65537, 2048)
_EC_KEY = ec.generate_private_key(ec.SECP256R1())


def make_csr(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = _EC_KEY,
    common_name: str = "UKEY 0001",
    hash_algorithm: hashes.HashAlgorithm | None = None,
    extra: list[cx.NameAttribute] | None = None,
) -> cx.CertificateSigningRequest:
    attributes = [cx.NameAttribute(NameOID.COMMON_NAME, common_name, _validate=False), *(extra or [])]
    builder = cx.CertificateSigningRequestBuilder().subject_name(cx.Name(attributes))
    return builder.sign(key, hash_algorithm or hashes.SHA256())


def der(csr: cx.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.DER)


VALID_DER = der(make_csr())


@pytest.mark.parametrize(("key", "algorithm"), [(_RSA_KEY, RSA_2048), (_EC_KEY, ECDSA_P256)], ids=["rsa", "ec"])
def test_a_valid_request_yields_its_public_key(key, algorithm) -> None:  # type: ignore[no-untyped-def]
    request = parse_csr(der(make_csr(key)))
    assert request.public_key.algorithm is algorithm
    assert request.public_key.spki_der == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert request.subject == {"common_name": "UKEY 0001"}


def test_pem_requests_are_read(openssl: OpenSSL) -> None:
    csr = make_csr(_RSA_KEY)
    assert parse_csr(csr.public_bytes(serialization.Encoding.PEM)).der == der(csr)
    # an OpenSSL-made request (the independent peer), with the old NEW CERTIFICATE REQUEST label too
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem",
            "-subj", "/C=CN/CN=openssl", "-out", "r.pem")  # fmt: skip
    pem = (openssl.workdir / "r.pem").read_bytes()
    assert parse_csr(pem).public_key.algorithm is ECDSA_P256
    assert (
        parse_csr(pem.replace(b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST")).subject["common_name"] == "openssl"
    )


def test_a_request_is_the_basis_of_a_certificate_openssl_accepts(
    hierarchy: Hierarchy, urls: PublicUrls, openssl: OpenSSL
) -> None:
    request = parse_csr(der(make_csr(_RSA_KEY)))
    leaf = issue_certificate(
        hierarchy.issuing["rsa"],
        subject=person_subject("李四", "a" * 40),
        public_key=request.public_key,
        profile=PERSONAL_SIGNING,
        validity=validity_years(1, datetime.now(UTC)),
        urls=urls,
    )
    root = openssl.write_certs("root.pem", hierarchy.root.certificate)
    chain = openssl.write_certs("chain.pem", hierarchy.issuing["rsa"].certificate)
    assert openssl("verify", "-CAfile", root, "-untrusted", chain, openssl.write_certs("l.pem", leaf)).returncode == 0


def test_a_wrong_self_signature_is_refused() -> None:
    data = bytearray(VALID_DER)
    data[-5] ^= 0xFF  # inside the signature
    with pytest.raises(CsrError) as caught:
        parse_csr(bytes(data))
    assert caught.value.code in {"csr_signature_invalid", "csr_malformed"}


def test_a_request_with_a_swapped_key_is_refused() -> None:
    # The info of one request with the signature of another key: proof of possession fails.
    other = der(make_csr(ec.generate_private_key(ec.SECP256R1())))
    from asn1crypto import csr as asn1_csr

    forged = asn1_csr.CertificationRequest.load(VALID_DER)
    forged["signature"] = asn1_csr.CertificationRequest.load(other)["signature"].native
    with pytest.raises(CsrSignatureInvalid) as caught:
        parse_csr(forged.dump(force=True))
    assert caught.value.code == "csr_signature_invalid"


def test_sha1_signed_requests_are_refused(openssl: OpenSSL) -> None:
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-sha1", "-subj", "/CN=old ukey",
            "-outform", "DER", "-out", "r.der")  # fmt: skip
    with pytest.raises(CsrSignatureInvalid) as caught:
        parse_csr((openssl.workdir / "r.der").read_bytes())
    assert "1.2.840.113549.1.1.5" in str(caught.value)


@pytest.mark.parametrize(
    "make_key",
    [lambda: rsa.generate_private_key(65537, 1024), lambda: ec.generate_private_key(ec.SECP384R1())],
    ids=["rsa-1024", "p-384"],
)
def test_unsupported_keys_are_refused(make_key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CsrUnsupportedKey) as caught:
        parse_csr(der(make_csr(make_key())))
    assert caught.value.code == "csr_unsupported_key"


@pytest.mark.filterwarnings("ignore:Attribute's length")
def test_an_over_long_subject_is_refused() -> None:
    with pytest.raises(CsrSubjectTooLong):
        parse_csr(der(make_csr(common_name="张" * 65)))
    many = [cx.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"unit {i}") for i in range(100)]
    with pytest.raises(CsrSubjectTooLong):
        parse_csr(der(make_csr(extra=many)))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"\x30\x80\x00\x00",
        VALID_DER[:-1],
        VALID_DER[: len(VALID_DER) // 2],
        VALID_DER + b"\x00",
        b"-----BEGIN CERTIFICATE REQUEST-----\nnot base64!\n-----END CERTIFICATE REQUEST-----\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ],
)
def test_garbage_and_truncated_requests_are_malformed(data: bytes) -> None:
    with pytest.raises(CsrMalformed) as caught:
        parse_csr(data)
    assert caught.value.code == "csr_malformed"


def test_oversized_requests_are_refused_before_parsing() -> None:
    with pytest.raises(CsrTooLarge) as caught:
        parse_csr(b"\x30" * (MAX_CSR_SIZE + 1))
    assert caught.value.status == 413


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_only_raise_csr_errors(data: bytes) -> None:
    with pytest.raises(CsrError):
        parse_csr(data)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID_DER) - 1), st.integers(min_value=1, max_value=255))
def test_mutated_requests_never_escape_the_error_types(position: int, flip: int) -> None:
    data = bytearray(VALID_DER)
    data[position] ^= flip
    try:
        parse_csr(bytes(data))
    except CsrError:
        pass
