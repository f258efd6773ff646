"""The verification state machines, as data: a person's verification, an enterprise's, and one
verification attempt. Drawn in docs/states.md.

Their moves record no audit entry of their own: each flow records its attempt event (e.g.
`document.submitted`, `verification.review`) with the method and masked numbers, in the same
transaction as the move."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from inkseal.accounts.models import EnterpriseState, VerificationState
from inkseal.core.errors import DomainError
from inkseal.core.states import BY_OPERATOR, BY_SYSTEM, BY_USER, StateMachine, Transition
from inkseal.identity.errors import VerificationNotAllowed
from inkseal.identity.models import AttemptState


def _refused_on(field: str) -> Any:
    def refused(subject: Any, to: str, via: str | None) -> DomainError:
        current = getattr(subject, field)
        return VerificationNotAllowed(_("当前认证状态不允许此操作。"), current=current, requested=to)

    return refused


_P = VerificationState
PERSON: StateMachine[Any] = StateMachine(
    "person_verification",
    title="Person verification (个人实名认证)",
    field="verification_state",
    states=_P,
    initial=(_P.UNVERIFIED,),
    transitions=(
        Transition(_P.UNVERIFIED, _P.PENDING, "submit", "", BY_USER),  # a document for manual review
        Transition(_P.UNVERIFIED, _P.VERIFIED, "verify", "", BY_SYSTEM),
        Transition(_P.PENDING, _P.VERIFIED, "verify", "", BY_OPERATOR),
        Transition(_P.PENDING, _P.REJECTED, "reject", "", BY_OPERATOR),
        Transition(_P.REJECTED, _P.PENDING, "submit", "", BY_USER),
        Transition(_P.REJECTED, _P.VERIFIED, "verify", "", BY_SYSTEM),
    ),
    refuse=_refused_on("verification_state"),
)

_E = EnterpriseState
ENTERPRISE: StateMachine[Any] = StateMachine(
    "enterprise_verification",
    title="Enterprise verification (企业实名认证)",
    field="state",
    states=_E,
    initial=(_E.UNVERIFIED,),
    transitions=(
        Transition(_E.UNVERIFIED, _E.PENDING, "submit", "", BY_USER),
        Transition(_E.UNVERIFIED, _E.VERIFIED, "verify", "", BY_SYSTEM),
        Transition(_E.UNVERIFIED, _E.REJECTED, "reject", "", BY_SYSTEM),
        Transition(_E.PENDING, _E.VERIFIED, "verify", "", BY_OPERATOR),
        Transition(_E.PENDING, _E.REJECTED, "reject", "", BY_OPERATOR),
        Transition(_E.REJECTED, _E.PENDING, "submit", "", BY_USER),
        Transition(_E.REJECTED, _E.VERIFIED, "verify", "", BY_SYSTEM),
        Transition(_E.REJECTED, _E.REJECTED, "reject", "", BY_SYSTEM),
    ),
    refuse=_refused_on("state"),
)

_A = AttemptState
ATTEMPT: StateMachine[Any] = StateMachine(
    "verification_attempt",
    title="Verification attempt (认证记录)",
    field="state",
    states=_A,
    initial=(_A.PENDING,),
    transitions=(
        Transition(_A.PENDING, _A.SUCCEEDED, "succeed", "", BY_SYSTEM),
        Transition(_A.PENDING, _A.FAILED, "fail", "", BY_SYSTEM),
        Transition(_A.PENDING, _A.CANCELLED, "cancel", "", BY_SYSTEM),
    ),
    refuse=_refused_on("state"),
)
