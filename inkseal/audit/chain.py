"""Keyed hash chain of audit entries. Pure: no Django imports.

Each entry stores content_hash = SHA-256(canonical JSON of its content) and
entry_hash = HMAC-SHA256(key, prev_entry_hash || seq || content_hash), the key held outside the
database. Changing, inserting, reordering or deleting an entry breaks the chain at that point,
and someone who can write the database but lacks the key cannot recompute it. Truncation (the
newest entries deleted, or all of them) leaves a shorter chain that is valid in itself: anchors
(head seq and hash, time-stamped and kept outside the database) show it. `verify` reports the
first broken link, or the anchor the log no longer reaches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def content_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def entry_hash(key: bytes, prev_hash: str, seq: int, digest: str) -> str:
    return hmac.digest(key, f"{prev_hash}:{seq}:{digest}".encode(), "sha256").hex()


def anchor_statement(seq: int, head_hash: str) -> bytes:
    """The bytes an anchor's time stamp covers (its SHA-256 is the message imprint)."""
    return f"inkseal-audit-head:v1:{seq}:{head_hash}".encode()


@dataclass(frozen=True)
class ChainedEntry:
    seq: int
    content: Mapping[str, Any]
    content_hash: str
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class Anchor:
    """A head seen earlier: entry #seq had `entry_hash`. `source` says where it was kept."""

    seq: int
    entry_hash: str
    at: str = ""
    source: str = ""


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""
    anchor: Anchor | None = None  # the latest anchor the log was checked against

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(entries: Iterable[ChainedEntry], key: bytes, anchors: Iterable[Anchor] = ()) -> ChainReport:
    """Walk entries in seq order; the first inconsistency is reported, nothing else raised.
    Every anchor must be reached: its entry present with the anchored hash."""
    by_seq: dict[int, Anchor] = {}
    for anchor in anchors:
        by_seq.setdefault(anchor.seq, anchor)
    latest = by_seq[max(by_seq)] if by_seq else None
    prev = GENESIS
    expected_seq = 1
    for entry in entries:
        seq = entry.seq
        if seq != expected_seq:
            return ChainReport(expected_seq - 1, seq, f"sequence gap: expected {expected_seq}, found {seq}", latest)
        if content_hash(entry.content) != entry.content_hash:
            return ChainReport(expected_seq - 1, seq, "content does not match its hash (entry changed)", latest)
        if entry.prev_hash != prev:
            return ChainReport(
                expected_seq - 1, seq, "previous-hash link broken (entry inserted, removed or moved)", latest
            )
        if not hmac.compare_digest(entry_hash(key, prev, seq, entry.content_hash), entry.entry_hash):
            return ChainReport(
                expected_seq - 1,
                seq,
                "entry hash does not verify under the chain key (entry changed or forged)",
                latest,
            )
        anchored = by_seq.get(seq)
        if anchored is not None and anchored.entry_hash != entry.entry_hash:
            return ChainReport(expected_seq - 1, seq, f"entry differs from the anchor {_described(anchored)}", latest)
        prev = entry.entry_hash
        expected_seq += 1
    checked = expected_seq - 1
    if latest is not None and latest.seq > checked:
        what = "emptied" if checked == 0 else "shrunk"
        return ChainReport(
            checked,
            checked + 1,
            f"log {what}: the anchor {_described(latest)} covers {latest.seq} entries, the log has {checked}",
            latest,
        )
    return ChainReport(checked, anchor=latest)


def _described(anchor: Anchor) -> str:
    where = f" ({anchor.source})" if anchor.source else ""
    when = f" of {anchor.at}" if anchor.at else ""
    return f"#{anchor.seq}{when}{where}"
