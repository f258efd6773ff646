"""国密 SM2 / SM3 / SM4: the one module that talks to an SM2 library.

SM2 arithmetic comes from gmssl-pyx (a C extension over GmSSL 3.2, nonces from the OS generator),
chosen by measurement (bench/sm2_bench.py): it signs a precomputed e = SM3(Z_A || M) directly,
which is what `KeyHandle.sign_digest` hands over, and ships SM2 encryption. SM3 is hashlib's
(OpenSSL 3) when present, SM4 is `cryptography`'s. Nothing else in the project imports an SM2
library: certificates, CRLs, OCSP, time stamps and envelopes reach SM2 through this module.

Encodings follow GM/T 0009 / GB/T 35276 and GM/T 0015:
- public key: SubjectPublicKeyInfo { id-ecPublicKey, namedCurve sm2 (1.2.156.10197.1.301) },
  uncompressed point 04 || x || y; private key: PKCS#8 with an ECPrivateKey that carries the point;
- signature: DER SEQUENCE { r INTEGER, s INTEGER }, 1 <= r, s <= n - 1, parsed strictly;
- e = SM3(Z_A || M), Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) with the default
  ID 1234567812345678 (ENTL 0x0080);
- ciphertext: SM2Cipher SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING (32), ciphertext
  OCTET STRING } (the C1 C3 C2 order).

Beware when checking with OpenSSL 3.0: its default distinguishing ID is empty, so it needs
`-sigopt distid:1234567812345678` / `-vfyopt distid:1234567812345678` for our signatures.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import gmssl_pyx
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from inkseal.pki import der
from inkseal.pki.errors import DecryptionFailed, SignatureInvalid, SignatureMalformed, UnsupportedAlgorithm

EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"
SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_WITH_SM3_OID = "1.2.156.10197.1.501"
SM3_OID = "1.2.156.10197.1.401"
SM4_ECB_OID = "1.2.156.10197.1.104.1"

DEFAULT_USER_ID = b"1234567812345678"  # GM/T 0009: the ID when the parties agreed on none
MAX_USER_ID_SIZE = 8191  # ENTL is two bytes of bit length
SM3_DIGEST_SIZE = 32
SM4_KEY_SIZE = 16
MAX_PLAINTEXT_SIZE = 255  # GmSSL's SM2 encryption bound; SM2 carries keys, not documents


@dataclass(frozen=True)
class Curve:
    """Short Weierstrass curve y^2 = x^3 + ax + b over F_p with base point G of order n."""

    name: str
    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int

    @property
    def size(self) -> int:
        return (self.p.bit_length() + 7) // 8

    def contains(self, x: int, y: int) -> bool:
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - x * x * x - self.a * x - self.b) % self.p == 0


# GB/T 32918.5 recommended curve (sm2p256v1).
SM2P256V1 = Curve(
    name="sm2p256v1",
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)
N = SM2P256V1.n

_ALGORITHM_IDENTIFIER = der.sequence(der.oid(EC_PUBLIC_KEY_OID), der.oid(SM2_CURVE_OID))
_SPKI_PREFIX = der.sequence(_ALGORITHM_IDENTIFIER, der.bit_string(b"\x04" + bytes(64)))[:-64]


# --- SM3 -------------------------------------------------------------------------------------


class Sm3Hash(Protocol):
    @property
    def digest_size(self) -> int: ...

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


class _BufferedSm3:
    """SM3 through the library when hashlib's OpenSSL lacks it: buffers, then hashes once."""

    name = "sm3"
    digest_size = SM3_DIGEST_SIZE
    block_size = 64

    def __init__(self, data: bytes = b"") -> None:
        self._parts = [bytes(data)]

    def update(self, data: bytes, /) -> None:
        self._parts.append(bytes(data))

    def digest(self) -> bytes:
        return bytes(gmssl_pyx.sm3_hash(b"".join(self._parts)))

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> _BufferedSm3:
        return _BufferedSm3(b"".join(self._parts))


HASHLIB_HAS_SM3 = "sm3" in hashlib.algorithms_available


def new_sm3(data: bytes = b"") -> Sm3Hash:
    """An SM3 hash object (hashlib's interface)."""
    if HASHLIB_HAS_SM3:
        return hashlib.new("sm3", data)
    return _BufferedSm3(data)


def sm3(data: bytes) -> bytes:
    return new_sm3(data).digest()


# --- Z_A and the signed digest ---------------------------------------------------------------


def z_a(public_point: bytes, user_id: bytes = DEFAULT_USER_ID, curve: Curve = SM2P256V1) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA); `public_point` is x || y."""
    if len(user_id) > MAX_USER_ID_SIZE:
        raise ValueError(f"SM2 user ID longer than {MAX_USER_ID_SIZE} bytes")
    size = curve.size
    if len(public_point) != 2 * size:
        raise ValueError(f"the public point must be x || y, {2 * size} bytes")
    parameters = b"".join(v.to_bytes(size, "big") for v in (curve.a, curve.b, curve.gx, curve.gy))
    return sm3((len(user_id) * 8).to_bytes(2, "big") + user_id + parameters + public_point)


def signing_digest(message: bytes, public_point: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """e = SM3(Z_A || M): what an SM2 signature of `message` signs."""
    return _digest_with_prefix(z_a(public_point, user_id), message)


def _digest_with_prefix(prefix: bytes, message: bytes) -> bytes:
    h = new_sm3(prefix)
    h.update(message)
    return h.digest()


# --- signatures ------------------------------------------------------------------------------


def encode_signature(r: int, s: int) -> bytes:
    if not (1 <= r < N and 1 <= s < N):
        raise ValueError("SM2 signature values must lie in [1, n-1]")
    return der.sequence(der.integer(r), der.integer(s))


def decode_signature(signature: bytes) -> tuple[int, int]:
    """(r, s) from DER; SignatureMalformed unless it is canonical DER with 1 <= r, s <= n-1."""
    try:
        reader = der.read_sequence(signature)
        r, s = reader.read_unsigned(), reader.read_unsigned()
        reader.expect_end()
    except der.DerError as exc:
        raise SignatureMalformed(f"not a DER SM2 signature: {exc}")
    if not (1 <= r < N and 1 <= s < N):
        raise SignatureMalformed("SM2 signature values out of range")
    return r, s


# --- keys ------------------------------------------------------------------------------------


class Sm2PublicKey:
    """A point on sm2p256v1, checked on creation; verifies signatures and encrypts."""

    def __init__(self, point: bytes):
        """`point` is x || y (64 bytes) or the uncompressed form 04 || x || y."""
        if len(point) == 65 and point[0] == 4:
            point = point[1:]
        if len(point) != 64:
            raise UnsupportedAlgorithm("SM2 public keys must be uncompressed points")
        if not SM2P256V1.contains(int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big")):
            raise UnsupportedAlgorithm("the SM2 public key is not a point on the curve")
        self.point = bytes(point)

    @classmethod
    def from_spki(cls, spki_der: bytes) -> Sm2PublicKey:
        if len(spki_der) != len(_SPKI_PREFIX) + 64 or not spki_der.startswith(_SPKI_PREFIX):
            raise UnsupportedAlgorithm("not an SM2 SubjectPublicKeyInfo")
        return cls(spki_der[len(_SPKI_PREFIX) :])

    @cached_property
    def spki_der(self) -> bytes:
        return _SPKI_PREFIX + self.point

    @cached_property
    def _default_z(self) -> bytes:
        return z_a(self.point)

    def signing_digest(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        prefix = self._default_z if user_id == DEFAULT_USER_ID else z_a(self.point, user_id)
        return _digest_with_prefix(prefix, message)

    def verify_digest(self, signature: bytes, digest: bytes) -> None:
        """Raise SignatureInvalid (SignatureMalformed for bad DER) unless `signature` signs e."""
        if len(digest) != SM3_DIGEST_SIZE:
            raise ValueError("SM2 verifies 32-byte SM3 digests")
        decode_signature(signature)  # canonical DER in range, so the library sees nothing odd
        try:
            valid = gmssl_pyx.sm2_verify_sm3_digest(self.point, digest, signature)
        except gmssl_pyx.GmsslInnerError:
            valid = False
        if not valid:
            raise SignatureInvalid("signature does not verify")

    def verify(self, signature: bytes, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> None:
        self.verify_digest(signature, self.signing_digest(message, user_id))

    def encrypt(self, plaintext: bytes) -> bytes:
        """SM2 public-key encryption; the SM2Cipher DER (C1 C3 C2)."""
        if not 1 <= len(plaintext) <= MAX_PLAINTEXT_SIZE:
            raise ValueError(f"SM2 encrypts 1-{MAX_PLAINTEXT_SIZE} bytes")
        return bytes(gmssl_pyx.sm2_encrypt(self.point, plaintext))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sm2PublicKey) and other.point == self.point

    def __hash__(self) -> int:
        return hash(self.point)

    def __repr__(self) -> str:
        return f"<Sm2PublicKey {self.point[:8].hex()}…>"


class Sm2PrivateKey:
    """A private scalar d and its public key. Signs digests, decrypts; never printed."""

    __slots__ = ("_scalar", "public_key")

    def __init__(self, scalar: bytes, public_key: Sm2PublicKey, *, check_pair: bool = True):
        if len(scalar) != 32 or not 1 <= int.from_bytes(scalar, "big") <= N - 2:
            raise UnsupportedAlgorithm("SM2 private keys must lie in [1, n-2]")
        self._scalar = bytes(scalar)
        self.public_key = public_key
        if check_pair:
            self._check_pair()

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        point, scalar = gmssl_pyx.sm2_key_generate()
        return cls(bytes(scalar), Sm2PublicKey(bytes(point)), check_pair=False)

    @classmethod
    def from_pkcs8(cls, pkcs8_der: bytes, *, check_pair: bool = True) -> Sm2PrivateKey:
        """UnsupportedAlgorithm unless a PKCS#8 SM2 key with its public point (as OpenSSL writes)."""
        try:
            info = asn1_keys.PrivateKeyInfo.load(pkcs8_der, strict=True)
            algorithm = info["private_key_algorithm"]
            curve = algorithm["parameters"].chosen
            if algorithm["algorithm"].dotted != EC_PUBLIC_KEY_OID or curve.dotted != SM2_CURVE_OID:
                raise ValueError("not SM2")
            ec_key = info["private_key"].parsed
            scalar = int(ec_key["private_key"].native).to_bytes(32, "big")
            point = ec_key["public_key"].native
        except UnsupportedAlgorithm:
            raise
        except Exception:  # asn1crypto raises ValueError, TypeError, KeyError, ... on bad input
            raise UnsupportedAlgorithm("not an SM2 private key")
        if not point:
            raise UnsupportedAlgorithm("the SM2 private key does not carry its public key")
        return cls(scalar, Sm2PublicKey(bytes(point)), check_pair=check_pair)

    def to_pkcs8(self) -> bytes:
        ec_private_key = der.sequence(
            der.integer(1),
            der.octet_string(self._scalar),
            der.explicit(1, der.bit_string(b"\x04" + self.public_key.point)),
        )
        return der.sequence(der.integer(0), _ALGORITHM_IDENTIFIER, der.octet_string(ec_private_key))

    def private_bytes(self) -> bytes:
        """The 32-byte scalar d, for SM2EnvelopedKey delivery only."""
        return self._scalar

    def sign_digest(self, digest: bytes) -> bytes:
        """DER signature of e (a 32-byte SM3 digest computed with `signing_digest`)."""
        if len(digest) != SM3_DIGEST_SIZE:
            raise ValueError("SM2 signs 32-byte SM3 digests")
        return bytes(gmssl_pyx.sm2_sign_sm3_digest(self._scalar, digest))

    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
        return self.sign_digest(self.public_key.signing_digest(message, user_id))

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Plaintext of an SM2Cipher; DecryptionFailed for anything that does not open."""
        decode_ciphertext(ciphertext)  # strict DER first: the library is not a parser of record
        try:
            return bytes(gmssl_pyx.sm2_decrypt(self._scalar, ciphertext))
        except gmssl_pyx.GmsslInnerError:
            raise DecryptionFailed("SM2 ciphertext does not decrypt with this key")

    def _check_pair(self) -> None:
        probe = secrets.token_bytes(SM3_DIGEST_SIZE)
        try:
            self.public_key.verify_digest(self.sign_digest(probe), probe)
        except SignatureInvalid:
            raise UnsupportedAlgorithm("the SM2 private key does not match its public key")

    def __repr__(self) -> str:
        return f"<Sm2PrivateKey for {self.public_key!r}>"


# --- SM2Cipher -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sm2Cipher:
    x: int
    y: int
    hash: bytes
    ciphertext: bytes


def decode_ciphertext(data: bytes) -> Sm2Cipher:
    """The parts of an SM2Cipher (GM/T 0009); DecryptionFailed unless strict DER with a C1 on the curve."""
    try:
        reader = der.read_sequence(data)
        x, y = reader.read_unsigned(), reader.read_unsigned()
        digest, ciphertext = reader.read(der.OCTET_STRING), reader.read(der.OCTET_STRING)
        reader.expect_end()
    except der.DerError as exc:
        raise DecryptionFailed(f"not an SM2Cipher: {exc}")
    if len(digest) != SM3_DIGEST_SIZE or not ciphertext or not SM2P256V1.contains(x, y):
        raise DecryptionFailed("not an SM2Cipher")
    return Sm2Cipher(x, y, digest, ciphertext)


# --- SM4 -------------------------------------------------------------------------------------


def _sm4_ecb(key: bytes) -> Cipher[modes.ECB]:
    if len(key) != SM4_KEY_SIZE:
        raise ValueError("SM4 keys are 16 bytes")
    # ECB because GM/T 0009 wraps a random 32-byte private key with it; never for other data.
    return Cipher(algorithms.SM4(key), modes.ECB())  # noqa: S305


def sm4_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    """SM4-ECB without padding (whole 16-byte blocks), as SM2EnvelopedKey uses it."""
    if not data or len(data) % 16:
        raise ValueError("SM4-ECB encrypts whole 16-byte blocks")
    encryptor = _sm4_ecb(key).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def sm4_ecb_decrypt(key: bytes, data: bytes) -> bytes:
    if not data or len(data) % 16:
        raise DecryptionFailed("SM4-ECB ciphertext must be whole 16-byte blocks")
    decryptor = _sm4_ecb(key).decryptor()
    return decryptor.update(data) + decryptor.finalize()
