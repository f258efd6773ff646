"""Who acts and from where: the one shape in which state-changing services learn it.

Every `do_…` service that writes an audit row takes `acting: Acting` as a keyword argument:
the actor (a person, an operator, a trading platform, the system), the client's address and
the identity the person acts as in the portal (`CurrentIdentity.key`, empty elsewhere). Views
build it from the request, the back office from the operator, the API from the platform, jobs
and commands use `Acting.system()`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from inkseal.core.http import client_ip


@dataclass(frozen=True)
class Actor:
    """Who an audit entry names."""

    kind: str  # person | operator | platform | system | anonymous
    id: str = ""
    label: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "", "system")


@dataclass(frozen=True)
class Acting:
    actor: Actor
    ip: str = ""
    identity: str = ""

    @classmethod
    def system(cls, label: str = "system") -> Acting:
        return cls(Actor("system", "", label))

    @classmethod
    def anonymous(cls, ip: str = "", label: str = "") -> Acting:
        """Someone not (yet) known: the service names the actor once it knows (`as_actor`)."""
        return cls(Actor("anonymous", "", label), ip)

    @classmethod
    def operator(cls, user: Any, ip: str = "") -> Acting:
        """A back-office operator (a Django user)."""
        return cls(Actor("operator", str(user.pk), user.get_username()), ip)

    @classmethod
    def platform(cls, platform: Any, ip: str = "") -> Acting:
        """A trading platform calling the API (platforms.TradingPlatform)."""
        return cls(Actor("platform", platform.code, platform.name), ip)

    @classmethod
    def from_request(cls, request: HttpRequest, actor: Actor) -> Acting:
        """`actor`, from the request's client address, as the portal identity the request carries."""
        identity = getattr(request, "identity", None)
        return cls(actor, client_ip(request), identity.key if identity else "")

    def as_actor(self, actor: Actor) -> Acting:
        """The same place and identity, another actor (e.g. the person a code proved)."""
        return dataclasses.replace(self, actor=actor)

    def audit(self) -> dict[str, Any]:
        """The keyword arguments of audit.services.record() this context fills."""
        return {"actor": self.actor, "ip": self.ip, "identity": self.identity}
