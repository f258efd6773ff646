"""The identity a portal user acts as: themselves or one of their enterprises (切换身份).

Every portal query is scoped through `CurrentIdentity.party`; `access_*` helpers elsewhere use it
so that another identity's objects answer 404, never revealing that they exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from inkseal.accounts.models import Duty, Enterprise, Membership, Party, Person

PERSON_KEY = "person"

# What an administrator (经办人) may do without being assigned the duty while the enterprise has
# not turned 三权分立 on: what administrators did before seal duties existed.
ADMIN_IMPLICIT_DUTIES = frozenset({Duty.SEAL_ADMIN, Duty.SEAL_USER})


@dataclass(frozen=True)
class CurrentIdentity:
    person: Person
    enterprise: Enterprise | None = None
    role: str = ""
    duties: frozenset[str] = frozenset()

    @property
    def party(self) -> Party:
        return self.enterprise.party if self.enterprise else self.person.party

    @property
    def key(self) -> str:
        return f"enterprise:{self.enterprise.pk}" if self.enterprise else PERSON_KEY

    @property
    def is_enterprise(self) -> bool:
        return self.enterprise is not None

    @property
    def is_admin(self) -> bool:
        """Personal identity: the person. Enterprise identity: an administrator (经办人)."""
        return self.enterprise is None or self.role == Membership.Role.ADMIN

    @property
    def separated(self) -> bool:
        """The enterprise has turned 三权分立 on: each member does only what their duties say."""
        return self.enterprise is not None and self.enterprise.separation_of_duties

    def holds(self, duty: str) -> bool:
        """Whether the identity holds a seal duty (Duty). A person holds every duty for their own
        seals; an enterprise member holds the assigned ones, and an administrator also those of
        ADMIN_IMPLICIT_DUTIES until 三权分立 is on."""
        if self.enterprise is None or duty in self.duties:
            return True
        return not self.separated and self.role == Membership.Role.ADMIN and duty in ADMIN_IMPLICIT_DUTIES

    @property
    def reads_records(self) -> bool:
        """印章使用记录 and 应用记录: every member, as before, until 三权分立 is on; then auditors only."""
        return not self.separated or self.holds(Duty.AUDITOR)

    @property
    def label(self) -> str:
        return self.enterprise.name if self.enterprise else str(self.person)

    def __str__(self) -> str:
        return self.key


def identity_for(person: Person, key: str | None) -> CurrentIdentity:
    """The identity named by `key` if the person may act as it, else their personal identity."""
    if key and key.startswith("enterprise:"):
        membership = (
            Membership.objects.select_related("enterprise__party")
            .filter(person=person, enterprise_id=key.split(":", 1)[1])
            .first()
        )
        if membership:
            return CurrentIdentity(person, membership.enterprise, membership.role, membership.duties)
    return CurrentIdentity(person)


def identities_of(person: Person) -> list[CurrentIdentity]:
    memberships = Membership.objects.select_related("enterprise__party").filter(person=person).order_by("created_at")
    return [CurrentIdentity(person)] + [CurrentIdentity(person, m.enterprise, m.role, m.duties) for m in memberships]


def identity_of(request: HttpRequest) -> CurrentIdentity:
    """The identity the request acts as (set by the identity middleware on portal pages)."""
    return request.identity  # type: ignore[attr-defined,no-any-return]
