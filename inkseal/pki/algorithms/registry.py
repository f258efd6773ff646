"""The registry of algorithms by name (stored in the database) and the algorithms registered:
RSA-2048, RSA-3072, ECDSA P-256 and SM2; identifying a SubjectPublicKeyInfo among them.
"""

from __future__ import annotations

from typing import TypeVar

from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives.asymmetric import ec

from inkseal.pki.algorithms.base import Algorithm, PublicKey
from inkseal.pki.algorithms.rsa_ecdsa import EcdsaAlgorithm, RsaAlgorithm
from inkseal.pki.algorithms.sm2 import Sm2Algorithm
from inkseal.pki.errors import UnsupportedAlgorithm

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
