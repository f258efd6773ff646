"""`inkseal log verify`: recompute the tree from the leaves in the database and check every
stored checkpoint against it, its signature against the log keys and its time stamp.

Two layers find tampering. The leaf hashes kept in the node table say *what* changed (an edited,
deleted, inserted or reordered leaf); the signed checkpoints prove it to anyone, even when
whoever changed the leaves also rewrote every hash in the database (they cannot sign).
The leaves are streamed once in index order, in O(log n) memory (merkle.Frontier).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from inkseal.evidence import checkpoint as notes
from inkseal.evidence import merkle
from inkseal.evidence.models import LogCheckpoint, LogLeaf, LogNode
from inkseal.evidence.services import HASHER, log_origin, verifiers

CHUNK = 5000


class LogBroken(Exception):
    def __init__(self, at: int, reason: str):
        super().__init__(reason)
        self.at, self.reason = at, reason


@dataclass(frozen=True)
class LogReport:
    leaves: int
    checkpoints: int
    root: str


def verify_log() -> LogReport:
    """The report of an intact log; LogBroken(at, reason) at the first problem."""
    checkpoints = list(LogCheckpoint.objects.order_by("size"))
    wanted = {cp.size for cp in checkpoints}
    roots: dict[int, bytes] = {0: HASHER.empty()} if 0 in wanted else {}
    frontier = merkle.Frontier(HASHER)
    for index, body, leaf_hash, stored in _leaves():
        _check_leaf(index, frontier.size, body, leaf_hash, stored)
        frontier.append(bytes.fromhex(leaf_hash))
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    keys = verifiers()
    for cp in checkpoints:
        _check_checkpoint(cp, roots.get(cp.size), frontier.size, keys)
    return LogReport(frontier.size, len(checkpoints), frontier.root().hex())


def _leaves() -> Iterator[tuple[int, str, str, bytes | None]]:
    """(index, body, leaf hash, stored level-0 hash) in index order, a chunk at a time."""
    last = -1
    while True:
        query = LogLeaf.objects.filter(index__gt=last).order_by("index").values_list("index", "body", "leaf_hash")
        rows = [(i, body, h) for i, body, h in query[:CHUNK] if i is not None]
        if not rows:
            return
        first, last = rows[0][0], rows[-1][0]
        stored = {
            i: bytes(h)
            for i, h in LogNode.objects.filter(level=0, index__gte=first, index__lte=last).values_list("index", "hash")
        }
        for index, body, leaf_hash in rows:
            yield index, body, leaf_hash, stored.get(index)


def _check_leaf(index: int, expected: int, body: str, leaf_hash: str, stored: bytes | None) -> None:
    if index != expected:
        raise LogBroken(expected, f"leaf #{expected} is missing: deleted from the log")
    if HASHER.leaf(body.encode("utf-8")).hex() != leaf_hash:
        raise LogBroken(index, f"leaf #{index} was edited: its content no longer matches its leaf hash")
    if stored is not None and stored.hex() != leaf_hash:
        raise LogBroken(index, _what_moved(index, leaf_hash, stored))


def _what_moved(index: int, leaf_hash: str, stored: bytes) -> str:
    """Which change puts another leaf at `index` than the tree recorded there (only on failure:
    it looks hashes up without an index)."""
    following = LogLeaf.objects.filter(index=index + 1).values_list("leaf_hash", flat=True).first()
    recorded_at = LogNode.objects.filter(level=0, hash=bytes.fromhex(leaf_hash)).values_list("index", flat=True).first()
    if recorded_at is None:
        if following == stored.hex():
            return f"a leaf was inserted at #{index}: the leaf the tree recorded there now sits at #{index + 1}"
        return f"leaf #{index} was replaced: it is not the leaf the tree recorded at #{index}"
    there = LogLeaf.objects.filter(index=recorded_at).values_list("leaf_hash", flat=True).first()
    if there == stored.hex():
        return f"leaves #{index} and #{recorded_at} were reordered: the tree recorded them the other way round"
    if recorded_at == index + 1:
        return f"leaf #{index} was deleted: the leaves after it moved up by one"
    return f"leaves were reordered: #{index} holds the leaf the tree recorded at #{recorded_at}"


def _check_checkpoint(cp: LogCheckpoint, root: bytes | None, size: int, keys: list[notes.Verifier]) -> None:
    try:
        opened = notes.open_note(cp.note, keys, origin=log_origin()).checkpoint
    except notes.NoteInvalid as exc:
        raise LogBroken(cp.size, f"checkpoint of size {cp.size}: {exc}") from None
    if (opened.size, opened.root.hex()) != (cp.size, cp.root_hash):
        raise LogBroken(cp.size, f"checkpoint of size {cp.size}: the stored size or root differs from the signed note")
    if root is None:
        raise LogBroken(
            cp.size, f"checkpoint of size {cp.size} was signed, but the log now has only {size} leaves: leaves deleted"
        )
    if root != opened.root:
        raise LogBroken(
            cp.size,
            f"checkpoint of size {cp.size} does not match the tree recomputed from the database: a leaf before "
            f"#{cp.size} was edited, deleted, inserted or reordered after it was signed",
        )
    if cp.tsa_token:
        from inkseal.pki import anchor_stamps

        try:
            anchor_stamps.check_token(bytes(cp.tsa_token), cp.note.encode())
        except anchor_stamps.AnchorTokenInvalid as exc:
            raise LogBroken(cp.size, f"checkpoint of size {cp.size}: its time stamp is invalid ({exc})") from None


# --- the audit log's rows of logged events -------------------------------------------------------
#
# Signing, certificate and seal events are recorded twice on purpose: the transparency log holds the
# public fact (checkable by anyone), the audit log the private context (actor, IP, identity). The
# log is the integrity mechanism of the fact; the audit row is tied to it: every audit row of one of
# these events since the log began must have its leaf. An audit row deleted, or one invented (for a
# signing that never happened, an issuance the log does not know), is found here; the audit chain's
# own keyed hashes stay what protects operator-only events (logins, reviews, back-office changes).


class AuditUnlogged(Exception):
    def __init__(self, seq: int, reason: str):
        super().__init__(reason)
        self.seq, self.reason = seq, reason


def _linked_events() -> dict[str, str]:
    """Audit event → the kind of the leaf the same transaction writes."""
    from inkseal.audit import events

    return {
        events.CERTIFICATE_ISSUE: "certificate.issue",
        events.CERTIFICATE_RENEW: "certificate.issue",
        events.CERTIFICATE_REVOKE: "certificate.revoke",
        events.SEAL_CREATE: "seal.create",
        events.SEAL_VOID: "seal.void",
        events.SIGNING_SIGN: "signing.record",
    }


def _leaf_key(kind: str, event: dict[str, object]) -> str:
    if kind.startswith("certificate."):
        return f"{kind}:{event.get('serial')}"
    if kind.startswith("seal."):
        return f"{kind}:{event.get('seal_id')}"
    return f"{kind}:{event.get('event_id')}"


def verify_audit_links() -> int:
    """The number of audit rows checked; AuditUnlogged at the first row of a logged event whose leaf
    the log does not have."""
    import json

    from inkseal.audit.models import AuditEntry
    from inkseal.pki.models import Certificate

    first = LogLeaf.objects.order_by("id").values_list("created_at", flat=True).first()
    if first is None:
        return 0
    linked = _linked_events()
    keys = set()
    for kind, body in LogLeaf.objects.filter(kind__in=set(linked.values())).values_list("kind", "body").iterator():
        keys.add(_leaf_key(kind, json.loads(body)["event"]))
    rows = AuditEntry.objects.filter(event__in=linked, at__gte=first).order_by("seq")
    serials = dict(Certificate.objects.values_list("pk", "serial"))
    checked = 0
    for seq, event, target, data in rows.values_list("seq", "event", "target", "data").iterator():
        kind = linked[event]
        name, _sep, ident = target.partition(":")
        if kind.startswith("certificate."):
            key = f"{kind}:{serials.get(int(ident)) if ident.isdigit() else None}"
        elif kind.startswith("seal."):
            key = f"{kind}:{ident}"
        else:
            key = f"{kind}:{(data or {}).get('event_id')}"
        if key not in keys:
            raise AuditUnlogged(seq, f"audit entry #{seq} ({event}, {name}:{ident}) has no transparency-log leaf")
        checked += 1
    return checked
