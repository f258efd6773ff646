"""Algorithms registry: every algorithm signs and verifies the same way; foreign keys are refused."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from inkseal.pki.algorithms import (
    ECDSA_P256,
    RSA_2048,
    RSA_3072,
    Algorithm,
    all_algorithms,
    get_algorithm,
    load_public_key,
)
from inkseal.pki.errors import SignatureInvalid, UnsupportedAlgorithm
from tests.pki.conftest import OpenSSL

FAST_ALGORITHMS = [RSA_2048, ECDSA_P256]


def _spki(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_registry_lists_the_international_algorithms() -> None:
    assert {a.name for a in all_algorithms()} >= {"rsa-2048", "rsa-3072", "ecdsa-p256"}
    assert get_algorithm("ecdsa-p256") is ECDSA_P256


def test_unknown_algorithm_is_refused_with_a_stable_code() -> None:
    with pytest.raises(UnsupportedAlgorithm) as caught:
        get_algorithm("dsa-1024")
    assert caught.value.code == "unsupported_algorithm"


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS, ids=lambda a: a.name)
def test_sign_then_verify_and_tampering_fails(algorithm: Algorithm) -> None:
    key = algorithm.generate_soft_key()
    signature = key.sign(b"contract v1")
    key.public_key.verify(signature, b"contract v1")
    with pytest.raises(SignatureInvalid):
        key.public_key.verify(signature, b"contract v2")


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS, ids=lambda a: a.name)
def test_sign_digest_is_sign_of_the_hashed_data(algorithm: Algorithm) -> None:
    key = algorithm.generate_soft_key()
    signature = key.sign_digest(hashlib.sha256(b"pdf byte ranges").digest())
    key.public_key.verify(signature, b"pdf byte ranges")
    with pytest.raises(ValueError):
        key.sign_digest(b"short")


def test_signatures_verify_with_cryptography_directly() -> None:
    rsa_key = RSA_2048.generate_soft_key()
    native = serialization.load_der_public_key(rsa_key.public_key.spki_der)
    assert isinstance(native, rsa.RSAPublicKey)
    native.verify(rsa_key.sign(b"x"), b"x", padding.PKCS1v15(), hashes.SHA256())
    ec_key = ECDSA_P256.generate_soft_key()
    native_ec = serialization.load_der_public_key(ec_key.public_key.spki_der)
    assert isinstance(native_ec, ec.EllipticCurvePublicKey)
    native_ec.verify(ec_key.sign(b"x"), b"x", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS, ids=lambda a: a.name)
def test_openssl_verifies_our_signatures(algorithm: Algorithm, openssl: OpenSSL) -> None:
    key = algorithm.generate_soft_key()
    data = openssl.write("data.bin", b"seal me")
    signature = openssl.write("data.sig", key.sign(b"seal me"))
    public = openssl.write("pub.pem", key.public_key.pem())
    result = openssl("dgst", "-sha256", "-verify", public, "-signature", signature, data)
    assert "Verified OK" in result.stdout


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS, ids=lambda a: a.name)
def test_pkcs8_round_trip_keeps_the_key(algorithm: Algorithm) -> None:
    key = algorithm.generate_soft_key()
    again = algorithm.load_soft_key(key.to_pkcs8())
    assert again.public_key.spki_der == key.public_key.spki_der
    key.public_key.verify(again.sign(b"m"), b"m")


def test_load_soft_key_refuses_a_key_of_another_algorithm() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        RSA_3072.load_soft_key(RSA_2048.generate_soft_key().to_pkcs8())
    with pytest.raises(UnsupportedAlgorithm):
        RSA_2048.load_soft_key(ECDSA_P256.generate_soft_key().to_pkcs8())


def test_public_keys_are_recognised_by_algorithm_and_size() -> None:
    assert load_public_key(_spki(rsa.generate_private_key(65537, 2048))).algorithm is RSA_2048
    assert load_public_key(_spki(ec.generate_private_key(ec.SECP256R1()))).algorithm is ECDSA_P256


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: rsa.generate_private_key(65537, 1024),
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: ed25519.Ed25519PrivateKey.generate(),
    ],
    ids=["rsa-1024", "p-384", "ed25519"],
)
def test_unsupported_public_keys_are_refused(make_key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsupportedAlgorithm):
        load_public_key(_spki(make_key()))


@pytest.mark.parametrize("data", [b"", b"\x30\x03\x02\x01\x01", b"garbage" * 10])
def test_unreadable_public_keys_are_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        load_public_key(data)


def test_a_signature_algorithm_outside_the_family_is_refused() -> None:
    key = RSA_2048.generate_soft_key()
    with pytest.raises(UnsupportedAlgorithm):
        key.public_key.verify(key.sign(b"m"), b"m", signature_oid="1.2.840.10045.4.3.2")


def test_algorithm_identifiers_are_the_standard_encodings() -> None:
    # sha256WithRSAEncryption with NULL parameters; ecdsa-with-SHA256 without (RFC 4055, RFC 5758).
    assert RSA_2048.signature_algorithm_der.hex() == "300d06092a864886f70d01010b0500"
    assert ECDSA_P256.signature_algorithm_der.hex() == "300a06082a8648ce3d040302"
    assert RSA_2048.digest_algorithm_der.hex() == "300b0609608648016503040201"


def test_key_identifier_is_sha1_of_the_subject_public_key_bits() -> None:
    key = ECDSA_P256.generate_soft_key()
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key.public_key.info["public_key"].native)
    raw = point.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert key.public_key.key_identifier == hashlib.sha1(raw).digest()
