"""The keystores of this deployment: which backend holds new keys, and how to reach each one.

`INKSEAL_KEYSTORE` (settings.PKI_KEYSTORE) picks where new keys are made: `soft` (the default,
blobs in the `KeyBlob` table sealed under the KEK) or `pkcs11` (a token). Every stored key id
records its backend, so keys made before a switch keep working. Secrets are read from the
environment (or var/secrets), never from the database or settings:

- the key-encryption key: INKSEAL_KEK (base64 or hex), else var/secrets/kek (made on first use,
  mode 0600); previous KEKs for rotation in INKSEAL_KEK_PREVIOUS (comma-separated);
- the PKCS#11 user PIN: INKSEAL_PKCS11_PIN.

Key management (密钥管理, the escrow of dual certificates' encryption keys) is a soft keystore of
its own, whatever INKSEAL_KEYSTORE says: blobs in the `EscrowKeyBlob` table sealed under the
escrow KEK, INKSEAL_ESCROW_KEK (base64 or hex), else var/secrets/escrow-kek (made on first use,
mode 0600), with INKSEAL_ESCROW_KEK_PREVIOUS for rotation. It must differ from the signing
keystore's KEK (refused otherwise): whoever holds one of the two cannot open the other's keys.
Encryption certificates record their key as backend "escrow".
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from django.conf import settings

from inkseal.conf import var_dir
from inkseal.pki.algorithms import Algorithm, KeyHandle, PublicKey
from inkseal.pki.errors import KeyNotFound, KeystoreError
from inkseal.pki.keystores import Keystore
from inkseal.pki.keystores.soft import KeyEncryptionKey, SoftKeystore
from inkseal.pki.models import EscrowKeyBlob, KeyBlob

BACKENDS = ("soft", "pkcs11")
ESCROW_BACKEND = "escrow"

_keystores: dict[tuple[str, ...], Keystore] = {}
_lock = threading.Lock()


class DatabaseBlobStore:
    """The soft keystore's `BlobStore` on a blob table (KeyBlob, or EscrowKeyBlob for key
    management); joins the caller's transaction."""

    def __init__(self, model: type[KeyBlob] | type[EscrowKeyBlob] = KeyBlob):
        self.model = model

    def put(self, key_id: str, blob: bytes) -> None:
        self.model.objects.update_or_create(key_id=key_id, defaults={"blob": blob})

    def get(self, key_id: str) -> bytes:
        blob = self.model.objects.filter(key_id=key_id).values_list("blob", flat=True).first()
        if blob is None:
            raise KeyNotFound(f"no key {key_id}")
        return bytes(blob)

    def delete(self, key_id: str) -> None:
        deleted, _ = self.model.objects.filter(key_id=key_id).delete()
        if not deleted:
            raise KeyNotFound(f"no key {key_id}")


def kek_path() -> Path:
    return var_dir() / "secrets" / "kek"


def escrow_kek_path() -> Path:
    return var_dir() / "secrets" / "escrow-kek"


def load_keks() -> tuple[KeyEncryptionKey, list[KeyEncryptionKey]]:
    """The current KEK and the previous ones (for blobs sealed before a rotation)."""
    return _load("INKSEAL_KEK", kek_path())


def load_escrow_keks() -> tuple[KeyEncryptionKey, list[KeyEncryptionKey]]:
    """Key management's KEK and its previous ones; KeystoreError if it is the signing KEK."""
    current, previous = _load("INKSEAL_ESCROW_KEK", escrow_kek_path())
    if current.kek_id == load_keks()[0].kek_id:
        raise KeystoreError("the escrow KEK must differ from the signing keystore's KEK (INKSEAL_ESCROW_KEK)")
    return current, previous


def _load(variable: str, path: Path) -> tuple[KeyEncryptionKey, list[KeyEncryptionKey]]:
    text = os.environ.get(variable, "").strip()
    current = KeyEncryptionKey.from_text(text) if text else _kek_file(path)
    previous = [
        KeyEncryptionKey.from_text(t) for t in os.environ.get(f"{variable}_PREVIOUS", "").split(",") if t.strip()
    ]
    return current, previous


def _kek_file(path: Path) -> KeyEncryptionKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        candidate = path.with_name(f".{path.name}-{os.getpid()}")
        KeyEncryptionKey.generate().write(candidate)
        try:
            os.link(candidate, path)  # fails if another process won the race: use theirs
        except FileExistsError:
            pass
        finally:
            candidate.unlink(missing_ok=True)
    return KeyEncryptionKey.from_file(path)


def keystore(backend: str | None = None) -> Keystore:
    """The keystore for `backend` (default: where new keys go), one per process and configuration."""
    backend = backend or settings.PKI_KEYSTORE
    if backend == "soft":
        config: tuple[str, ...] = ("soft", str(kek_path()), os.environ.get("INKSEAL_KEK", ""))
    elif backend == "pkcs11":
        config = ("pkcs11", settings.PKI_PKCS11_MODULE, settings.PKI_PKCS11_TOKEN)
    else:
        raise KeystoreError(f"unknown keystore backend {backend!r} (INKSEAL_KEYSTORE: {', '.join(BACKENDS)})")
    with _lock:
        if config not in _keystores:
            _keystores[config] = _open(backend)
        return _keystores[config]


class StoredKey(KeyHandle):
    """A key named by its backend and id: each signature takes the handle from the keystore (its
    bounded cache, else a fresh unwrap or token lookup). Holding one keeps no unwrapped key or token
    handle alive, so whatever caches these (the signers per certificate) cannot push the number of
    keys in memory past PKI_KEY_CACHE_SIZE."""

    def __init__(self, backend: str, key_id: str, public_key: PublicKey):
        self.backend, self.key_id, self._public_key = backend, key_id, public_key

    @property
    def algorithm(self) -> Algorithm:
        return self._public_key.algorithm

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    def handle(self) -> KeyHandle:
        return keystore(self.backend).signer(self.key_id)

    def sign_digest(self, digest: bytes) -> bytes:
        return self.handle().sign_digest(digest)

    def sign(self, data: bytes) -> bytes:
        return self.handle().sign(data)


def escrow_keystore() -> SoftKeystore:
    """Key management's keystore (one per process and configuration): escrowed encryption keys."""
    environment = (os.environ.get("INKSEAL_ESCROW_KEK", ""), os.environ.get("INKSEAL_KEK", ""))
    config = (ESCROW_BACKEND, str(escrow_kek_path()), *environment)
    with _lock:
        store = _keystores.get(config)
        if store is None:
            current, previous = load_escrow_keks()
            # No cache: an escrowed key is opened only to seal an envelope, and not kept in memory.
            blobs = DatabaseBlobStore(EscrowKeyBlob)
            store = _keystores[config] = SoftKeystore(blobs, current, previous_keks=previous, cache_size=0)
    assert isinstance(store, SoftKeystore)
    return store


def _open(backend: str) -> Keystore:
    if backend == "soft":
        current, previous = load_keks()
        return SoftKeystore(DatabaseBlobStore(), current, previous_keks=previous, cache_size=_key_cache_size)
    from inkseal.pki.keystores.pkcs11 import Pkcs11Keystore

    return Pkcs11Keystore(
        settings.PKI_PKCS11_MODULE,
        settings.PKI_PKCS11_TOKEN,
        os.environ.get("INKSEAL_PKCS11_PIN", ""),
        cache_size=_key_cache_size,
    )


def _key_cache_size() -> int:
    """PKI_KEY_CACHE_SIZE: unwrapped keys (token handles) a keystore keeps, read as it caches one."""
    return int(settings.PKI_KEY_CACHE_SIZE)
