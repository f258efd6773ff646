"""What the signing code needs: whether a certificate may sign at an instant, its row locked for
the signing transaction, and its key handle, certificate and chain (`signing_key_for`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.pki.algorithms import KeyHandle
from inkseal.pki.errors import (
    CertificateExpired,
    CertificateNotForSigning,
    CertificateRevoked,
    CertificateSuperseded,
    PinLocked,
)
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate
from inkseal.pki.services._common import Medium, Usage
from inkseal.pki.services.chain_cache import certificate_chain
from inkseal.pki.status import is_superseded


@dataclass(frozen=True)
class SigningKey:
    """A usable cloud key: the handle signs (`sign(data)`), the certificate and chain go in the CMS."""

    certificate: Certificate
    signer: KeyHandle
    certificate_der: bytes
    chain: tuple[bytes, ...]  # issuing CA first, root last


def check_can_sign(certificate: Certificate, at: datetime) -> None:
    """Raise unless the certificate's cloud key may sign at `at` (revocation, validity, PIN lock)."""
    if certificate.usage != Usage.SIGNING or certificate.medium != Medium.CLOUD or not certificate.key_id:
        raise CertificateNotForSigning(_("该证书不能用于云端签章（仅云签名证书可以）。"))
    if certificate.revoked_at is not None and certificate.revoked_at <= at:
        raise CertificateRevoked(_("证书已吊销，不能签章。"))
    if not certificate.not_before <= at <= certificate.not_after:
        raise CertificateExpired(_("证书不在有效期内，不能签章。"))
    if is_superseded(certificate, at):
        raise CertificateSuperseded(_("证书已续期，请使用续期后的新证书签章。"))
    if certificate.pin_locked_until is not None and certificate.pin_locked_until > at:
        raise PinLocked(
            _("PIN 码错误次数过多，证书已锁定至 %(until)s。")
            % {"until": timezone.localtime(certificate.pin_locked_until).strftime("%Y-%m-%d %H:%M")}
        )


def certificate_for_signing(certificate: Certificate | int, at: datetime) -> Certificate:
    """The certificate row (not locked) checked able to sign at `at`: to prepare a signature
    whose transaction then checks again under lock_for_signing before anything is stored."""
    pk = certificate if isinstance(certificate, int) else certificate.pk
    row = Certificate.objects.select_related("renewed_by").get(pk=pk)
    check_can_sign(row, at)
    return row


def lock_for_signing(certificate: Certificate | int, at: datetime) -> Certificate:
    """The certificate row, locked and checked able to sign at `at`: call it inside the signing
    transaction so that a revocation either waits for it or is seen by it."""
    pk = certificate if isinstance(certificate, int) else certificate.pk
    with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
        locked = (
            Certificate.objects.select_for_update(of=("self",), no_key=True)
            .select_related("renewed_by")  # the superseded check, in the same query
            .get(pk=pk)
        )
    check_can_sign(locked, at)  # a refusal leaves the caller's transaction usable
    return locked


def signing_key(locked: Certificate) -> SigningKey:
    """The key handle, certificate and chain of a certificate `lock_for_signing` returned."""
    signer = keystore(locked.key_backend).signer(locked.key_id)
    return SigningKey(locked, signer, bytes(locked.der), certificate_chain(locked))


def signing_key_for(certificate: Certificate | int, *, at: datetime | None = None) -> SigningKey:
    """The key handle, certificate and chain to sign with, checked under a row lock: call it inside
    the signing transaction so that a revocation either waits for it or is seen by it."""
    with transaction.atomic():
        return signing_key(lock_for_signing(certificate, at or timezone.now()))
