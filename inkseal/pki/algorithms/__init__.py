"""Key algorithms as data: one registry entry per algorithm, nothing else branches on the kind of key.

An `Algorithm` knows how to make a key in software, which digest a signature covers, its
signature-algorithm identifier and how to verify. A `KeyHandle` is anything that can sign with a
private key: a key held in memory (`SoftKey`), a key inside a PKCS#11 token, later a remote signer.
Every signature in the PKI (certificates, CRLs, OCSP, time stamps) goes through `KeyHandle.sign`,
so where the key lives never changes the code path.

SM2 is another `Algorithm` (`Sm2Algorithm`, registered as "sm2"): its `signing_digest` is
SM3(Z_A || M) with the default user ID, its keys are id-ecPublicKey on curve 1.2.156.10197.1.301
and its signatures SM2-with-SM3 (1.2.156.10197.1.501); the arithmetic lives in `gm`.

One module per part: `base` (the interfaces), `rsa_ecdsa`, `sm2`, and `registry` (lookup by name and
the registered instances). This package re-exports them, as callers use `inkseal.pki.algorithms`."""

from inkseal.pki.algorithms.base import HASH_OIDS, Algorithm, KeyHandle, PublicKey, SoftKey, new_hash
from inkseal.pki.algorithms.registry import (
    ECDSA_P256,
    RSA_2048,
    RSA_3072,
    SM2,
    all_algorithms,
    get_algorithm,
    load_public_key,
    register,
)
from inkseal.pki.algorithms.rsa_ecdsa import EcdsaAlgorithm, RsaAlgorithm
from inkseal.pki.algorithms.sm2 import Sm2Algorithm, Sm2SoftKey

__all__ = [
    "ECDSA_P256",
    "HASH_OIDS",
    "RSA_2048",
    "RSA_3072",
    "SM2",
    "Algorithm",
    "EcdsaAlgorithm",
    "KeyHandle",
    "PublicKey",
    "RsaAlgorithm",
    "Sm2Algorithm",
    "Sm2SoftKey",
    "SoftKey",
    "all_algorithms",
    "get_algorithm",
    "load_public_key",
    "new_hash",
    "register",
]
