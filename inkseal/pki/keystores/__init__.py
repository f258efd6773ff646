"""Where private keys live. One interface; the backend is a setting.

- `soft.SoftKeystore`: the embedded default. Keys are PKCS#8 DER sealed with AES-256-GCM under a
  key-encryption key (KEK) that lives outside the database; blobs go to an injected `BlobStore`.
- `pkcs11.Pkcs11Keystore`: keys generated inside a PKCS#11 token (an HSM; SoftHSM2 in tests) as
  sensitive, non-extractable objects; signing happens in the token.

Both hand out `KeyHandle`s, so CA keys and cloud-certificate keys sign through the same code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from inkseal.pki.algorithms import Algorithm, KeyHandle, PublicKey

MAX_LABEL_LENGTH = 128


def check_label(label: str) -> str:
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise ValueError(f"key label must be 1-{MAX_LABEL_LENGTH} characters")
    return label


class Keystore(ABC):
    backend: str  # "soft", "pkcs11": stored beside each key id

    @abstractmethod
    def generate_key(self, algorithm: Algorithm, label: str) -> str:
        """Make a key pair of `algorithm`; returns its key id (hex, at most 64 characters)."""

    @abstractmethod
    def signer(self, key_id: str) -> KeyHandle:
        """A handle that signs with the key; KeyNotFound if there is none."""

    @abstractmethod
    def public_key(self, key_id: str) -> PublicKey: ...

    @abstractmethod
    def destroy_key(self, key_id: str) -> None:
        """Remove the key for good (KeyNotFound if absent)."""


__all__ = ["MAX_LABEL_LENGTH", "Keystore", "check_label"]
