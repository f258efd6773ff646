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
