"""Dual certificates (双证书): the escrowed encryption key and its SM2EnvelopedKey delivery.

An SM2 product certifies two keys. The signing key is made where it will sign (our keystore for
cloud certificates, the UKEY otherwise) and never leaves it. The encryption key pair is made by
our key-management side, which keeps a copy sealed in its own keystore (the escrow, so data
encrypted to a lost key can be recovered) and hands the private key to a UKEY as an
SM2EnvelopedKey (GM/T 0009 7.4, GB/T 35276 7.4):

    SM2EnvelopedKey ::= SEQUENCE {
        symAlgID                AlgorithmIdentifier,  -- SM4-ECB, 1.2.156.10197.1.104.1
        symEncryptedKey         SM2Cipher,            -- a fresh SM4 key, SM2-encrypted to the signing key
        sm2PublicKey            SM2PublicKey,         -- BIT STRING 04 || x || y of the encryption key
        sm2EncryptedPrivateKey  BIT STRING            -- SM4-ECB of the 32-byte private key
    }

The token opens it with its signing private key; `open_enveloped_key` does the same for tests
and for recovery checks.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from inkseal.pki import der, gm
from inkseal.pki.algorithms import SM2, Algorithm, PublicKey, Sm2SoftKey, SoftKey
from inkseal.pki.errors import DecryptionFailed, EnvelopeMalformed, UnsupportedAlgorithm
from inkseal.pki.keystores.soft import SoftKeystore

MAX_ENVELOPE_SIZE = 1024
_SYM_ALGORITHM = der.sequence(der.oid(gm.SM4_ECB_OID), der.NULL)


@dataclass(frozen=True)
class EscrowedKey:
    """An encryption key pair made and kept by key management: its keystore id and public key."""

    key_id: str
    public_key: PublicKey


def escrow_new_encryption_key(keystore: SoftKeystore, *, label: str, algorithm: Algorithm = SM2) -> EscrowedKey:
    """Make an encryption key pair and seal it in the key-management keystore."""
    key_id = keystore.generate_key(algorithm, label)
    return EscrowedKey(key_id, keystore.public_key(key_id))


@dataclass(frozen=True)
class EnvelopedKey:
    """The parts of an SM2EnvelopedKey (symmetric cipher SM4-ECB), read strictly."""

    encrypted_sym_key: bytes  # SM2Cipher DER
    public_point: bytes  # x || y of the enveloped key
    encrypted_private_key: bytes


def seal_enveloped_key(encryption_key: SoftKey, recipient: PublicKey) -> bytes:
    """An SM2EnvelopedKey carrying `encryption_key` to the holder of `recipient` (the signing key)."""
    private = _sm2_key(encryption_key)
    recipient_key = _sm2_public(recipient)
    sym_key = secrets.token_bytes(gm.SM4_KEY_SIZE)
    return der.sequence(
        _SYM_ALGORITHM,
        recipient_key.encrypt(sym_key),
        der.bit_string(b"\x04" + private.public_key.point),
        der.bit_string(gm.sm4_ecb_encrypt(sym_key, private.private_bytes())),
    )


def open_enveloped_key(envelope: bytes, recipient: SoftKey) -> SoftKey:
    """The encryption key inside `envelope`, opened with the signing key it was sealed to.

    EnvelopeMalformed if it is not an SM2EnvelopedKey; DecryptionFailed if it does not open with
    this key or what it holds is not the key pair it names.
    """
    parts = parse_enveloped_key(envelope)
    sym_key = _sm2_key(recipient).decrypt(parts.encrypted_sym_key)
    if len(sym_key) != gm.SM4_KEY_SIZE:
        raise DecryptionFailed("the envelope's SM4 key has the wrong size")
    scalar = gm.sm4_ecb_decrypt(sym_key, parts.encrypted_private_key)
    try:
        private = gm.Sm2PrivateKey(scalar, gm.Sm2PublicKey(parts.public_point))
    except UnsupportedAlgorithm:
        raise DecryptionFailed("the envelope does not hold the key pair it names")
    return Sm2SoftKey(SM2, private)


def parse_enveloped_key(envelope: bytes) -> EnvelopedKey:
    """EnvelopeMalformed unless strict DER of an SM2EnvelopedKey with SM4-ECB and SM2 key sizes."""
    if len(envelope) > MAX_ENVELOPE_SIZE:
        raise EnvelopeMalformed("envelope too large")
    try:
        reader = der.read_sequence(envelope)
        algorithm = der.Reader(reader.read(der.SEQUENCE))
        cipher_oid = algorithm.read_element(der.OID_TAG)
        if not algorithm.at_end:
            algorithm.read(der.NULL_TAG)  # parameters absent or NULL
            algorithm.expect_end()
        encrypted_sym_key = reader.read_element(der.SEQUENCE)
        point = reader.read_bit_string()
        encrypted_private_key = reader.read_bit_string()
        reader.expect_end()
    except der.DerError as exc:
        raise EnvelopeMalformed(f"not an SM2EnvelopedKey: {exc}")
    if cipher_oid != der.oid(gm.SM4_ECB_OID):
        raise EnvelopeMalformed("the envelope's cipher is not SM4-ECB")
    if len(point) != 65 or point[0] != 4 or len(encrypted_private_key) != 32:
        raise EnvelopeMalformed("the envelope's key sizes are not SM2's")
    return EnvelopedKey(encrypted_sym_key, point[1:], encrypted_private_key)


def _sm2_key(key: SoftKey) -> gm.Sm2PrivateKey:
    if not isinstance(key, Sm2SoftKey):
        raise UnsupportedAlgorithm(f"SM2EnvelopedKey carries SM2 keys, not {key.algorithm.label}")
    return key.gm_key


def _sm2_public(key: PublicKey) -> gm.Sm2PublicKey:
    if key.algorithm is not SM2:
        raise UnsupportedAlgorithm(f"SM2EnvelopedKey is sealed to SM2 keys, not {key.algorithm.label}")
    native: gm.Sm2PublicKey = key.native
    return native
