"""Writing and verifying the audit log. Every security event goes through `record`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from inkseal.audit import chain
from inkseal.audit.models import AuditEntry, AuditHead


@dataclass(frozen=True)
class Actor:
    kind: str  # person | operator | platform | system | anonymous
    id: str = ""
    label: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "", "system")


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    # Store what the hash will later be computed over: JSON types only.
    normalised: dict[str, Any] = json.loads(json.dumps(dict(data), default=str, ensure_ascii=False))
    return normalised


def record(
    event: str,
    *,
    actor: Actor,
    identity: str = "",
    ip: str = "",
    target: str = "",
    data: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry. Joins the caller's transaction (no savepoint of its own: a failure here
    fails the caller's change too), so the entry lands with the change it logs."""
    with transaction.atomic(savepoint=False):
        head, _ = AuditHead.objects.select_for_update(no_key=True).get_or_create(
            id=1, defaults={"entry_hash": chain.GENESIS}
        )
        entry = AuditEntry(
            seq=head.seq + 1,
            at=datetime.now(UTC),
            event=event,
            actor_kind=actor.kind,
            actor_id=actor.id,
            actor_label=actor.label[:128],
            identity=identity,
            ip=ip,
            target=target[:128],
            data=_normalise(data or {}),
            prev_hash=head.entry_hash,
        )
        entry.content_hash = chain.content_hash(entry.content())
        entry.entry_hash = chain.entry_hash(entry.prev_hash, entry.seq, entry.content_hash)
        entry.save()
        head.seq = entry.seq
        head.entry_hash = entry.entry_hash
        head.save(update_fields=["seq", "entry_hash"])
    return entry


def _chained() -> Iterator[chain.ChainedEntry]:
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        yield chain.ChainedEntry(entry.seq, entry.content(), entry.content_hash, entry.prev_hash, entry.entry_hash)


def verify_log() -> chain.ChainReport:
    report = chain.verify(_chained())
    if not report.intact:
        return report
    head = AuditHead.objects.filter(id=1).first()
    last = AuditEntry.objects.order_by("-seq").first()
    head_seq = head.seq if head else 0
    last_seq = last.seq if last else 0
    if head_seq != last_seq or (last and head and head.entry_hash != last.entry_hash):
        return chain.ChainReport(report.checked, last_seq + 1, f"chain head says {head_seq} entries, found {last_seq}")
    return report
