"""Building blocks shared by the personal, enterprise and review services: checked claims,
consent, quotas, and creating, finishing and auditing attempt records."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.models import Enterprise, Person
from inkseal.accounts.services import id_index, person_actor
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.crypto import decrypt, encrypt
from inkseal.core.errors import RateLimited
from inkseal.core.masking import mask_id_number, mask_phone
from inkseal.identity.agreements import AGREEMENTS, consent_record
from inkseal.identity.errors import ConsentRequired, VerificationInvalid, describe
from inkseal.identity.models import AttemptState, IdType, Method, VerificationAttempt
from inkseal.identity.numbers import check_id_number, check_other_document
from inkseal.identity.providers.base import Verdict
from inkseal.identity.states import ATTEMPT

_NAME = re.compile(r"^[\u3400-\u9fff\U00020000-\U0003134f·•．. A-Za-z-]{2,40}$")


@dataclass(frozen=True)
class PersonClaim:
    """A name and identity document, checked for form (not yet for truth)."""

    name: str
    id_type: str
    id_number: str

    @property
    def index(self) -> str:
        return id_index(self.id_number)

    @property
    def masked(self) -> str:
        return mask_id_number(self.id_number)


def check_name(name: str, field: str = "name") -> str:
    name = " ".join(name.split())
    if not _NAME.match(name):
        raise VerificationInvalid(_("请输入证件上的姓名（2–40个字）。"), field=field)
    return name


def check_person_claim(name: str, id_type: str, id_number: str, *, field: str = "id_number") -> PersonClaim:
    name = check_name(name)
    if id_type == IdType.RESIDENT_ID:
        checked = check_id_number(id_number)
    elif id_type in IdType.values:
        checked = check_other_document(id_number)
    else:
        raise VerificationInvalid(_("请选择证件类型。"), field="id_type")
    if not checked.ok:
        raise VerificationInvalid(describe(checked), field=field)
    return PersonClaim(name, id_type, checked.value)


def check_consent(accepted: Collection[str]) -> dict[str, str]:
    """The versions of the agreements, if every one was accepted."""
    missing = [a for a in AGREEMENTS if a.slug not in accepted]
    if missing:
        titles = "".join(f"《{a.title}》" for a in missing)
        raise ConsentRequired(_("请阅读并同意%(titles)s。") % {"titles": titles}, field="agreements")
    return consent_record()


def counted_attempts() -> QuerySet[VerificationAttempt]:
    """Attempts that reached a provider (or a reviewer): finished with a verdict, or pending on one
    (a micro-deposit to confirm, documents in review). Not counted: cancelled ones (a 人脸认证
    started again, consent refused) and face attempts still waiting for their video, which no
    provider has seen."""
    return VerificationAttempt.objects.exclude(state=AttemptState.CANCELLED).exclude(
        state=AttemptState.PENDING, method=Method.FACE
    )


def check_attempt_quota(person: Person, id_number_index: str = "") -> None:
    """The daily limits per person and per ID number (IDENTITY_ATTEMPTS_PER_*). Call it before
    anything is sent (an SMS code, the legal representative's authorisation SMS) as well as
    before an attempt is recorded."""
    since = timezone.now() - timedelta(days=1)
    recent = counted_attempts().filter(created_at__gt=since)
    if recent.filter(person=person).count() >= settings.IDENTITY_ATTEMPTS_PER_PERSON_PER_DAY:
        raise RateLimited(_("您今天的认证次数已达上限，请明天再试。"))
    if id_number_index and recent.filter(id_number_index=id_number_index).count() >= (
        settings.IDENTITY_ATTEMPTS_PER_ID_PER_DAY
    ):
        raise RateLimited(_("该证件号今天的认证次数已达上限，请明天再试。"))


def _id_purpose(attempt: VerificationAttempt) -> str:
    return f"attempt-id:{attempt.reference}"


def new_attempt(
    person: Person,
    method: str,
    provider: str,
    claim: PersonClaim,
    consents: dict[str, str],
    *,
    enterprise: Enterprise | None = None,
    phone: str = "",
    details: dict[str, Any] | None = None,
) -> VerificationAttempt:
    attempt = VerificationAttempt(
        person=person,
        enterprise=enterprise,
        method=method,
        provider=provider,
        consents=consents,
        name=claim.name,
        id_type=claim.id_type,
        id_number_index=claim.index,
        id_number_masked=claim.masked,
        phone_masked=mask_phone(phone) if phone else "",
        details=details or {},
    )
    attempt.id_number_enc = encrypt(claim.id_number, _id_purpose(attempt))
    attempt.save()
    return attempt


def claim_of(attempt: VerificationAttempt) -> PersonClaim:
    return PersonClaim(attempt.name, attempt.id_type, decrypt(attempt.id_number_enc, _id_purpose(attempt)))


def finish_attempt(attempt: VerificationAttempt, verdict: Verdict, **details: Any) -> None:
    new_state = AttemptState.SUCCEEDED if verdict.accepted else AttemptState.FAILED
    ATTEMPT.move(attempt, new_state)
    attempt.reason_code = verdict.code
    attempt.reason = verdict.reason[:255]
    attempt.provider_reference = verdict.reference or attempt.provider_reference
    attempt.details = {**attempt.details, **verdict.details, **details}
    attempt.finished_at = timezone.now()
    attempt.save()


def cancel_attempt(attempt: VerificationAttempt, reason: str, code: str = "cancelled") -> None:
    ATTEMPT.move(attempt, AttemptState.CANCELLED)
    attempt.reason_code = code
    attempt.reason = reason[:255]
    attempt.finished_at = timezone.now()
    attempt.save()


def audit(event: str, attempt: VerificationAttempt, acting: Acting, **data: Any) -> None:
    """Attempt events name the attempt by reference and carry masked numbers only. An anonymous
    actor (the phone that opened a face link) acts for the attempt's person."""
    if acting.actor.kind == "anonymous":
        acting = acting.as_actor(person_actor(attempt.person))
    record(
        event,
        **acting.audit(),
        target=f"verification:{attempt.reference}",
        data={
            "method": attempt.method,
            "state": attempt.state,
            "provider": attempt.provider,
            "reason": attempt.reason_code,
            "enterprise": attempt.enterprise_id,
            "id_number": attempt.id_number_masked,
            **data,
        },
    )
