"""What the certificate operations share: the model's choice aliases, the clock reading
(whole seconds, as certificates carry) and the audit row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki.models import Certificate

Medium = Certificate.Medium
Usage = Certificate.Usage
SubjectKind = Certificate.SubjectKind


def _now(now: datetime | None = None) -> datetime:
    return (now or timezone.now()).replace(microsecond=0)


def _audit(event: str, certificate: Certificate, acting: Acting, **data: Any) -> None:
    record(
        event,
        **acting.audit(),
        target=f"certificate:{certificate.pk}",
        data={"serial": certificate.serial, "ca": certificate.ca_name, "medium": certificate.medium, **data},
    )
