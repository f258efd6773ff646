"""What every provider answers: a Verdict (accepted or refused, with the reason in the user's language)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    code: str = ""  # stable reason code when refused ("mismatch", "no_face", …)
    reason: str = ""  # for the user, translated
    reference: str = ""  # the provider's transaction reference, kept with the attempt
    details: dict[str, Any] = field(default_factory=dict)  # facts worth keeping (never personal numbers)

    @classmethod
    def accept(cls, reference: str = "", details: dict[str, Any] | None = None) -> Verdict:
        return cls(True, reference=reference, details=details or {})

    @classmethod
    def refuse(cls, code: str, reason: str, reference: str = "", details: dict[str, Any] | None = None) -> Verdict:
        return cls(False, code, reason, reference, details or {})


class Provider(Protocol):
    name: str  # recorded with every attempt
    is_sandbox: bool
