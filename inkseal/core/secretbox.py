"""Authenticated encryption of small secrets and personal data kept in the database.

AES-256-GCM under a key held outside the database (settings.FIELD_KEY, from var/secrets or the
environment). The purpose string is bound as associated data, so a ciphertext moved to another
column or row (when the row id is part of the purpose) does not decrypt.
Pure module: the key is passed in by callers (see core.fields for the Django side).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"v1"


def derive_key(master: str, label: str) -> bytes:
    return hmac.new(master.encode(), label.encode(), hashlib.sha256).digest()


def seal(master: str, plaintext: str, purpose: str) -> str:
    key = derive_key(master, "secretbox")
    nonce = os.urandom(12)
    data = AESGCM(key).encrypt(nonce, plaintext.encode(), purpose.encode())
    return (VERSION + b"." + base64.urlsafe_b64encode(nonce + data)).decode()


def open_(master: str, token: str, purpose: str) -> str:
    version, _, payload = token.encode().partition(b".")
    if version != VERSION:
        raise ValueError("unknown secretbox version")
    raw = base64.urlsafe_b64decode(payload)
    key = derive_key(master, "secretbox")
    return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode()


def blind_index(master: str, value: str, purpose: str) -> str:
    """Keyed hash for equality look-ups of a value we never store in the clear."""
    return hmac.new(derive_key(master, "index:" + purpose), value.encode(), hashlib.sha256).hexdigest()
