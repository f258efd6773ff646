"""Manual review in the back office (审核): other identity documents and 单位证件认证."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from inkseal.accounts.models import Enterprise, EnterpriseState, Person, VerificationState
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.identity.attempts import audit, claim_of, finish_attempt
from inkseal.identity.errors import VerificationInvalid, VerificationNotAllowed
from inkseal.identity.models import REVIEWED_METHODS, AttemptState, VerificationAttempt
from inkseal.identity.providers.base import Verdict
from inkseal.identity.services import check_id_number_free, mark_person_verified
from inkseal.identity.states import ENTERPRISE, PERSON


def review_queue() -> QuerySet[VerificationAttempt]:
    return VerificationAttempt.objects.filter(method__in=REVIEWED_METHODS, state=AttemptState.PENDING)


def do_review(attempt_id: int, approve: bool, reason: str, *, acting: Acting) -> VerificationAttempt:
    """Approve or reject (a reason is required) a case from the queue, with its subject's state."""
    reason = reason.strip()
    if not approve and not reason:
        raise VerificationInvalid(_("驳回时请填写原因，申请人会看到它。"), field="reason")
    with transaction.atomic():
        attempt = review_queue().select_for_update(no_key=True).filter(pk=attempt_id).first()
        if attempt is None:
            raise VerificationNotAllowed(_("该申请不在待审核队列中（可能已被其他审核员处理）。"))
        if attempt.enterprise_id is not None:
            _decide_enterprise(attempt, attempt.enterprise_id, approve, reason)
        else:
            _decide_person(attempt, approve, reason)
        attempt.reviewed_by = acting.actor.label
        attempt.save(update_fields=["reviewed_by"])
        audit(
            events.IDENTITY_REVIEW_APPROVED if approve else events.IDENTITY_REVIEW_REJECTED,
            attempt,
            acting,
            comment=reason[:200],
        )
    return attempt


def _decide_person(attempt: VerificationAttempt, approve: bool, reason: str) -> None:
    person = Person.objects.select_for_update(no_key=True).get(pk=attempt.person_id)
    claim = claim_of(attempt)
    if approve:
        check_id_number_free(person, claim)
        finish_attempt(attempt, Verdict.accept(reason_note(reason)))
        mark_person_verified(person, claim)
        return
    finish_attempt(attempt, Verdict.refuse("rejected", reason))
    PERSON.move(person, VerificationState.REJECTED)
    person.save(update_fields=["verification_state"])


def _decide_enterprise(attempt: VerificationAttempt, enterprise_id: int, approve: bool, reason: str) -> None:
    enterprise = Enterprise.objects.select_for_update(no_key=True).get(pk=enterprise_id)
    new_state = EnterpriseState.VERIFIED if approve else EnterpriseState.REJECTED
    ENTERPRISE.check(enterprise, new_state)
    finish_attempt(attempt, Verdict.accept() if approve else Verdict.refuse("rejected", reason))
    ENTERPRISE.move(enterprise, new_state)
    enterprise.state_reason = "" if approve else reason[:255]
    enterprise.save(update_fields=["state", "state_reason"])


def reason_note(reason: str) -> str:
    """An approval comment is kept as the provider reference of a manual case."""
    return f"manual: {reason}"[:128] if reason else "manual"
