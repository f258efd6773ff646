"""What every key algorithm is (`Algorithm`), what a key that signs is (`KeyHandle`, `SoftKey` in
memory) and a public key (`PublicKey`); digest names and identifiers. See the package notes.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import hashes

from inkseal.pki import der, gm
from inkseal.pki.pem import armor

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
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
