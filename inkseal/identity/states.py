"""The verification state machines, as data: which state may follow which."""

from __future__ import annotations

from django.utils.translation import gettext as _

from inkseal.accounts.models import EnterpriseState, VerificationState
from inkseal.identity.errors import VerificationNotAllowed
from inkseal.identity.models import AttemptState

PERSON: dict[str, set[str]] = {
    VerificationState.UNVERIFIED: {VerificationState.PENDING, VerificationState.VERIFIED},
    VerificationState.PENDING: {VerificationState.VERIFIED, VerificationState.REJECTED},
    VerificationState.REJECTED: {VerificationState.PENDING, VerificationState.VERIFIED},
    VerificationState.VERIFIED: set(),
}

ENTERPRISE: dict[str, set[str]] = {
    EnterpriseState.UNVERIFIED: {EnterpriseState.PENDING, EnterpriseState.VERIFIED, EnterpriseState.REJECTED},
    EnterpriseState.PENDING: {EnterpriseState.VERIFIED, EnterpriseState.REJECTED},
    EnterpriseState.REJECTED: {EnterpriseState.PENDING, EnterpriseState.VERIFIED, EnterpriseState.REJECTED},
    EnterpriseState.VERIFIED: set(),
}

ATTEMPT: dict[str, set[str]] = {
    AttemptState.PENDING: {AttemptState.SUCCEEDED, AttemptState.FAILED, AttemptState.CANCELLED},
    AttemptState.SUCCEEDED: set(),
    AttemptState.FAILED: set(),
    AttemptState.CANCELLED: set(),
}


def check_transition(table: dict[str, set[str]], current: str, new: str) -> None:
    if new not in table.get(current, set()):
        raise VerificationNotAllowed(_("当前认证状态不允许此操作。"), current=current, requested=new)
