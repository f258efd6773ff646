"""Document photos at rest: AES-256-GCM under a key derived from the field key, bound to the row.

Files go through Django's storage API (local disk by default, object storage in production);
nothing under this prefix is ever served directly — the back office decrypts on request.
"""

from __future__ import annotations

import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from inkseal.core.secretbox import derive_key
from inkseal.identity.imagecheck import ImageFacts
from inkseal.identity.models import IdentityDocument, VerificationAttempt

PREFIX = "identity-documents"


def _key() -> AESGCM:
    return AESGCM(derive_key(settings.FIELD_KEY, "identity-documents"))


def _aad(name: str) -> bytes:
    return f"identity-document:{name}".encode()


def store(attempt: VerificationAttempt, kind: str, data: bytes, facts: ImageFacts) -> IdentityDocument:
    name = f"{PREFIX}/{attempt.reference}/{uuid.uuid4().hex}.bin"
    nonce = os.urandom(12)
    saved = default_storage.save(name, ContentFile(nonce + _key().encrypt(nonce, data, _aad(name))))
    return IdentityDocument.objects.create(
        attempt=attempt,
        kind=kind,
        storage_name=saved,
        content_type=facts.content_type,
        size=facts.size,
        width=facts.width,
        height=facts.height,
        sha256=facts.sha256,
    )


def read(document: IdentityDocument) -> bytes:
    with default_storage.open(document.storage_name, "rb") as handle:
        blob = handle.read()
    return _key().decrypt(blob[:12], blob[12:], _aad(document.storage_name))
