"""PKCS#11 keystore (python-pkcs11): keys are made inside the token and never leave it.

Private keys are generated with CKA_SENSITIVE=true, CKA_EXTRACTABLE=false, CKA_TOKEN=true and
only the sign capability; CKA_ID is the key id (16 random bytes, hex outside) and CKA_LABEL the
caller's label. The digest is computed here and only the raw signature primitive runs in the
token (CKM_RSA_PKCS over a DigestInfo, CKM_ECDSA over the hash), so `sign` and `sign_digest`
share one path. What a token does per algorithm is data in `TOKEN_PROFILES`; an SM2 entry (vendor
mechanism) goes there when a token supports it.

One logged-in session serves the process, guarded by a lock: PKCS#11 sessions run one operation
at a time. Tokens with more throughput than one session can use would want a session pool.
"""

from __future__ import annotations

import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import pkcs11
from asn1crypto import keys as asn1_keys
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.exceptions import NoSuchKey, PKCS11Error, UserAlreadyLoggedIn
from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature, encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

from inkseal.core.cache import BoundedCache
from inkseal.pki.algorithms import (
    ECDSA_P256,
    RSA_2048,
    RSA_3072,
    Algorithm,
    EcdsaAlgorithm,
    KeyHandle,
    PublicKey,
    RsaAlgorithm,
    load_public_key,
)
from inkseal.pki.errors import KeyNotFound, KeystoreError, UnsupportedAlgorithm
from inkseal.pki.keystores import Keystore, check_label

# DER prefix of DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING digest } (RFC 8017 9.2).
_DIGEST_INFO_PREFIX = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}

_PRIVATE_TEMPLATE = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
}
_SIGN_ONLY = MechanismFlag.SIGN | MechanismFlag.VERIFY


class TokenProfile(ABC):
    """How one algorithm's keys are made, used and exported on a PKCS#11 token."""

    @abstractmethod
    def generate(self, session: pkcs11.Session, key_id: bytes, label: str) -> None: ...

    @abstractmethod
    def sign_digest(self, key: Any, algorithm: Algorithm, digest: bytes) -> bytes: ...


class RsaTokenProfile(TokenProfile):
    def __init__(self, algorithm: RsaAlgorithm):
        self.bits = algorithm.bits

    def generate(self, session: pkcs11.Session, key_id: bytes, label: str) -> None:
        session.generate_keypair(
            KeyType.RSA,
            self.bits,
            id=key_id,
            label=label,
            store=True,
            capabilities=_SIGN_ONLY,
            private_template=_PRIVATE_TEMPLATE,
        )

    def sign_digest(self, key: Any, algorithm: Algorithm, digest: bytes) -> bytes:
        return bytes(key.sign(_DIGEST_INFO_PREFIX[algorithm.hash_name] + digest, mechanism=Mechanism.RSA_PKCS))


class EcTokenProfile(TokenProfile):
    def __init__(self, algorithm: EcdsaAlgorithm):
        self.curve_name = algorithm.curve.name

    def generate(self, session: pkcs11.Session, key_id: bytes, label: str) -> None:
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(self.curve_name)}, local=True
        )
        params.generate_keypair(
            id=key_id,
            label=label,
            store=True,
            capabilities=_SIGN_ONLY,
            private_template=_PRIVATE_TEMPLATE,
        )

    def sign_digest(self, key: Any, algorithm: Algorithm, digest: bytes) -> bytes:
        return bytes(encode_ecdsa_signature(key.sign(digest, mechanism=Mechanism.ECDSA)))


TOKEN_PROFILES: dict[str, TokenProfile] = {
    RSA_2048.name: RsaTokenProfile(RSA_2048),
    RSA_3072.name: RsaTokenProfile(RSA_3072),
    ECDSA_P256.name: EcTokenProfile(ECDSA_P256),
}


def _export_rsa_public(key: pkcs11.PublicKey) -> bytes:
    rsa_public = asn1_keys.RSAPublicKey.load(encode_rsa_public_key(key))
    return bytes(asn1_keys.PublicKeyInfo.wrap(rsa_public, "rsa").dump())


def _export_ec_public(key: pkcs11.PublicKey) -> bytes:
    return bytes(encode_ec_public_key(key))


# SubjectPublicKeyInfo DER of a token public key, by PKCS#11 key type; the algorithm is then
# recognised from the SPKI like any other key.
PUBLIC_KEY_EXPORTERS: dict[KeyType, Callable[[pkcs11.PublicKey], bytes]] = {
    KeyType.RSA: _export_rsa_public,
    KeyType.EC: _export_ec_public,
}


def _profile(algorithm: Algorithm) -> TokenProfile:
    try:
        return TOKEN_PROFILES[algorithm.name]
    except KeyError:
        raise UnsupportedAlgorithm(f"{algorithm.label} keys are not supported on PKCS#11 tokens here")


_LIBS: dict[str, Any] = {}  # pkcs11.lib instances
_LIBS_LOCK = threading.Lock()


def _load_lib(module_path: str) -> Any:
    # A module may be initialised only once per process (C_Initialize), so share it.
    with _LIBS_LOCK:
        if module_path not in _LIBS:
            _LIBS[module_path] = pkcs11.lib(module_path)
        return _LIBS[module_path]


class TokenKeyHandle(KeyHandle):
    def __init__(self, keystore: Pkcs11Keystore, key: Any, public_key: PublicKey):
        self._keystore = keystore
        self._key = key
        self._public_key = public_key

    @property
    def algorithm(self) -> Algorithm:
        return self._public_key.algorithm

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    def sign_digest(self, digest: bytes) -> bytes:
        if len(digest) != self.algorithm.digest_size:
            raise ValueError(f"{self.algorithm.name} signs {self.algorithm.hash_name} digests")
        profile = _profile(self.algorithm)
        with self._keystore.token_call():
            return profile.sign_digest(self._key, self.algorithm, digest)


class Pkcs11Keystore(Keystore):
    backend = "pkcs11"

    def __init__(
        self, module_path: str, token_label: str, user_pin: str, *, cache_size: int | Callable[[], int] = 1024
    ):
        self._lock = threading.RLock()
        self._handles: BoundedCache[str, TokenKeyHandle] = BoundedCache(cache_size)
        try:
            self._session = _open_session(_load_lib(module_path).get_token(token_label=token_label), user_pin)
        except PKCS11Error as exc:
            raise KeystoreError(f"cannot open PKCS#11 token {token_label!r}: {type(exc).__name__}")

    def close(self) -> None:
        with self._lock:
            self._session.close()
        self._handles.clear()

    def token_call(self) -> _TokenCall:
        return _TokenCall(self._lock)

    def generate_key(self, algorithm: Algorithm, label: str) -> str:
        profile = _profile(algorithm)
        key_id = secrets.token_hex(16)
        with self.token_call():
            profile.generate(self._session, bytes.fromhex(key_id), check_label(label))
        return key_id

    def signer(self, key_id: str) -> KeyHandle:
        return self._handle(key_id)

    def public_key(self, key_id: str) -> PublicKey:
        return self._handle(key_id).public_key

    def destroy_key(self, key_id: str) -> None:
        self._handles.discard(key_id)
        with self.token_call():
            objects = list(self._session.get_objects({Attribute.ID: _key_id_bytes(key_id)}))
            if not objects:
                raise KeyNotFound(f"no key {key_id}")
            for obj in objects:
                obj.destroy()

    def is_extractable(self, key_id: str) -> bool:
        """For audits and tests: whether the token would ever export the private key."""
        with self.token_call():
            key = self._find(ObjectClass.PRIVATE_KEY, key_id)
            return bool(key[Attribute.EXTRACTABLE]) or not bool(key[Attribute.SENSITIVE])

    def _handle(self, key_id: str) -> TokenKeyHandle:
        handle = self._handles.get(key_id)
        if handle is None:
            with self.token_call():
                public = self._find(ObjectClass.PUBLIC_KEY, key_id)
                private = self._find(ObjectClass.PRIVATE_KEY, key_id)
                spki = self._export_public(public)
            handle = TokenKeyHandle(self, private, load_public_key(spki))
            self._handles.put(key_id, handle)
        return handle

    def _find(self, object_class: ObjectClass, key_id: str) -> Any:
        try:
            return self._session.get_key(object_class=object_class, id=_key_id_bytes(key_id))
        except NoSuchKey:
            raise KeyNotFound(f"no key {key_id}")

    def _export_public(self, public: pkcs11.PublicKey) -> bytes:
        exporter = PUBLIC_KEY_EXPORTERS.get(public.key_type)
        if exporter is None:
            raise UnsupportedAlgorithm(f"token key type {public.key_type} is not supported")
        return exporter(public)


def _open_session(token: Any, user_pin: str) -> Any:
    try:
        return token.open(rw=True, user_pin=user_pin)
    except UserAlreadyLoggedIn:
        # Login state belongs to the process, not the session: another keystore logged in already.
        return token.open(rw=True)


def _key_id_bytes(key_id: str) -> bytes:
    try:
        return bytes.fromhex(key_id)
    except ValueError:
        raise KeyNotFound(f"no key {key_id!r}")


class _TokenCall:
    """Serialise token calls and turn token failures into KeystoreError."""

    def __init__(self, lock: threading.RLock):
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self._lock.release()
        if isinstance(exc, PKCS11Error) and not isinstance(exc, NoSuchKey):
            raise KeystoreError(f"PKCS#11 token error: {type(exc).__name__}") from exc
