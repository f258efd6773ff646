"""Cloud certificate PIN (设置云证书PIN码): set once, change with the old PIN, verify before signing.

PINs are stored as Argon2id hashes (argon2-cffi: salted, slow; OWASP's m=19 MiB, t=2, p=1) of
the PIN peppered with a key kept outside the database (HMAC under a key derived from the field
key), so a database dump alone does not let anyone try the million six-digit PINs offline.
Verification is the library's constant-time comparison of a full hash computation.
`PIN_MAX_FAILURES` wrong PINs in a row lock signing with the certificate for
settings.PKI_PIN_LOCK_MINUTES, and the lock is audit-logged.

Failed attempts must outlive the refusal: every attempt is counted in its own transaction, and
the error is raised only after it commits. So call `verify_pin` before opening the signing
transaction, not inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.services import RequestContext
from inkseal.audit.services import Actor, record
from inkseal.core import secretbox
from inkseal.pki.errors import (
    CertificateNotForSigning,
    CertificateRevoked,
    PinAlreadySet,
    PinError,
    PinIncorrect,
    PinInvalid,
    PinLocked,
    PinNotSet,
)
from inkseal.pki.models import Certificate

PIN_MAX_FAILURES = 5
_PIN_FORMAT = re.compile(r"^[0-9]{6}$")
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # Argon2id


def _peppered(pin: str) -> bytes:
    # Not bound to the certificate: a renewal carries the PIN hash over to the new certificate.
    key = secretbox.derive_key(settings.FIELD_KEY, "pki-pin-pepper")
    return hmac.new(key, pin.encode(), hashlib.sha256).digest()


def check_new_pin(pin: str) -> str:
    if not _PIN_FORMAT.match(pin):
        raise PinInvalid(_("PIN 码须为 6 位数字。"))
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise PinInvalid(_("PIN 码过于简单，请勿使用相同或连续的数字。"))
    return pin


def _check_pin_certificate(certificate: Certificate) -> None:
    if certificate.medium != Certificate.Medium.CLOUD or not certificate.key_id:
        raise CertificateNotForSigning(_("仅云证书可以设置 PIN 码。"))
    if certificate.revoked_at is not None:
        raise CertificateRevoked(_("证书已吊销。"))


def _matches(certificate: Certificate, pin: str) -> bool:
    try:
        return _hasher.verify(certificate.pin_hash, _peppered(pin))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _audit(event: str, certificate: Certificate, actor: Actor, ctx: RequestContext, **data: object) -> None:
    record(
        event,
        actor=actor,
        ip=ctx.ip,
        identity=ctx.identity,
        target=f"certificate:{certificate.pk}",
        data={"serial": certificate.serial, **data},
    )


def _locked_message(until: datetime) -> str:
    return _("PIN 码错误次数过多，已锁定至 %(until)s，请稍后再试。") % {
        "until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
    }


def _attempt(certificate: Certificate, pin: str, now: datetime, actor: Actor, ctx: RequestContext) -> PinError | None:
    """Check `pin` against a locked row, counting a failure; the refusal to raise, or None."""
    if not certificate.pin_hash:
        return PinNotSet(_("尚未设置云证书 PIN 码。"))
    if certificate.pin_locked_until is not None and certificate.pin_locked_until > now:
        return PinLocked(_locked_message(certificate.pin_locked_until))
    if _matches(certificate, pin):
        if certificate.pin_failures or certificate.pin_locked_until:
            certificate.pin_failures, certificate.pin_locked_until = 0, None
            certificate.save(update_fields=["pin_failures", "pin_locked_until"])
        return None
    certificate.pin_failures += 1
    if certificate.pin_failures >= PIN_MAX_FAILURES:
        certificate.pin_failures = 0
        certificate.pin_locked_until = now + timedelta(minutes=settings.PKI_PIN_LOCK_MINUTES)
        certificate.save(update_fields=["pin_failures", "pin_locked_until"])
        _audit("certificate.pin_locked", certificate, actor, ctx, until=certificate.pin_locked_until)
        return PinLocked(_locked_message(certificate.pin_locked_until))
    certificate.save(update_fields=["pin_failures"])
    _audit("certificate.pin_failed", certificate, actor, ctx, failures=certificate.pin_failures)
    remaining = PIN_MAX_FAILURES - certificate.pin_failures
    return PinIncorrect(_("PIN 码错误，还可尝试 %(remaining)d 次。") % {"remaining": remaining}, remaining=remaining)


def verify_pin(
    certificate: Certificate, pin: str, *, actor: Actor, ctx: RequestContext | None = None, now: datetime | None = None
) -> None:
    """Raise PinNotSet / PinLocked / PinIncorrect unless `pin` is the certificate's PIN."""
    ctx = ctx or RequestContext()
    now = now or timezone.now()
    with transaction.atomic():
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        refusal = _attempt(locked, pin, now, actor, ctx)
    if refusal is not None:
        raise refusal


def set_pin(certificate: Certificate, pin: str, *, actor: Actor, ctx: RequestContext | None = None) -> None:
    """First PIN of a cloud certificate; changing an existing PIN needs `change_pin`."""
    ctx = ctx or RequestContext()
    check_new_pin(pin)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        _check_pin_certificate(locked)
        if locked.pin_hash:
            raise PinAlreadySet(_("已设置 PIN 码，请使用修改 PIN 码（需要原 PIN 码）。"))
        locked.pin_hash = _hasher.hash(_peppered(pin))
        locked.pin_failures, locked.pin_locked_until = 0, None
        locked.save(update_fields=["pin_hash", "pin_failures", "pin_locked_until"])
        _audit("certificate.pin_set", locked, actor, ctx)


def change_pin(
    certificate: Certificate,
    old_pin: str,
    new_pin: str,
    *,
    actor: Actor,
    ctx: RequestContext | None = None,
    now: datetime | None = None,
) -> None:
    """Change the PIN; a wrong old PIN counts towards the lock like any other wrong PIN."""
    ctx = ctx or RequestContext()
    now = now or timezone.now()
    check_new_pin(new_pin)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        _check_pin_certificate(locked)
        refusal = _attempt(locked, old_pin, now, actor, ctx)
        if refusal is None:
            locked.pin_hash = _hasher.hash(_peppered(new_pin))
            locked.save(update_fields=["pin_hash"])
            _audit("certificate.pin_change", locked, actor, ctx)
    if refusal is not None:
        raise refusal
