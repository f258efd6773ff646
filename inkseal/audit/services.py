"""Writing, anchoring and verifying the audit log. Every security event goes through `record`.

The chain is keyed (HMAC-SHA256, chain.py) with a key kept outside the database: INKSEAL_AUDIT_KEY,
or var/secrets/audit_chain_key (created 0600 on first use). Losing that key leaves the log
unverifiable; keep it with the keystore's KEK in backups, never with the database dump.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inkseal.audit import chain, events
from inkseal.audit.models import CONTENT_FIELDS, AuditAnchor, AuditEntry, AuditHead, entry_content
from inkseal.conf import env, secret_file
from inkseal.core.acting import Actor

__all__ = ["Actor", "appended_at_commit", "record"]  # Actor lives with Acting (core.acting); imported from here too


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
    fails the caller's change too), so the entry lands with the change it logs. Inside
    `appended_at_commit()` (and not in a savepoint opened within it) the entry is kept and written
    with the block's others at its end; the returned entry gets its seq and hashes then."""
    entry = _unchained(event, actor, identity, ip, target, data)
    batch = _open_batch()
    if batch is not None:
        batch.append(entry)
        return entry
    _append([entry])
    return entry


def _append(entries: list[AuditEntry]) -> None:
    """Chain `entries` onto the head and store them: one locked head read (none when this
    transaction holds the head already), one conditional head update, one insert for them all."""
    with transaction.atomic(savepoint=False):
        head = _held_head()
        _chain(head, entries)
        # the head moves only from the (seq, hash) the entries were chained to: a head this
        # transaction remembered but that changed under it (written by other code in the same
        # transaction) is read again, locked, and the entries chained to that
        if not _advance(head, entries[-1]):
            head = _held_head(fresh=True)
            _chain(head, entries)
            if not _advance(head, entries[-1]):
                raise RuntimeError("audit head moved while locked")
        if len(entries) == 1:
            entries[0].save()
        else:
            AuditEntry.objects.bulk_create(entries)
        _hold_head(entries[-1])


# --- one write per transaction ----------------------------------------------------------------------


class _Batch:
    """The entries recorded in an `appended_at_commit()` block, in order, and the block's
    transaction mark (its atomic block and savepoints): only entries recorded at that level wait."""

    def __init__(self) -> None:
        self.mark = _transaction_mark()
        self.entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


_batches = threading.local()


def _open_batch() -> _Batch | None:
    """The innermost open block's batch when record() is called at its level. In a savepoint
    opened inside the block the entry is written at once (it must roll back with its savepoint),
    chained after what is in the database; the block's waiting entries follow it at the end."""
    stack: list[_Batch] = getattr(_batches, "stack", [])
    if not stack:
        return None
    connection = transaction.get_connection()
    if not connection.in_atomic_block or _transaction_mark() != stack[-1].mark:
        return None
    return stack[-1]


@contextmanager
def appended_at_commit() -> Iterator[None]:
    """An atomic block whose audit entries are written together at its end, still inside its
    transaction: one locked head read, one insert of all of them, one head update, instead of a
    head update and an insert per entry. The head row is locked only for that moment, so
    concurrent writers wait on it for less time; the chain stays strictly sequential (the head
    is read under its lock and moved only from the (seq, hash) the entries were chained to).
    A block that raises writes nothing (its transaction rolls back). Entries get their `at` when
    recorded, their seq at the end: an entry recorded in a savepoint inside the block is written
    at once and so comes before the block's earlier waiting entries in seq order."""
    with transaction.atomic():
        batch = _Batch()
        stack: list[_Batch] = getattr(_batches, "stack", None) or []
        _batches.stack = stack
        stack.append(batch)
        try:
            yield
        finally:
            stack.remove(batch)
        if batch.entries:
            _append(batch.entries)


def _unchained(
    event: str,
    actor: Actor,
    identity: str,
    ip: str,
    target: str,
    data: Mapping[str, Any] | None,
) -> AuditEntry:
    """The entry's content and content hash; its seq and links come from the head it joins."""
    entry = AuditEntry(
        at=datetime.now(UTC),
        event=event,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:128],
        identity=identity,
        ip=ip,
        target=target[:128],
        data=_normalise(data or {}),
    )
    entry.content_hash = chain.content_hash(entry.content())
    return entry


def _chain(head: AuditHead, entries: list[AuditEntry]) -> None:
    """Give `entries` the seqs after `head` and link each to the one before (the first to the head)."""
    key = chain_key()
    seq, prev = head.seq, head.entry_hash
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.entry_hash = prev = chain.entry_hash(key, prev, seq, entry.content_hash)


def _advance(head: AuditHead, entry: AuditEntry) -> bool:
    """Move the head to `entry` if it is still where `head` says (one conditional UPDATE)."""
    moved = AuditHead.objects.filter(id=1, seq=head.seq, entry_hash=head.entry_hash).update(
        seq=entry.seq, entry_hash=entry.entry_hash
    )
    return moved == 1


def _transaction_mark() -> tuple[object, tuple[str, ...]]:
    """This connection's open transaction (its outermost atomic block) and savepoints."""
    connection = transaction.get_connection()
    return connection.atomic_blocks[0], tuple(connection.savepoint_ids)


def _held_head(*, fresh: bool = False) -> AuditHead:
    """The head row, locked. A transaction that already appended holds the lock and moved the
    head itself, so its next entries start from what it wrote instead of reading the row again
    (one query less per entry), as long as no savepoint was released or rolled back since (an
    entry rolled back with its savepoint must not be chained to); `_advance` checks it still is."""
    held: tuple[tuple[object, tuple[str, ...]], AuditHead] | None = getattr(_held, "head", None)
    if not fresh and held is not None and held[0] == _transaction_mark():  # the same block (identity), savepoints
        return held[1]
    head, _ = AuditHead.objects.select_for_update(no_key=True).get_or_create(
        id=1, defaults={"entry_hash": chain.GENESIS}
    )
    return head


def _hold_head(entry: AuditEntry) -> None:
    _held.head = (_transaction_mark(), AuditHead(id=1, seq=entry.seq, entry_hash=entry.entry_hash))
    # forgotten when the transaction commits; after a rollback the block differs and it is not used
    transaction.on_commit(_forget_head)


def _forget_head() -> None:
    _held.head = None


_held = threading.local()


@functools.cache
def chain_key() -> bytes:
    """The chain's HMAC key, from outside the database (read once per process)."""
    master = env("INKSEAL_AUDIT_KEY") or secret_file("audit_chain_key", 32)
    return hashlib.sha256(b"inkseal-audit-chain:" + master.encode()).digest()


def _chained() -> Iterator[chain.ChainedEntry]:
    # values_list: no model instances, so verifying a long log stays quick
    rows = AuditEntry.objects.order_by("seq").values_list(
        "seq", *CONTENT_FIELDS, "content_hash", "prev_hash", "entry_hash"
    )
    for seq, *content, digest, prev_hash, entry_hash in rows.iterator(chunk_size=5000):
        yield chain.ChainedEntry(seq, entry_content(*content), digest, prev_hash, entry_hash)


def verify_log() -> chain.ChainReport:
    """Check the chain under the key, that it reaches every anchor (in the database and in the
    anchor file), and that the head row matches the last entry."""
    try:
        known = _anchors()
    except AnchorUnusable as exc:
        return chain.ChainReport(0, 0, str(exc))
    report = chain.verify(_chained(), chain_key(), known)
    if not report.intact:
        return report
    head = AuditHead.objects.filter(id=1).first()
    head_seq = head.seq if head else 0
    last = AuditEntry.objects.order_by("-seq").values_list("entry_hash", flat=True).first()
    if head_seq != report.checked or (head is not None and last is not None and head.entry_hash != last):
        return chain.ChainReport(
            report.checked,
            report.checked + 1,
            f"chain head says {head_seq} entries, found {report.checked}",
            report.anchor,
        )
    return report


# --- anchors --------------------------------------------------------------------------------------


class AnchorUnusable(Exception):
    """An anchor whose time stamp does not verify, or an unreadable anchor file."""


def anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


# Who time-stamps the head. The audit log is the bottom layer, so it names no TSA: the pki app
# registers its own (pki.notary) in ready(). `stamp(statement)` returns the RFC 3161 token and its
# time, or None while there is no TSA; `check(token, statement)` raises ValueError (with the
# reason) unless the token covers the statement and comes from our TSA.
Stamp = Callable[[bytes], tuple[bytes, datetime] | None]
CheckStamp = Callable[[bytes, bytes], None]
_notary: tuple[Stamp, CheckStamp] | None = None


def register_notary(stamp: Stamp, check: CheckStamp) -> None:
    global _notary
    _notary = (stamp, check)


def anchor_head() -> AuditAnchor:
    """Time-stamp the current head with the platform's TSA, store it and append it to the anchor
    file. Without a TSA (no CA hierarchy yet) the head is anchored unstamped."""
    with transaction.atomic():
        head = AuditHead.objects.filter(id=1).first()
        seq, head_hash = (head.seq, head.entry_hash) if head else (0, chain.GENESIS)
    statement = chain.anchor_statement(seq, head_hash)
    stamped = _notary[0](statement) if _notary is not None else None
    token, stamped_at = stamped if stamped is not None else (b"", timezone.now())
    anchor = AuditAnchor.objects.create(seq=seq, entry_hash=head_hash, stamped_at=stamped_at, token=token)
    _append_to_file(anchor)
    return anchor


def anchor_line(anchor: AuditAnchor) -> str:
    return json.dumps(
        {
            "seq": anchor.seq,
            "entry_hash": anchor.entry_hash,
            "stamped_at": anchor.stamped_at.isoformat(),
            "token": base64.b64encode(bytes(anchor.token)).decode(),
        },
        sort_keys=True,
    )


def _append_to_file(anchor: AuditAnchor) -> None:
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(anchor_line(anchor) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def anchor_if_due(minutes: int | None = None) -> AuditAnchor | None:
    """Anchor the head when it moved since the last anchor and that is `minutes` old (the jobs loop)."""
    minutes = settings.AUDIT_ANCHOR_MINUTES if minutes is None else minutes
    last = AuditAnchor.objects.order_by("-seq", "-id").first()
    head = AuditHead.objects.filter(id=1).first()
    if head is None or (last is not None and last.seq == head.seq):
        return None
    if last is not None and (timezone.now() - last.stamped_at).total_seconds() < minutes * 60:
        return None
    return anchor_head()


def _anchors() -> list[chain.Anchor]:
    """Every anchor from the database and the file; the latest of each has its time stamp checked."""
    from_db = [
        (row.seq, row.entry_hash, row.stamped_at.isoformat(), bytes(row.token), "database")
        for row in AuditAnchor.objects.order_by("seq")
    ]
    from_file = _file_anchors()
    for source in (from_db, from_file):
        if source:
            _check_stamp(*max(source, key=lambda a: a[0]))
    return [chain.Anchor(seq, digest, at, where) for seq, digest, at, _, where in from_db + from_file]


def _file_anchors() -> list[tuple[int, str, str, bytes, str]]:
    path = anchor_file()
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            found.append(
                (
                    int(item["seq"]),
                    str(item["entry_hash"]),
                    str(item["stamped_at"]),
                    base64.b64decode(item["token"]),
                    f"{path.name} line {number}",
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorUnusable(f"anchor file {path} line {number} is unreadable") from exc
    return found


def _check_stamp(seq: int, digest: str, at: str, token: bytes, where: str) -> None:
    if not token:
        return  # anchored before the CA hierarchy existed
    if _notary is None:
        raise AnchorUnusable(f"anchor #{seq} ({where}): no time-stamp authority to check it against")
    try:
        _notary[1](token, chain.anchor_statement(seq, digest))
    except ValueError as exc:
        raise AnchorUnusable(f"anchor #{seq} ({where}): {exc}") from exc


# --- migration from the unkeyed chain --------------------------------------------------------------


def rekey_from_genesis(entry_model: Any, head_model: Any) -> None:
    """Recompute every link under the key, from the first entry, then append `audit.chain_rekeyed`
    saying how many entries were re-keyed and whether the old unkeyed chain was intact (what the
    re-keyed entries were worth before: the key vouches for them only from this moment).
    Takes the models as arguments so that a data migration can pass its historical ones."""
    key = chain_key()
    rows = list(entry_model.objects.order_by("seq"))
    if not rows:
        return  # a new installation: nothing was ever chained without the key
    old = _unkeyed_report(rows)
    prev = chain.GENESIS
    for row in rows:
        row.content_hash = chain.content_hash(entry_content(*(getattr(row, f) for f in CONTENT_FIELDS)))
        row.prev_hash = prev
        row.entry_hash = chain.entry_hash(key, prev, row.seq, row.content_hash)
        prev = row.entry_hash
    entry_model.objects.bulk_update(rows, ["content_hash", "prev_hash", "entry_hash"], batch_size=1000)
    seq = rows[-1].seq + 1
    note = entry_model(
        seq=seq,
        at=datetime.now(UTC),
        event=events.AUDIT_CHAIN_REKEYED,
        actor_kind="system",
        actor_label="system",
        data={"entries": len(rows), "unkeyed_chain_intact": old is None, "unkeyed_chain_broken_at": old},
        prev_hash=prev,
    )
    note.content_hash = chain.content_hash(entry_content(*(getattr(note, f) for f in CONTENT_FIELDS)))
    note.entry_hash = chain.entry_hash(key, prev, seq, note.content_hash)
    note.save()
    head_model.objects.update_or_create(id=1, defaults={"seq": seq, "entry_hash": note.entry_hash})


def _unkeyed_report(rows: list[Any]) -> int | None:
    """Where the old unkeyed chain broke (its first bad seq), or None when it was intact."""
    prev = chain.GENESIS
    for expected, row in enumerate(rows, start=1):
        content = entry_content(*(getattr(row, f) for f in CONTENT_FIELDS))
        digest = hashlib.sha256(f"{prev}:{row.seq}:{row.content_hash}".encode()).hexdigest()
        if (
            row.seq != expected
            or chain.content_hash(content) != row.content_hash
            or row.prev_hash != prev
            or digest != row.entry_hash
        ):
            return int(row.seq)
        prev = row.entry_hash
    return None
