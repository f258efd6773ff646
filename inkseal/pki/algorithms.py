"""Key algorithms as data: one registry entry per algorithm, nothing else branches on the kind of key.

An `Algorithm` knows how to make a key in software, which digest a signature covers, its
signature-algorithm identifier and how to verify. A `KeyHandle` is anything that can sign with a
private key: a key held in memory (`SoftKey`), a key inside a PKCS#11 token, later a remote signer.
Every signature in the PKI (certificates, CRLs, OCSP, time stamps) goes through `KeyHandle.sign`,
so where the key lives never changes the code path.

SM2 is another `Algorithm` (`Sm2Algorithm`, registered as "sm2"): its `signing_digest` is
SM3(Z_A || M) with the default user ID, its keys are id-ecPublicKey on curve 1.2.156.10197.1.301
and its signatures SM2-with-SM3 (1.2.156.10197.1.501); the arithmetic lives in `gm`.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from inkseal.pki import der, gm
from inkseal.pki.errors import SignatureInvalid, UnsupportedAlgorithm
from inkseal.pki.pem import armor

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

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


# Digest algorithm OIDs by hashlib name.
HASH_OIDS: dict[str, str] = {
    "sha1": "1.3.14.3.2.26",
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
    "sm3": gm.SM3_OID,
}


def new_hash(name: str, data: bytes = b"") -> Any:
    """hashlib.new, except that SM3 works even where hashlib's OpenSSL lacks it."""
    return gm.new_sm3(data) if name == "sm3" else hashlib.new(name, data)


def _hash(name: str) -> hashes.HashAlgorithm:
    return _HASHES[name]()


@dataclass(frozen=True)
class PublicKey:
    """A subject public key (SubjectPublicKeyInfo DER) and the algorithm it belongs to."""

    algorithm: Algorithm
    spki_der: bytes

    @cached_property
    def info(self) -> asn1_keys.PublicKeyInfo:
        return asn1_keys.PublicKeyInfo.load(self.spki_der)

    @cached_property
    def key_identifier(self) -> bytes:
        """RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING (SKI/AKI, OCSP byKey)."""
        return bytes(self.info.sha1)

    @cached_property
    def native(self) -> Any:
        """The algorithm's own key object (a `cryptography` key for RSA/ECDSA), loaded once."""
        return self.algorithm.load_public_key(self.spki_der)

    def verify(self, signature: bytes, data: bytes, *, signature_oid: str | None = None) -> None:
        """Raise SignatureInvalid unless `signature` over `data` verifies under this key."""
        self.algorithm.verify(self, signature, data, signature_oid or self.algorithm.signature_oid)

    def pem(self) -> str:
        return armor(self.spki_der, "PUBLIC KEY")


class KeyHandle(ABC):
    """Something that signs with a private key it may never reveal (memory, HSM, remote)."""

    @property
    @abstractmethod
    def algorithm(self) -> Algorithm: ...

    @property
    @abstractmethod
    def public_key(self) -> PublicKey: ...

    @abstractmethod
    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a digest computed with `algorithm.signing_digest` (PDF signing hashes first)."""

    def sign(self, data: bytes) -> bytes:
        return self.sign_digest(self.algorithm.signing_digest(data, self.public_key))


class SoftKey(KeyHandle):
    """A private key held in process memory; the soft keystore wraps and caches these."""

    @abstractmethod
    def to_pkcs8(self) -> bytes: ...


class Algorithm(ABC):
    """One key algorithm: key generation, signing digest, identifiers and verification."""

    name: str  # stable registry key, stored in the database
    label: str  # for people
    family: str  # "rsa", "ecdsa", "sm2": which issuing CA certifies keys of this algorithm
    hash_name: str  # hashlib name of the digest a signature covers
    signature_oid: str
    signature_parameters_null: bool = False
    encryption_key_usage: tuple[str, ...] = ()

    @cached_property
    def signature_algorithm_der(self) -> bytes:
        """AlgorithmIdentifier of signatures by this algorithm's keys."""
        parameters = der.NULL if self.signature_parameters_null else b""
        return der.sequence(der.oid(self.signature_oid), parameters)

    @property
    def digest_algorithm_der(self) -> bytes:
        """AlgorithmIdentifier of the signing digest, parameters absent (RFC 5754), for CMS."""
        return der.sequence(der.oid(HASH_OIDS[self.hash_name]))

    @cached_property
    def digest_size(self) -> int:
        return int(new_hash(self.hash_name).digest_size)

    def signing_digest(self, data: bytes, public_key: PublicKey) -> bytes:
        """The digest a signature of `data` covers; SM2 overrides this (SM3 of Z_A || M)."""
        return bytes(new_hash(self.hash_name, data).digest())

    @abstractmethod
    def generate_soft_key(self) -> SoftKey: ...

    @abstractmethod
    def load_soft_key(self, pkcs8_der: bytes) -> SoftKey: ...

    @abstractmethod
    def matches(self, info: asn1_keys.PublicKeyInfo) -> bool:
        """Whether a parsed SubjectPublicKeyInfo is a key of exactly this algorithm."""

    @abstractmethod
    def load_public_key(self, spki_der: bytes) -> Any: ...

    @abstractmethod
    def verify(self, public_key: PublicKey, signature: bytes, data: bytes, signature_oid: str) -> None: ...

    def __repr__(self) -> str:
        return f"<Algorithm {self.name}>"


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


class Sm2SoftKey(SoftKey):
    """An SM2 key in memory; `gm_key` is the key itself, for envelopes of escrowed keys (pki.dual)."""

    def __init__(self, algorithm: Algorithm, key: gm.Sm2PrivateKey):
        self._algorithm = algorithm
        self.gm_key = key

    @property
    def algorithm(self) -> Algorithm:
        return self._algorithm

    @cached_property
    def public_key(self) -> PublicKey:
        return PublicKey(self._algorithm, self.gm_key.public_key.spki_der)

    def to_pkcs8(self) -> bytes:
        return self.gm_key.to_pkcs8()

    def sign_digest(self, digest: bytes) -> bytes:
        if len(digest) != gm.SM3_DIGEST_SIZE:
            raise ValueError("sm2 signs SM3 digests of Z_A || M")
        return self.gm_key.sign_digest(digest)


class Sm2Algorithm(Algorithm):
    """SM2 with SM3 (GB/T 32918, GM/T 0009): signatures over e = SM3(Z_A || M), default user ID.

    Encryption certificates of SM2 keys carry keyEncipherment, dataEncipherment and keyAgreement:
    an SM2 key both receives SM2-encrypted keys and takes part in SM2 key exchange (GM/T 0015).
    """

    name = "sm2"
    label = "SM2"
    family = "sm2"
    hash_name = "sm3"
    signature_oid = gm.SM2_WITH_SM3_OID  # GM/T 0015: parameters absent
    encryption_key_usage = ("key_encipherment", "data_encipherment", "key_agreement")

    @cached_property
    def digest_size(self) -> int:
        return gm.SM3_DIGEST_SIZE

    def signing_digest(self, data: bytes, public_key: PublicKey) -> bytes:
        native: gm.Sm2PublicKey = public_key.native
        return native.signing_digest(data)

    def generate_soft_key(self) -> SoftKey:
        return Sm2SoftKey(self, gm.Sm2PrivateKey.generate())

    def load_soft_key(self, pkcs8_der: bytes) -> SoftKey:
        # Like _load_pkcs8: the blob was written by us and authenticated, so skip the pair check.
        return Sm2SoftKey(self, gm.Sm2PrivateKey.from_pkcs8(pkcs8_der, check_pair=False))

    def matches(self, info: asn1_keys.PublicKeyInfo) -> bool:
        if info.algorithm != "ec":
            return False
        parameters = info["algorithm"]["parameters"]
        return bool(parameters.name == "named" and parameters.chosen.dotted == gm.SM2_CURVE_OID)

    def load_public_key(self, spki_der: bytes) -> gm.Sm2PublicKey:
        return gm.Sm2PublicKey.from_spki(spki_der)

    def verify(self, public_key: PublicKey, signature: bytes, data: bytes, signature_oid: str) -> None:
        if signature_oid != gm.SM2_WITH_SM3_OID:
            raise UnsupportedAlgorithm(f"signature algorithm {signature_oid} is not accepted for {self.label}")
        native: gm.Sm2PublicKey = public_key.native
        native.verify_digest(signature, native.signing_digest(data))


_REGISTRY: dict[str, Algorithm] = {}


A = TypeVar("A", bound=Algorithm)


def register(algorithm: A) -> A:
    if algorithm.name in _REGISTRY:
        raise ValueError(f"algorithm {algorithm.name} is already registered")
    _REGISTRY[algorithm.name] = algorithm
    return algorithm


def get_algorithm(name: str) -> Algorithm:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnsupportedAlgorithm(f"unknown algorithm {name!r}")


def all_algorithms() -> tuple[Algorithm, ...]:
    return tuple(_REGISTRY.values())


def load_public_key(spki_der: bytes) -> PublicKey:
    """Identify and check a SubjectPublicKeyInfo; UnsupportedAlgorithm for anything not registered."""
    try:
        info = asn1_keys.PublicKeyInfo.load(spki_der, strict=True)
        algorithm = next((a for a in _REGISTRY.values() if a.matches(info)), None)
    except Exception:  # asn1crypto raises ValueError, TypeError, ... for bad input
        raise UnsupportedAlgorithm("unreadable public key")
    if algorithm is None:
        raise UnsupportedAlgorithm("public key algorithm or size is not supported")
    key = PublicKey(algorithm, spki_der)
    try:
        key.native  # noqa: B018 - loading validates the key (point on curve, modulus)
    except UnsupportedAlgorithm:
        raise
    except Exception:
        raise UnsupportedAlgorithm("invalid public key")
    return key


RSA_2048 = register(RsaAlgorithm(2048))
RSA_3072 = register(RsaAlgorithm(3072))
ECDSA_P256 = register(
    EcdsaAlgorithm(
        name="ecdsa-p256",
        label="ECDSA P-256",
        curve=ec.SECP256R1(),
        hash_name="sha256",
        signature_oid="1.2.840.10045.4.3.2",  # ecdsa-with-SHA256
    )
)
SM2 = register(Sm2Algorithm())
