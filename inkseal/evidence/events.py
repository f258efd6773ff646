"""What each kind of event puts in its log leaf: identifiers and hashes, personal data reduced.

Called from the services that own the events, each with one line:
`log_event(*events.signing(record, certificate, seals))` and so on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from inkseal.evidence.canonical import reduced_name

if TYPE_CHECKING:
    from inkseal.pki.models import Certificate
    from inkseal.seals.models import Seal
    from inkseal.signing.models import SigningRecord

Event = tuple[str, dict[str, Any]]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def signing(record: SigningRecord, certificate: Certificate, seals: Sequence[Seal]) -> Event:
    """An 应用记录: who signed what, when, how the signer confirmed, and the result."""
    task = record.task
    return "signing.record", {
        "event_id": record.event_id,
        "platform": record.platform_name,
        "business_type": record.business_type,
        "business_id": task.business_id if task is not None else "",
        "signer": reduced_name(record.user_name),
        "certificate": {"serial": certificate.serial, "sha256": certificate.fingerprint},
        "seals": [{"id": seal.pk, "image_sha256": seal.image_sha256} for seal in seals],
        "document": {"sha256_before": record.sha256_before, "sha256_after": record.sha256_after},
        "intent": {
            "method": record.intent_method,
            "confirmed_at": _iso(task.confirmed_at) if task is not None else None,
        },
        "at": _iso(record.at),
        "result": record.result,
        "pades_level": record.pades_level,
    }


def certificate(kind: str, row: Certificate) -> Event:
    """`certificate.issue` or `certificate.revoke`: the certificate by fingerprint, never its holder's data."""
    return kind, {
        "serial": row.serial,
        "sha256": row.fingerprint,
        "issuer": row.ca_name,
        "algorithm": row.algorithm,
        "usage": row.usage,
        "not_before": _iso(row.not_before),
        "not_after": _iso(row.not_after),
        "subject": reduced_name(row.common_name),
        "revoked_at": _iso(row.revoked_at),
        "revocation_reason": row.revocation_reason,
    }


def seal(kind: str, row: Seal) -> Event:
    """`seal.create` or `seal.void`: the seal by id and image hash; the text on it reduced."""
    return kind, {
        "seal_id": row.pk,
        "kind": row.kind,
        "source": row.source,
        "name": reduced_name(row.name),
        "image_sha256": row.image_sha256,
        "owner_id": row.owner_id,
        "voided_at": _iso(row.voided_at),
    }
