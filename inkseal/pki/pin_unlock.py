"""The holder's side of PIN locks (see `pins`): what is locked now, for the certificate page, and
unlocking everything with an SMS code to the holder's verified phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.models import Person, VerificationState
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.core.errors import PermissionDenied
from inkseal.core.masking import mask_phone
from inkseal.notify.services import send_code, verify_code
from inkseal.pki.models import Certificate
from inkseal.pki.pins import _audit, _check_pin_certificate, _scope_name


@dataclass(frozen=True)
class ActiveLock:
    where: str
    until: datetime


def active_locks(certificate: Certificate, now: datetime | None = None) -> list[ActiveLock]:
    """What is locked now, widest first, for the certificate page."""
    now = now or timezone.now()
    found = []
    if certificate.pin_locked_until is not None and certificate.pin_locked_until > now:
        found.append(ActiveLock(str(_("整张证书（多个交易平台多次输入错误）")), certificate.pin_locked_until))
    rows = certificate.pin_lockouts.filter(locked_until__gt=now).order_by("-scope", "locked_until")
    found += [ActiveLock(_scope_name(r.scope, r.key, r.label), r.locked_until) for r in rows if r.locked_until]
    return found


def _unlock_purpose(certificate: Certificate) -> str:
    return f"pin_unlock:{certificate.pk}"


def _check_unlocker(person: Person) -> None:
    if person.verification_state != VerificationState.VERIFIED or not person.phone:
        raise PermissionDenied(_("请先完成实名认证，再通过短信验证码解锁 PIN 码。"))


def send_unlock_code(certificate: Certificate, person: Person, *, ip: str = "") -> str:
    """SMS code to the managing holder's verified phone, to unlock the certificate's PIN; returns
    the masked phone. The caller checked the person may manage the certificate."""
    _check_unlocker(person)
    _check_pin_certificate(certificate)
    send_code(person.phone, _unlock_purpose(certificate), ip, context=str(_("用于解锁云证书 PIN 码。")))
    return mask_phone(person.phone)


def do_unlock_pin(certificate: Certificate, person: Person, code: str, *, acting: Acting) -> None:
    """With the SMS code: clear every PIN lock and count of the certificate (audited)."""
    _check_unlocker(person)

    def unlock() -> None:
        locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        cleared = [f"{r.scope}:{r.key}" for r in locked.pin_lockouts.exclude(locked_until=None)]
        if locked.pin_locked_until is not None:
            cleared.insert(0, "certificate")
        locked.pin_lockouts.all().delete()
        locked.pin_failures, locked.pin_locked_until = 0, None
        locked.save(update_fields=["pin_failures", "pin_locked_until"])
        _audit(events.CERTIFICATE_PIN_UNLOCKED, locked, acting, cleared=cleared, method="sms")

    verify_code(person.phone, _unlock_purpose(certificate), code, and_then=unlock)
