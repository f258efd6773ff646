"""Hash chain of audit entries. Pure: no Django imports.

Each entry stores content_hash = SHA-256(canonical JSON of its content) and
entry_hash = SHA-256(prev_entry_hash || content_hash || seq). Changing, inserting or deleting
an entry breaks the chain at that point; `verify` reports the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def content_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def entry_hash(prev_hash: str, seq: int, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{digest}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainedEntry:
    seq: int
    content: Mapping[str, Any]
    content_hash: str
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(entries: Iterable[ChainedEntry]) -> ChainReport:
    """Walk entries in seq order; the first inconsistency is reported, nothing else raised."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainReport(checked, entry.seq, f"sequence gap: expected {expected_seq}, found {entry.seq}")
        if content_hash(entry.content) != entry.content_hash:
            return ChainReport(checked, entry.seq, "content does not match its hash (entry changed)")
        if entry.prev_hash != prev:
            return ChainReport(checked, entry.seq, "previous-hash link broken (entry inserted or removed)")
        if entry_hash(prev, entry.seq, entry.content_hash) != entry.entry_hash:
            return ChainReport(checked, entry.seq, "entry hash mismatch")
        prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    return ChainReport(checked)
