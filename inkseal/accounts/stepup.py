"""Step-up (二次验证): sensitive actions need a fresh proof, whatever the session's origin.

添加授权, PIN set/change, 吊销, seal changes and binding call `require_step_up(request, ...)`
right before their service: it passes when the session holds a step-up younger than
settings.STEP_UP_SECONDS, else it takes one from the same form — `step_up_code` (an SMS code sent
to the person's own phone, never a phone the request names) or `step_up_pin` (the PIN of the
certificate acted on) — and refuses with `step_up_required` otherwise. A PIN step-up counts only
for its certificate's holder; `sms_only` (an authorisation added in a platform's SSO session)
refuses the PIN. The step-up lives in the session with its time and person, and a new login
drops it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.accounts import session as portal_session
from inkseal.accounts.hooks import pin_check
from inkseal.accounts.models import Person
from inkseal.accounts.services import person_actor
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip
from inkseal.notify.services import send_code, verify_code

PURPOSE = "stepup"


class StepUpRequired(DomainError):
    code = "step_up_required"
    status = 403
    default_message = gettext_lazy("此操作须先完成身份验证（短信验证码或云证书PIN码）。")


class StepUpFailed(StepUpRequired):
    """The step-up code or PIN given was wrong; the user may try again."""

    code = "step_up_failed"
    default_message = gettext_lazy("验证码或PIN码错误，请重新验证。")


@dataclass(frozen=True)
class StepUp:
    person: int
    method: str  # "sms" | "pin"
    at: float
    party: int | None = None  # a PIN step-up holds for this holder's certificates only


def fresh(
    session: SessionBase, person: Person, *, party_id: int | None = None, methods: tuple[str, ...] = ("sms", "pin")
) -> StepUp | None:
    """The session's step-up if it is the person's, fresh, of an accepted method (and party)."""
    raw = session.get(portal_session.STEP_UP)
    try:
        step = StepUp(**raw) if isinstance(raw, dict) else None
    except TypeError:
        step = None
    if step is None or step.person != person.pk or step.method not in methods:
        return None
    if time.time() - step.at > settings.STEP_UP_SECONDS:
        return None
    if step.method == "pin" and step.party != party_id:
        return None
    return step


def _remember(session: SessionBase, person: Person, method: str, party: int | None = None) -> StepUp:
    step = StepUp(person=person.pk, method=method, at=time.time(), party=party)
    session[portal_session.STEP_UP] = asdict(step)
    return step


def _audit(request: HttpRequest, person: Person, event: str, **data: Any) -> None:
    platform = portal_session.sso_platform(request)
    record(
        event,
        **Acting.from_request(request, person_actor(person)).audit(),
        target=person.account_id,
        data={"session_platform": platform, **data},
    )


def send_step_up_code(request: HttpRequest) -> None:
    """The code goes to the logged-in person's own phone, whatever the request says."""
    person: Person = request.person  # type: ignore[attr-defined]
    context = _("您正在进行敏感操作（添加授权、设置PIN码、吊销证书或变更印章），如非本人操作请勿提供；")
    send_code(person.phone, PURPOSE, client_ip(request), context=str(context))


def do_step_up_sms(request: HttpRequest, code: str) -> StepUp:
    person: Person = request.person  # type: ignore[attr-defined]
    verify_code(person.phone, PURPOSE, code)
    _audit(request, person, events.STEPUP_SMS)
    return _remember(request.session, person, "sms")


def do_step_up_pin(request: HttpRequest, certificate: Any, pin: str) -> StepUp:
    check = pin_check()  # pki.pins.verify_pin, registered by the pki app (accounts.hooks)
    if check is None:
        raise ImproperlyConfigured("no PIN check registered (the pki app registers pki.pins.verify_pin)")
    person: Person = request.person  # type: ignore[attr-defined]
    check(certificate, pin, acting=Acting.from_request(request, person_actor(person)))
    _audit(request, person, events.STEPUP_PIN, certificate=certificate.serial)
    return _remember(request.session, person, "pin", certificate.holder_id)


def require_step_up(request: HttpRequest, *, certificate: Any = None, sms_only: bool = False) -> StepUp:
    """Pass with a fresh step-up (from the session or from this form's fields); raise otherwise."""
    person: Person = request.person  # type: ignore[attr-defined]
    methods = ("sms",) if sms_only else ("sms", "pin")
    party = certificate.holder_id if certificate is not None else None
    step = fresh(request.session, person, party_id=party, methods=methods)
    if step is not None:
        return step
    code = request.POST.get("step_up_code", "").strip()[:16]
    pin = request.POST.get("step_up_pin", "").strip()[:16]
    try:
        if code:
            return do_step_up_sms(request, code)
        if pin and not sms_only and certificate is not None and certificate.has_pin:
            return do_step_up_pin(request, certificate, pin)
    except DomainError as exc:
        _audit(request, person, events.STEPUP_REFUSED, reason=exc.code, path=request.path[:200])
        raise StepUpFailed(exc.message)
    # a sensitive action tried without a proof: in a platform's session, a sign worth seeing
    _audit(
        request,
        person,
        events.STEPUP_REFUSED,
        reason="step_up_required",
        path=request.path[:200],
        pin_offered=bool(pin),
    )
    if sms_only:
        raise StepUpRequired(
            _("通过交易平台单点登录时，此操作须以发送到您本人手机 %(phone)s 的短信验证码完成身份验证。")
            % {"phone": person.masked_phone}
        )
    raise StepUpRequired(_("此操作须先完成身份验证（短信验证码或云证书PIN码）。"))


def step_up_context(request: HttpRequest, *, certificate: Any = None, sms_only: bool = False) -> dict[str, Any]:
    """What the `accounts/_step_up.html` block needs to show inside an action's form."""
    person: Person = request.person  # type: ignore[attr-defined]
    party = certificate.holder_id if certificate is not None else None
    methods = ("sms",) if sms_only else ("sms", "pin")
    step = fresh(request.session, person, party_id=party, methods=methods)
    remaining = int(settings.STEP_UP_SECONDS - (time.time() - step.at)) if step else 0
    return {
        "step_up_done": step is not None,
        "step_up_minutes": max(1, remaining // 60) if step else 0,
        "step_up_phone": person.masked_phone,
        "step_up_pin": bool(certificate is not None and certificate.has_pin and not sms_only),
        "step_up_sso": portal_session.sso_platform(request),
    }
