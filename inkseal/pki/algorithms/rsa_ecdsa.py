"""RSA (PKCS#1 v1.5) and ECDSA keys, made and used through pyca/cryptography."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from inkseal.pki.algorithms.base import Algorithm, PublicKey, SoftKey, _hash
from inkseal.pki.errors import SignatureInvalid, UnsupportedAlgorithm

_RSA_SIGNATURE_OIDS = {
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}
_ECDSA_SIGNATURE_OIDS = {
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}


class _CryptographySoftKey(SoftKey):
    def __init__(self, algorithm: Algorithm, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        self._algorithm = algorithm
        self._key = key

    @property
    def algorithm(self) -> Algorithm:
        return self._algorithm

    @cached_property
    def public_key(self) -> PublicKey:
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return PublicKey(self._algorithm, der)

    def to_pkcs8(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def _prehashed(self, digest: bytes) -> Prehashed:
        if len(digest) != self._algorithm.digest_size:
            raise ValueError(f"{self._algorithm.name} signs {self._algorithm.hash_name} digests")
        return Prehashed(_hash(self._algorithm.hash_name))


class _RsaSoftKey(_CryptographySoftKey):
    _key: rsa.RSAPrivateKey

    def sign_digest(self, digest: bytes) -> bytes:
        return self._key.sign(digest, padding.PKCS1v15(), self._prehashed(digest))


class _EcSoftKey(_CryptographySoftKey):
    _key: ec.EllipticCurvePrivateKey

    def sign_digest(self, digest: bytes) -> bytes:
        return self._key.sign(digest, ec.ECDSA(self._prehashed(digest)))


def _load_pkcs8(pkcs8_der: bytes) -> Any:
    # The blob was written by us and authenticated by AES-GCM, so skip the slow RSA consistency check.
    return serialization.load_der_private_key(pkcs8_der, None, unsafe_skip_rsa_key_validation=True)


class RsaAlgorithm(Algorithm):
    """RSA PKCS#1 v1.5 with SHA-256 (what PDF readers and OpenSSL accept everywhere)."""

    family = "rsa"
    hash_name = "sha256"
    signature_oid = "1.2.840.113549.1.1.11"  # sha256WithRSAEncryption
    signature_parameters_null = True  # RFC 4055: parameters MUST be NULL
    encryption_key_usage = ("key_encipherment",)

    def __init__(self, bits: int):
        self.bits = bits
        self.name = f"rsa-{bits}"
        self.label = f"RSA-{bits}"

    def generate_soft_key(self) -> SoftKey:
        return _RsaSoftKey(self, rsa.generate_private_key(public_exponent=65537, key_size=self.bits))

    def load_soft_key(self, pkcs8_der: bytes) -> SoftKey:
        key = _load_pkcs8(pkcs8_der)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != self.bits:
            raise UnsupportedAlgorithm(f"not an {self.label} private key")
        return _RsaSoftKey(self, key)

    def matches(self, info: asn1_keys.PublicKeyInfo) -> bool:
        return bool(info.algorithm == "rsa" and info.bit_size == self.bits)

    def load_public_key(self, spki_der: bytes) -> rsa.RSAPublicKey:
        key = serialization.load_der_public_key(spki_der)
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size != self.bits:
            raise UnsupportedAlgorithm(f"not an {self.label} public key")
        return key

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes, signature_oid: str) -> None:
        hash_name = _RSA_SIGNATURE_OIDS.get(signature_oid)
        if hash_name is None:
            raise UnsupportedAlgorithm(f"signature algorithm {signature_oid} is not accepted for {self.label}")
        try:
            public_key.native.verify(signature, data, padding.PKCS1v15(), _hash(hash_name))
        except InvalidSignature:
            raise SignatureInvalid("signature does not verify")


class EcdsaAlgorithm(Algorithm):
    """ECDSA on a named curve; signatures are DER SEQUENCE {r, s}."""

    family = "ecdsa"
    encryption_key_usage = ("key_agreement",)

    def __init__(self, *, name: str, label: str, curve: ec.EllipticCurve, hash_name: str, signature_oid: str):
        self.name = name
        self.label = label
        self.curve = curve
        self.hash_name = hash_name
        self.signature_oid = signature_oid

    def generate_soft_key(self) -> SoftKey:
        return _EcSoftKey(self, ec.generate_private_key(self.curve))

    def load_soft_key(self, pkcs8_der: bytes) -> SoftKey:
        key = _load_pkcs8(pkcs8_der)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != self.curve.name:
            raise UnsupportedAlgorithm(f"not an {self.label} private key")
        return _EcSoftKey(self, key)

    def matches(self, info: asn1_keys.PublicKeyInfo) -> bool:
        return bool(info.algorithm == "ec" and info.curve == ("named", self.curve.name))

    def load_public_key(self, spki_der: bytes) -> ec.EllipticCurvePublicKey:
        key = serialization.load_der_public_key(spki_der)  # checks the point is on the curve
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != self.curve.name:
            raise UnsupportedAlgorithm(f"not an {self.label} public key")
        return key

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes, signature_oid: str) -> None:
        hash_name = _ECDSA_SIGNATURE_OIDS.get(signature_oid)
        if hash_name is None:
            raise UnsupportedAlgorithm(f"signature algorithm {signature_oid} is not accepted for {self.label}")
        try:
            public_key.native.verify(signature, data, ec.ECDSA(_hash(hash_name)))
        except InvalidSignature:
            raise SignatureInvalid("signature does not verify")
