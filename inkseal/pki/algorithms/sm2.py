"""SM2 with SM3 (国密): keys and signatures, the arithmetic in `inkseal.pki.gm`."""

from __future__ import annotations

from functools import cached_property

from asn1crypto import keys as asn1_keys

from inkseal.pki import gm
from inkseal.pki.algorithms.base import Algorithm, PublicKey, SoftKey
from inkseal.pki.errors import UnsupportedAlgorithm


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
