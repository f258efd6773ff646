"""Operator sign-in defences: throttling with growing locks per account and per IP, and TOTP.

Every failed sign-in (wrong password, wrong or replayed TOTP code) counts for the username as
typed (case-folded, whether or not such an operator exists, so that the answer never tells) and
for the client's IP, in the database. ACCOUNT_MAX_FAILURES failures lock the account and
IP_MAX_FAILURES the IP for settings.BACKOFFICE_LOGIN_LOCK_SECONDS, doubling with each lock in a
row (up to MAX_LOCK); while locked no password is even checked. Failures and locks are audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.backoffice import totp
from inkseal.backoffice.models import LoginThrottle, OperatorTotp
from inkseal.core import secretbox
from inkseal.core.errors import DomainError, PermissionDenied

ACCOUNT_MAX_FAILURES = 5
IP_MAX_FAILURES = 20
FAILURE_WINDOW = timedelta(hours=1)  # failures older than this are forgotten
LOCK_MEMORY = timedelta(hours=24)  # a lock older than this no longer makes the next one longer
MAX_LOCK = timedelta(days=1)


class LoginLocked(DomainError):
    code = "login_locked"
    status = 429
    default_message = gettext_lazy("登录失败次数过多，帐号已暂时锁定，请稍后再试。")


def operator_actor(user: Any) -> Actor:
    return Actor("operator", str(user.pk), user.get_username())


def _keys(username: str, ip: str) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = [(LoginThrottle.Scope.ACCOUNT, username.strip().casefold()[:150])]
    if ip:
        keys.append((LoginThrottle.Scope.IP, ip))
    return keys


def _locked_message(until: datetime) -> str:
    return _("登录失败次数过多，已暂时锁定，请于 %(until)s 后再试。") % {
        "until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M:%S")
    }


def check_not_locked(username: str, ip: str, now: datetime | None = None) -> None:
    """Raise LoginLocked while the account or the IP is locked."""
    now = now or timezone.now()
    for scope, key in _keys(username, ip):
        row = LoginThrottle.objects.filter(scope=scope, key=key, locked_until__gt=now).first()
        if row is not None and row.locked_until is not None:
            raise LoginLocked(_locked_message(row.locked_until), scope=scope)


def note_failure(username: str, ip: str, *, reason: str, now: datetime | None = None) -> LoginLocked | None:
    """Count a failed sign-in for the account and the IP (committed at once); the lock it
    earned, if any. The failure itself is audited by the caller (or Django's signal)."""
    now = now or timezone.now()
    lock: LoginLocked | None = None
    for scope, key in _keys(username, ip):
        with transaction.atomic():
            LoginThrottle.objects.get_or_create(scope=scope, key=key)
            row = LoginThrottle.objects.select_for_update().get(scope=scope, key=key)
            if row.last_failure_at is None or row.last_failure_at < now - FAILURE_WINDOW:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            limit = ACCOUNT_MAX_FAILURES if scope == LoginThrottle.Scope.ACCOUNT else IP_MAX_FAILURES
            if row.failures >= limit:
                if row.last_locked_at is None or row.last_locked_at < now - LOCK_MEMORY:
                    row.locks = 0
                base = timedelta(seconds=settings.BACKOFFICE_LOGIN_LOCK_SECONDS)
                row.locked_until = now + min(base * 2**row.locks, MAX_LOCK)
                row.locks += 1
                row.failures = 0
                row.last_locked_at = now
                record(
                    events.OPERATOR_LOGIN_LOCKED,
                    actor=Actor("anonymous", "", username.strip()[:64]),
                    ip=ip,
                    target=f"{scope}:{key}",
                    data={"scope": scope, "until": row.locked_until, "locks": row.locks, "reason": reason},
                )
                lock = LoginLocked(_locked_message(row.locked_until), scope=scope)
            row.save()
    return lock


def note_success(username: str) -> None:
    """A full sign-in (password and, when enrolled, TOTP) clears the account's count; the IP's
    stays, so that one known account cannot be used to reset an address guessing others."""
    LoginThrottle.objects.filter(scope=LoginThrottle.Scope.ACCOUNT, key=username.strip().casefold()[:150]).update(
        failures=0, locked_until=None
    )


# --- TOTP ---------------------------------------------------------------------------------------


class TotpInvalid(DomainError):
    code = "totp_invalid"
    default_message = gettext_lazy("请输入正确的动态验证码（每个验证码只能使用一次）。")


def _purpose(user: Any) -> str:
    return f"operator-totp:{user.pk}"


def _secret(row: OperatorTotp) -> bytes:
    return totp.from_base32(secretbox.open_(settings.FIELD_KEY, row.secret_sealed, _purpose(row.user)))


def has_totp(user: Any) -> bool:
    return OperatorTotp.objects.filter(user=user, confirmed_at__isnull=False).exists()


@dataclass(frozen=True)
class Enrolment:
    uri: str  # otpauth:// URI: shown once, as a QR code, to the operator enrolling


def start_enrolment(user: Any) -> Enrolment | None:
    """A pending secret for the operator (kept while unconfirmed), or None when already enrolled."""
    with transaction.atomic():
        row = OperatorTotp.objects.select_for_update().filter(user=user).first()
        if row is not None and row.confirmed_at is not None:
            return None
        if row is None:
            secret = totp.new_secret()
            sealed = secretbox.seal(settings.FIELD_KEY, totp.base32(secret), _purpose(user))
            row = OperatorTotp.objects.create(user=user, secret_sealed=sealed)
        return Enrolment(totp.provisioning_uri(_secret(row), user.get_username(), settings.BACKOFFICE_TOTP_ISSUER))


def confirm_enrolment(user: Any, code: str, *, ip: str = "", at: float | None = None) -> None:
    """The first code from the app confirms the enrolment (audited); TotpInvalid otherwise."""
    with transaction.atomic():
        row = OperatorTotp.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if row is None:
            raise TotpInvalid(_("没有待确认的动态验证码绑定，请刷新页面重新扫码。"))
        step = totp.matching_step(_secret(row), code, time.time() if at is None else at)
        if step is None:
            raise TotpInvalid(_("动态验证码不正确，请核对手机时间后重试。"))
        row.confirmed_at, row.last_step = timezone.now(), step
        row.save(update_fields=["confirmed_at", "last_step"])
        record(events.OPERATOR_TOTP_ENROLLED, actor=operator_actor(user), ip=ip, target=f"operator:{user.pk}")


def check_login_code(user: Any, code: str, *, at: float | None = None) -> bool:
    """Whether `code` is the enrolled operator's current code, not used before (then marked used)."""
    with transaction.atomic():
        row = OperatorTotp.objects.select_for_update().get(user=user, confirmed_at__isnull=False)
        step = totp.matching_step(_secret(row), code or "", time.time() if at is None else at)
        if step is None or step <= row.last_step:
            return False
        row.last_step = step
        row.save(update_fields=["last_step"])
        return True


def reset_totp(row: OperatorTotp, *, by: Any, ip: str = "", reason: str = "") -> None:
    """Recovery: another operator holding backoffice.reset_operator_totp removes the enrolment;
    the operator signs in with the password and enrols again. Audited."""
    if row.user_id == by.pk:
        raise PermissionDenied(_("不能重置自己的动态验证码，请联系其他有权限的运营人员。"))
    if not by.has_perm("backoffice.reset_operator_totp"):
        raise PermissionDenied(_("没有重置动态验证码的权限。"))
    with transaction.atomic():
        target = row.user
        row.delete()
        record(
            events.OPERATOR_TOTP_RESET,
            actor=operator_actor(by),
            ip=ip,
            target=f"operator:{target.pk}",
            data={"operator": target.get_username(), "reason": reason[:200]},
        )
