"""The identity a portal user acts as: themselves or one of their enterprises (切换身份).

Every portal query is scoped through `CurrentIdentity.party`; `access_*` helpers elsewhere use it
so that another identity's objects answer 404, never revealing that they exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from inkseal.accounts.models import Enterprise, Membership, Party, Person

PERSON_KEY = "person"


@dataclass(frozen=True)
class CurrentIdentity:
    person: Person
    enterprise: Enterprise | None = None
    role: str = ""

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
            return CurrentIdentity(person, membership.enterprise, membership.role)
    return CurrentIdentity(person)


def identities_of(person: Person) -> list[CurrentIdentity]:
    memberships = Membership.objects.select_related("enterprise__party").filter(person=person).order_by("created_at")
    return [CurrentIdentity(person)] + [CurrentIdentity(person, m.enterprise, m.role) for m in memberships]


def identity_of(request: HttpRequest) -> CurrentIdentity:
    """The identity the request acts as (set by the identity middleware on portal pages)."""
    return request.identity  # type: ignore[attr-defined,no-any-return]
