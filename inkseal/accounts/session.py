"""Portal sessions: who is logged in and as which identity. Separate from operators' sessions."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from inkseal.accounts.identity import PERSON_KEY, CurrentIdentity, identity_for
from inkseal.accounts.models import Person

PERSON = "portal_person"
EPOCH = "portal_epoch"
IDENTITY = "portal_identity"


def load(request: HttpRequest) -> tuple[Person | None, CurrentIdentity | None]:
    person_id = request.session.get(PERSON)
    if not person_id:
        return None, None
    person = Person.objects.select_related("party").filter(pk=person_id, is_active=True).first()
    if person is None or person.session_epoch != request.session.get(EPOCH):
        for key in (PERSON, EPOCH, IDENTITY):
            request.session.pop(key, None)
        return None, None
    return person, identity_for(person, request.session.get(IDENTITY))


def start(request: HttpRequest, person: Person) -> None:
    # A new session key on login defeats session fixation.
    request.session.cycle_key()
    request.session[PERSON] = person.pk
    request.session[EPOCH] = person.session_epoch
    request.session[IDENTITY] = PERSON_KEY
    Person.objects.filter(pk=person.pk).update(last_login_at=timezone.now())


def set_identity(request: HttpRequest, key: str) -> None:
    request.session[IDENTITY] = key


def end(request: HttpRequest) -> None:
    request.session.flush()
