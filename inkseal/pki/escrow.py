"""Key management (密钥管理) of dual certificates: the escrowed encryption key leaves the escrow
only as an SM2EnvelopedKey (pki.dual), never in the clear.

- delivery: the holder's client tool fetches the encryption key of a UKEY pair sealed to the
  token's signing key (the key of the certificate the token requested), so only the token opens it;
- recovery (密钥恢复): an operator with `pki.recover_encryption_key` seals the escrowed key of an
  encryption certificate (any status: old keys are what recovery is for) to a usable SM2 signing
  certificate of the same holder, e.g. the replacement UKEY's, giving a reason.

Both write an audit entry (who, which certificate, to which key, why) in their transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import SM2
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.dual import seal_enveloped_key
from inkseal.pki.errors import CertificateMalformed, EncryptionKeyUnavailable, KeyRecoveryInvalid
from inkseal.pki.keystore_config import ESCROW_BACKEND, escrow_keystore
from inkseal.pki.models import Certificate
from inkseal.pki.status import USABLE, certificate_status
from inkseal.pki.x509 import load_certificate

MAX_REASON_LENGTH = 255


@dataclass(frozen=True)
class EncryptionKeyDelivery:
    """What the token installs: the encryption certificate and its key sealed to the signing key."""

    encryption_certificate: Certificate
    envelope: bytes  # SM2EnvelopedKey DER


def _audit(event: str, certificate: Certificate, acting: Acting, **data: Any) -> None:
    record(
        event,
        **acting.audit(),
        target=f"certificate:{certificate.pk}",
        data={"serial": certificate.serial, "ca": certificate.ca_name, **data},
    )


def _seal_to(encryption: Certificate, recipient: Certificate) -> bytes:
    if encryption.key_backend != ESCROW_BACKEND or not encryption.key_id:
        raise EncryptionKeyUnavailable(_("该证书没有托管的加密密钥。"))
    key = escrow_keystore().private_key(encryption.key_id)
    return seal_enveloped_key(key, parsed_certificate(bytes(recipient.der)).public_key)


# --- delivery to the UKEY --------------------------------------------------------------------


def check_key_delivery(signing: Certificate, now: datetime | None = None) -> Certificate:
    """The encryption certificate whose key the token of `signing` may receive now."""
    encryption = None if signing.is_encryption else signing.pair()
    if encryption is None or signing.medium != Certificate.Medium.UKEY:
        raise EncryptionKeyUnavailable(_("该证书没有需要写入 UKEY 的加密密钥（仅 UKEY 双证书有）。"))
    now = now or timezone.now()
    if certificate_status(signing, now=now) not in USABLE:
        raise EncryptionKeyUnavailable(_("签名证书已吊销、过期或已续期，不能再下载加密密钥。"))
    return encryption


def deliver_encryption_key(signing: Certificate, *, acting: Acting) -> EncryptionKeyDelivery:
    """The UKEY pair's encryption key as an SM2EnvelopedKey to the token's signing key (a fresh
    envelope each call; each one audited)."""
    encryption = check_key_delivery(signing)
    with transaction.atomic():
        envelope = _seal_to(encryption, signing)
        _audit(events.CERTIFICATE_KEY_DELIVER, encryption, acting, to=signing.serial, ukey_serial=signing.ukey_serial)
    return EncryptionKeyDelivery(encryption, envelope)


# --- recovery by an operator -----------------------------------------------------------------


def check_recovery_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise KeyRecoveryInvalid(_("请填写密钥恢复原因（不超过 255 个字）。"))
    return reason


def check_recovery_recipient(encryption: Certificate, recipient: bytes) -> Certificate:
    """The certificate (PEM or DER) the envelope is sealed to: one of ours, SM2, signing, usable,
    held by the encryption certificate's holder. Anything else is refused."""
    try:
        parsed = load_certificate(recipient)
    except CertificateMalformed:
        raise KeyRecoveryInvalid(_("接收证书不是有效的 X.509 证书（PEM 或 DER）。"))
    found = Certificate.objects.filter(fingerprint=parsed.sha256_fingerprint, issuer__isnull=False).first()
    if (
        found is None
        or found.holder_id != encryption.holder_id
        or found.usage != Certificate.Usage.SIGNING
        or found.algorithm != SM2.name
    ):
        raise KeyRecoveryInvalid(_("接收证书须为本平台签发给同一持有人的 SM2 签名证书。"))
    if certificate_status(found) not in USABLE:
        raise KeyRecoveryInvalid(_("接收证书已吊销、过期或已续期，请使用持有人当前有效的签名证书。"))
    return found


def recover_encryption_key(
    encryption: Certificate,
    *,
    recipient: bytes,
    reason: str,
    acting: Acting,
) -> bytes:
    """密钥恢复: the escrowed key of `encryption` as an SM2EnvelopedKey sealed to `recipient`."""
    if not encryption.is_encryption:
        raise EncryptionKeyUnavailable(_("只有加密证书的托管密钥可以恢复。"))
    reason = check_recovery_reason(reason)
    target = check_recovery_recipient(encryption, recipient)
    with transaction.atomic():
        envelope = _seal_to(encryption, target)
        _audit(
            events.CERTIFICATE_KEY_RECOVER,
            encryption,
            acting,
            reason=reason,
            recipient=target.serial,
            recipient_fingerprint=target.fingerprint,
            ukey_serial=target.ukey_serial,
        )
    return envelope
