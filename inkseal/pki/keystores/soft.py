"""The embedded soft keystore: private keys sealed under a key-encryption key kept outside the DB.

Each key is serialised as PKCS#8 DER and encrypted with AES-256-GCM under the KEK; the blob's
header (format, KEK fingerprint, algorithm, label) and the key id are the associated data, so a
blob copied to another key id, or edited, does not open. A database dump therefore holds no
usable key. The blobs themselves go to an injected `BlobStore` (a table in the Django layer,
`MemoryBlobStore` / `DirectoryBlobStore` here).

KEK rotation: construct the keystore with the new KEK and the old ones in `previous_keks`, then
`rewrap()` every key id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from inkseal.core.cache import BoundedCache
from inkseal.pki.algorithms import Algorithm, KeyHandle, PublicKey, SoftKey, get_algorithm
from inkseal.pki.errors import InvalidKek, KeyNotFound, KeyUnwrapFailed, UnsupportedAlgorithm
from inkseal.pki.keystores import Keystore, check_label

MAGIC = b"ISK1"
_AAD_PREFIX = b"inkseal/soft-key/v1|"
_NONCE_SIZE = 12
_KEY_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class BlobStore(Protocol):
    """Storage of wrapped key blobs by key id (a database table in production)."""

    def put(self, key_id: str, blob: bytes) -> None:
        """Insert or replace."""

    def get(self, key_id: str) -> bytes:
        """The blob; KeyNotFound if absent."""

    def delete(self, key_id: str) -> None:
        """Remove; KeyNotFound if absent."""


class MemoryBlobStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, key_id: str, blob: bytes) -> None:
        self.blobs[key_id] = blob

    def get(self, key_id: str) -> bytes:
        try:
            return self.blobs[key_id]
        except KeyError:
            raise KeyNotFound(f"no key {key_id}")

    def delete(self, key_id: str) -> None:
        if self.blobs.pop(key_id, None) is None:
            raise KeyNotFound(f"no key {key_id}")


class DirectoryBlobStore:
    """One file per key, mode 0600, replaced atomically (write a temp file, then rename)."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, key_id: str) -> Path:
        if not _KEY_ID_RE.match(key_id):
            raise KeyNotFound(f"no key {key_id!r}")
        return self.directory / f"{key_id}.key"

    def put(self, key_id: str, blob: bytes) -> None:
        _write_private_file(self._path(key_id), blob)

    def get(self, key_id: str) -> bytes:
        try:
            return self._path(key_id).read_bytes()
        except FileNotFoundError:
            raise KeyNotFound(f"no key {key_id}")

    def delete(self, key_id: str) -> None:
        try:
            self._path(key_id).unlink()
        except FileNotFoundError:
            raise KeyNotFound(f"no key {key_id}")


def _write_private_file(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class KeyEncryptionKey:
    """32 bytes of key material; its id is a fingerprint, so blobs say which KEK sealed them."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise InvalidKek("the key-encryption key must be 32 bytes")

    @property
    def kek_id(self) -> str:
        return hmac.new(self.secret, b"inkseal kek fingerprint", hashlib.sha256).hexdigest()[:16]

    @classmethod
    def generate(cls) -> KeyEncryptionKey:
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_text(cls, value: str | bytes) -> KeyEncryptionKey:
        """From base64 (44 characters) or hex (64 characters), e.g. an environment variable."""
        text = value.strip() if isinstance(value, bytes) else value.strip().encode()
        try:
            raw = bytes.fromhex(text.decode()) if len(text) == 64 else base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            raise InvalidKek("the key-encryption key must be base64 or hex")
        return cls(raw)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> KeyEncryptionKey:
        """From a file holding 32 raw bytes, or the text form of `from_text`."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidKek(f"cannot read the key-encryption key file: {exc.strerror}")
        return cls(data) if len(data) == 32 else cls.from_text(data)

    def write(self, path: str | os.PathLike[str]) -> None:
        """Save as base64 text, mode 0600, atomically."""
        _write_private_file(Path(path), base64.b64encode(self.secret) + b"\n")


@dataclass(frozen=True)
class _Header:
    kek_id: str
    algorithm: str
    label: str

    def encode(self) -> bytes:
        return MAGIC + b"".join(_field(v.encode()) for v in (self.kek_id, self.algorithm, self.label))


def _field(value: bytes) -> bytes:
    return struct.pack(">H", len(value)) + value


def _read_fields(blob: bytes, count: int) -> tuple[list[bytes], int]:
    fields, offset = [], len(MAGIC)
    for _ in range(count):
        (length,) = struct.unpack_from(">H", blob, offset)
        offset += 2
        value = blob[offset : offset + length]
        if len(value) != length:
            raise ValueError("truncated header")
        fields.append(value)
        offset += length
    return fields, offset


def _parse_blob(blob: bytes) -> tuple[_Header, bytes, bytes, bytes]:
    """(header, header bytes, nonce, ciphertext)."""
    if blob[: len(MAGIC)] != MAGIC:
        raise KeyUnwrapFailed("not a soft-keystore blob")
    try:
        (kek_id, algorithm, label), offset = _read_fields(blob, 3)
        header = _Header(kek_id.decode(), algorithm.decode(), label.decode())
    except (ValueError, struct.error, UnicodeDecodeError):
        raise KeyUnwrapFailed("damaged soft-keystore blob")
    nonce, ciphertext = blob[offset : offset + _NONCE_SIZE], blob[offset + _NONCE_SIZE :]
    if len(nonce) != _NONCE_SIZE or not ciphertext:
        raise KeyUnwrapFailed("damaged soft-keystore blob")
    return header, blob[:offset], nonce, ciphertext


def _aad(key_id: str, header_bytes: bytes) -> bytes:
    return _AAD_PREFIX + key_id.encode() + b"|" + header_bytes


class SoftKeystore(Keystore):
    backend = "soft"

    def __init__(
        self,
        store: BlobStore,
        kek: KeyEncryptionKey,
        *,
        previous_keks: Sequence[KeyEncryptionKey] = (),
        cache_size: int | Callable[[], int] = 1024,
    ):
        self.store = store
        self.kek = kek
        self._keks = {k.kek_id: k for k in (*previous_keks, kek)}
        self._cache: BoundedCache[str, SoftKey] = BoundedCache(cache_size)

    def generate_key(self, algorithm: Algorithm, label: str) -> str:
        return self.import_key(algorithm.generate_soft_key(), label)

    def import_key(self, key: SoftKey, label: str) -> str:
        """Seal an existing in-memory key (e.g. an escrowed encryption key); returns the new id."""
        key_id = secrets.token_hex(16)
        self.store.put(key_id, self._wrap(key_id, key, check_label(label)))
        self._cache.put(key_id, key)
        return key_id

    def signer(self, key_id: str) -> KeyHandle:
        return self._unwrapped(key_id)

    def public_key(self, key_id: str) -> PublicKey:
        # Through the authenticated unwrap, so an edited blob cannot substitute a public key.
        return self._unwrapped(key_id).public_key

    def private_key(self, key_id: str) -> SoftKey:
        """The key itself, for key escrow only: enveloping or recovering an encryption key."""
        return self._unwrapped(key_id)

    def destroy_key(self, key_id: str) -> None:
        self._cache.discard(key_id)
        self.store.delete(key_id)

    def rewrap(self, key_id: str) -> None:
        """Seal the key again under the current KEK (after rotation)."""
        header, *_ = _parse_blob(self.store.get(key_id))
        key = self._unwrapped(key_id)
        self.store.put(key_id, self._wrap(key_id, key, header.label))

    def _unwrapped(self, key_id: str) -> SoftKey:
        key = self._cache.get(key_id)
        if key is None:
            key = self._unwrap(key_id, self.store.get(key_id))
            self._cache.put(key_id, key)
        return key

    def _wrap(self, key_id: str, key: SoftKey, label: str) -> bytes:
        header = _Header(self.kek.kek_id, key.algorithm.name, label).encode()
        nonce = secrets.token_bytes(_NONCE_SIZE)
        ciphertext = AESGCM(self.kek.secret).encrypt(nonce, key.to_pkcs8(), _aad(key_id, header))
        return header + nonce + ciphertext

    def _unwrap(self, key_id: str, blob: bytes) -> SoftKey:
        header, header_bytes, nonce, ciphertext = _parse_blob(blob)
        kek = self._keks.get(header.kek_id)
        if kek is None:
            raise KeyUnwrapFailed(f"key {key_id} is sealed under an unknown KEK {header.kek_id}")
        try:
            pkcs8 = AESGCM(kek.secret).decrypt(nonce, ciphertext, _aad(key_id, header_bytes))
        except InvalidTag:
            raise KeyUnwrapFailed(f"key {key_id} does not open: tampered blob or wrong key id")
        try:
            return get_algorithm(header.algorithm).load_soft_key(pkcs8)
        except UnsupportedAlgorithm:
            raise KeyUnwrapFailed(f"key {key_id} has an unsupported algorithm {header.algorithm}")
