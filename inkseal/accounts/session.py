"""Portal sessions: who is logged in and as which identity. Separate from operators' sessions.

A session started by a trading platform's SSO is marked with that platform and the link it came
through: it is shown in 个人中心, every audit row written while serving it names the platform
(`origin`), and it ends when the person revokes the link.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest
from django.utils import timezone

from inkseal.accounts.identity import PERSON_KEY, CurrentIdentity, identity_for
from inkseal.accounts.models import Person

PERSON = "portal_person"
EPOCH = "portal_epoch"
IDENTITY = "portal_identity"
SSO_PLATFORM = "portal_sso_platform"  # the platform's code, for a session started by its SSO
SSO_LINK = "portal_sso_link"  # the PlatformLink it came through
STEP_UP = "portal_step_up"  # see accounts.stepup
_KEYS = (PERSON, EPOCH, IDENTITY, SSO_PLATFORM, SSO_LINK, STEP_UP)

# Whether the PlatformLink of an SSO session still holds: the platforms app (a layer above) registers
# its check in ready(); without one no session can have come through a link.
LinkCheck = Callable[[int], bool]
_link_check: LinkCheck | None = None


def register_link_check(check: LinkCheck) -> None:
    global _link_check
    _link_check = check


# "sso:<platform code>" while a request of a platform's SSO session is served; "" otherwise.
origin: ContextVar[str] = ContextVar("portal_session_origin", default="")


def load(request: HttpRequest) -> tuple[Person | None, CurrentIdentity | None]:
    person_id = request.session.get(PERSON)
    if not person_id:
        return None, None
    person = Person.objects.select_related("party").filter(pk=person_id, is_active=True).first()
    if person is None or person.session_epoch != request.session.get(EPOCH) or not _link_live(request):
        for key in _KEYS:
            request.session.pop(key, None)
        return None, None
    return person, identity_for(person, request.session.get(IDENTITY))


def _link_live(request: HttpRequest) -> bool:
    link_id = request.session.get(SSO_LINK)
    if not link_id:
        return True
    return _link_check is not None and _link_check(link_id)


def start(request: HttpRequest, person: Person, *, platform: str = "", link: int | None = None) -> None:
    # A new session key on login defeats session fixation; nothing of an earlier login carries over.
    request.session.cycle_key()
    for key in _KEYS:
        request.session.pop(key, None)
    request.session[PERSON] = person.pk
    request.session[EPOCH] = person.session_epoch
    request.session[IDENTITY] = PERSON_KEY
    if platform:
        request.session[SSO_PLATFORM] = platform
        request.session[SSO_LINK] = link
    Person.objects.filter(pk=person.pk).update(last_login_at=timezone.now())


def sso_platform(request: HttpRequest) -> str:
    """The code of the platform whose SSO started this session, or "" (SMS login)."""
    return str(request.session.get(SSO_PLATFORM) or "")


def set_identity(request: HttpRequest, key: str) -> None:
    request.session[IDENTITY] = key


def end(request: HttpRequest) -> None:
    request.session.flush()
