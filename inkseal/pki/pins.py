"""Cloud certificate PIN (设置云证书PIN码): set once, change with the old PIN, verify before signing.

PINs are stored as Argon2id hashes (argon2-cffi: salted, slow; OWASP's m=19 MiB, t=2, p=1) of
the PIN peppered with a key kept outside the database (HMAC under a key derived from the field
key), so a database dump alone does not let anyone try the million six-digit PINs offline.
Verification is the library's constant-time comparison of a full hash computation.

Lockout is scoped, so that whoever holds one platform's confirm links cannot lock the holder out
everywhere (a denial of service): `PIN_MAX_FAILURES` wrong PINs in one sign task lock PIN entry
for that task, `PIN_PLATFORM_MAX_FAILURES` in one trading platform's tasks lock it for that
platform (settings.PKI_PIN_LOCK_MINUTES, doubling with each lock in a row), and only locks on
`PIN_ATTACK_PLATFORMS` platforms within a day, evidence of a real attack, lock the certificate
itself (settings.PKI_PIN_CERTIFICATE_LOCK_HOURS; signing refused). SMS confirmation stays
available under a task or platform lock. Every failure and lock is audit-logged, platform and
certificate locks are sent to the holder by SMS and shown on the certificate page, and the holder
unlocks everything with an SMS code to their verified phone (`pin_unlock.do_unlock_pin`).

Failed attempts must outlive the refusal: every attempt is counted in its own transaction, and
the error is raised only after it commits. So call `verify_pin` before opening the signing
transaction, not inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.models import Membership, Party
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core import secretbox
from inkseal.core.acting import Acting
from inkseal.notify.backends import gateway
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
from inkseal.pki.models import Certificate, PinLockout

PIN_MAX_FAILURES = 5  # wrong PINs in one sign task (or portal form) lock it
PIN_PLATFORM_MAX_FAILURES = 10  # in one trading platform's tasks (or the portal) lock that platform
PIN_ATTACK_PLATFORMS = 2  # platforms locked within PIN_ATTACK_WINDOW lock the certificate itself
PIN_ATTACK_WINDOW = timedelta(hours=24)
PIN_MAX_LOCK = timedelta(days=7)  # a platform's lock doubles with each lock in a row, up to this
PORTAL = "portal"
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


def _audit(event: str, certificate: Certificate, acting: Acting, **data: object) -> None:
    record(
        event,
        **acting.audit(),
        target=f"certificate:{certificate.pk}",
        data={"serial": certificate.serial, **data},
    )


@dataclass(frozen=True)
class PinScope:
    """Where a PIN is being entered: a sign task (or a portal form) of a trading platform (or of
    the portal itself). Wrong PINs count and lock per task and per platform."""

    task: str
    platform: str
    label: str = ""  # the platform's name, as the holder knows it

    @classmethod
    def portal(cls, form: str = "portal") -> PinScope:
        return cls(task=form, platform=PORTAL)


def _scope_name(scope: str, key: str, label: str) -> str:
    if scope == PinLockout.Scope.TASK:
        return str(_("本次签章任务"))
    if key == PORTAL:
        return str(_("本平台（证书管理、自助签署）"))
    return str(_("交易平台“%(name)s”") % {"name": label or key})


def _until(when: datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def _locked(row: PinLockout | None, certificate: Certificate) -> PinLocked:
    """The refusal for a locked scope (row) or, row None, the locked certificate."""
    if row is None:
        assert certificate.pin_locked_until is not None
        message = _(
            "PIN 码在多个交易平台多次输入错误，证书 PIN 码已锁定至 %(until)s。"
            "证书持有人可在证书管理中通过短信验证码解锁。"
        ) % {"until": _until(certificate.pin_locked_until)}
        return PinLocked(message, scope="certificate", until=certificate.pin_locked_until.isoformat())
    assert row.locked_until is not None
    message = _("PIN 码错误次数过多，%(scope)s的 PIN 码验证已锁定至 %(until)s，可改用短信验证码确认。") % {
        "scope": _scope_name(row.scope, row.key, row.label),
        "until": _until(row.locked_until),
    }
    return PinLocked(message, scope=row.scope, until=row.locked_until.isoformat())


def _scope_rows(certificate: Certificate, scope: PinScope) -> tuple[PinLockout | None, PinLockout | None]:
    """The task's and the platform's rows, if any (read under the certificate's row lock)."""
    rows = PinLockout.objects.filter(
        Q(scope=PinLockout.Scope.TASK, key=scope.task) | Q(scope=PinLockout.Scope.PLATFORM, key=scope.platform),
        certificate=certificate,
    )
    by_scope = {row.scope: row for row in rows}
    return by_scope.get(PinLockout.Scope.TASK), by_scope.get(PinLockout.Scope.PLATFORM)


def _attempt(certificate: Certificate, pin: str, now: datetime, acting: Acting, scope: PinScope) -> PinError | None:
    """Check `pin` against a locked certificate row, counting a failure in the task's and the
    platform's scope; the refusal to raise, or None."""
    if not certificate.pin_hash:
        return PinNotSet(_("尚未设置云证书 PIN 码。"))
    if certificate.pin_locked_until is not None and certificate.pin_locked_until > now:
        return _locked(None, certificate)
    task_row, platform_row = _scope_rows(certificate, scope)
    for row in (platform_row, task_row):  # the wider lock first
        if row is not None and row.locked_until is not None and row.locked_until > now:
            return _locked(row, certificate)
    if _matches(certificate, pin):
        _reset_after_success(certificate, task_row, platform_row)
        return None
    return _count_failure(certificate, now, acting, scope, task_row, platform_row)


def _reset_after_success(certificate: Certificate, *rows: PinLockout | None) -> None:
    # the platform's lock count stays: it only decays with time (a run of locks keeps growing)
    for row in rows:
        if row is not None and (row.failures or row.locked_until):
            row.failures, row.locked_until = 0, None
            row.save(update_fields=["failures", "locked_until"])
    if certificate.pin_failures or certificate.pin_locked_until:
        certificate.pin_failures, certificate.pin_locked_until = 0, None
        certificate.save(update_fields=["pin_failures", "pin_locked_until"])


def _count_failure(
    certificate: Certificate,
    now: datetime,
    acting: Acting,
    scope: PinScope,
    task_row: PinLockout | None,
    platform_row: PinLockout | None,
) -> PinError:
    task_row = task_row or PinLockout(certificate=certificate, scope=PinLockout.Scope.TASK, key=scope.task)
    platform_row = platform_row or PinLockout(
        certificate=certificate, scope=PinLockout.Scope.PLATFORM, key=scope.platform
    )
    platform_row.label = scope.label[:128]
    task_row.label = scope.label[:128]
    task_row.failures += 1
    platform_row.failures += 1
    certificate.pin_failures = min(certificate.pin_failures + 1, 32767)
    certificate.save(update_fields=["pin_failures"])
    locked: list[PinLockout] = []
    if task_row.failures >= PIN_MAX_FAILURES:
        _lock(task_row, now, timedelta(minutes=settings.PKI_PIN_LOCK_MINUTES))
        locked.append(task_row)
    if platform_row.failures >= PIN_PLATFORM_MAX_FAILURES:
        if platform_row.last_locked_at is None or platform_row.last_locked_at < now - PIN_ATTACK_WINDOW:
            platform_row.locks = 0  # the last lock is long past: start again from the base time
        base = timedelta(minutes=settings.PKI_PIN_LOCK_MINUTES)
        _lock(platform_row, now, min(base * 2**platform_row.locks, PIN_MAX_LOCK))
        locked.append(platform_row)
    task_row.save()
    platform_row.save()
    where = {"task": scope.task, "platform": scope.platform}
    if not locked:
        _audit(events.CERTIFICATE_PIN_FAILED, certificate, acting, failures=task_row.failures, **where)
        remaining = min(PIN_MAX_FAILURES - task_row.failures, PIN_PLATFORM_MAX_FAILURES - platform_row.failures)
        return PinIncorrect(
            _("PIN 码错误，还可尝试 %(remaining)d 次。") % {"remaining": remaining}, remaining=remaining
        )
    for row in locked:
        _audit(events.CERTIFICATE_PIN_LOCKED, certificate, acting, scope=row.scope, until=row.locked_until, **where)
    if platform_row in locked:
        _tell_holder(certificate, _scope_name(platform_row.scope, platform_row.key, platform_row.label), platform_row)
        if _under_attack(certificate, now):
            certificate.pin_locked_until = now + timedelta(hours=settings.PKI_PIN_CERTIFICATE_LOCK_HOURS)
            certificate.save(update_fields=["pin_locked_until"])
            _audit(
                events.CERTIFICATE_PIN_LOCKED, certificate, acting, scope="certificate",
                until=certificate.pin_locked_until, **where,
            )  # fmt: skip
            _tell_holder(certificate, "", None)
            return _locked(None, certificate)
    return _locked(locked[-1], certificate)


def _lock(row: PinLockout, now: datetime, duration: timedelta) -> None:
    row.failures = 0
    row.locks += 1
    row.locked_until = now + duration
    row.last_locked_at = now


def _under_attack(certificate: Certificate, now: datetime) -> bool:
    """Evidence of a real attack: wrong PINs locked several platforms within the window."""
    platforms = PinLockout.objects.filter(
        certificate=certificate, scope=PinLockout.Scope.PLATFORM, last_locked_at__gte=now - PIN_ATTACK_WINDOW
    )
    return platforms.values("key").distinct().count() >= PIN_ATTACK_PLATFORMS


def _holder_phones(certificate: Certificate) -> list[str]:
    party = certificate.holder
    if party.kind == Party.Kind.PERSON:
        return [party.person.phone]
    admins = Membership.objects.filter(enterprise__party=party, role=Membership.Role.ADMIN)
    return sorted(set(admins.values_list("person__phone", flat=True)))


def _tell_holder(certificate: Certificate, where: str, row: PinLockout | None) -> None:
    """SMS to the holder (an enterprise's administrators) once the lock commits."""
    if row is not None and row.locked_until is not None:
        body = _(
            "【Inkseal】您的云证书（序列号尾号%(tail)s）在%(where)s多次输入错误的 PIN 码，该处的 PIN 码验证已锁定至"
            " %(until)s，其他平台不受影响。如非本人操作，请登录证书管理查看，可通过短信验证码解锁。"
        ) % {"tail": certificate.serial[-8:], "where": where, "until": _until(row.locked_until)}
    else:
        assert certificate.pin_locked_until is not None
        body = _(
            "【Inkseal】您的云证书（序列号尾号%(tail)s）在多个交易平台多次输入错误的 PIN 码，疑似遭受攻击，证书已锁定至"
            " %(until)s。请登录证书管理查看，可通过短信验证码解锁。"
        ) % {"tail": certificate.serial[-8:], "until": _until(certificate.pin_locked_until)}
    phones = _holder_phones(certificate)

    def send() -> None:
        for phone in phones:
            gateway().send(phone, body, "pki.pin_locked")

    transaction.on_commit(send)


def verify_pin(
    certificate: Certificate,
    pin: str,
    *,
    acting: Acting,
    scope: PinScope | None = None,
    now: datetime | None = None,
) -> None:
    """Raise PinNotSet / PinLocked / PinIncorrect unless `pin` is the certificate's PIN.
    `scope` says where it is entered (the portal when None): wrong PINs count and lock there."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        refusal = _attempt(locked, pin, now, acting, scope or PinScope.portal())
    if refusal is not None:
        raise refusal


def set_pin(certificate: Certificate, pin: str, *, acting: Acting) -> None:
    """First PIN of a cloud certificate; changing an existing PIN needs `change_pin`."""
    check_new_pin(pin)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        _check_pin_certificate(locked)
        if locked.pin_hash:
            raise PinAlreadySet(_("已设置 PIN 码，请使用修改 PIN 码（需要原 PIN 码）。"))
        locked.pin_hash = _hasher.hash(_peppered(pin))
        locked.pin_failures, locked.pin_locked_until = 0, None
        locked.save(update_fields=["pin_hash", "pin_failures", "pin_locked_until"])
        _audit(events.CERTIFICATE_PIN_SET, locked, acting)


def change_pin(
    certificate: Certificate,
    old_pin: str,
    new_pin: str,
    *,
    acting: Acting,
    now: datetime | None = None,
) -> None:
    """Change the PIN; a wrong old PIN counts towards the lock like any other wrong PIN."""
    now = now or timezone.now()
    check_new_pin(new_pin)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        _check_pin_certificate(locked)
        refusal = _attempt(locked, old_pin, now, acting, PinScope.portal("pin-change"))
        if refusal is None:
            locked.pin_hash = _hasher.hash(_peppered(new_pin))
            locked.save(update_fields=["pin_hash"])
            _audit(events.CERTIFICATE_PIN_CHANGE, locked, acting)
    if refusal is not None:
        raise refusal
