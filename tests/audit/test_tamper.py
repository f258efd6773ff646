"""Tampering with the audit log by someone who can write the database but does not hold the chain
key (kept outside the database): each case is found by `audit verify`, with a clear reason."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from inkseal.audit import chain
from inkseal.audit.models import AuditAnchor, AuditEntry, AuditHead
from inkseal.audit.services import (
    Actor,
    anchor_head,
    anchor_if_due,
    chain_key,
    record,
    rekey_from_genesis,
    verify_log,
)
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tsa(ca_hierarchy):  # noqa: F811 - anchors are time-stamped by the platform's TSA
    pass


def write_entries(n: int) -> list[AuditEntry]:
    return [record("test.event", actor=Actor("system", "", "tests"), data={"i": i}) for i in range(n)]


def unkeyed(prev: str, seq: int, digest: str) -> str:
    """What an attacker without the key can compute: the old, unkeyed link hash."""
    return hashlib.sha256(f"{prev}:{seq}:{digest}".encode()).hexdigest()


def verify_fails(at: int, match: str) -> str:
    report = verify_log()
    assert not report.intact, "tampering went unnoticed"
    assert report.broken_at == at and match in report.reason, report
    with pytest.raises(CommandError, match=f"#{at}: .*{match}"):
        call_command("audit", "verify")
    return report.reason


def test_the_key_lives_outside_the_database_0600(settings, tmp_path):
    key = chain_key()
    assert len(key) == 32
    path = Path(settings.VAR_DIR) / "secrets" / "audit_chain_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    entry = write_entries(1)[0]
    assert entry.entry_hash != unkeyed(entry.prev_hash, entry.seq, entry.content_hash)


def test_edit_and_recompute_without_the_key_is_found():
    entries = write_entries(5)
    prev = entries[1].entry_hash
    for entry in entries[2:]:  # change #3 and re-chain everything after it, as the old code allowed
        entry.refresh_from_db()
        if entry.seq == 3:
            entry.data = {"i": 99}
        entry.prev_hash = prev
        entry.content_hash = chain.content_hash(entry.content())
        entry.entry_hash = unkeyed(prev, entry.seq, entry.content_hash)
        entry.save()
        prev = entry.entry_hash
    AuditHead.objects.filter(id=1).update(entry_hash=prev)
    verify_fails(3, "chain key")


def test_deleting_the_newest_rows_and_moving_the_head_is_found():
    write_entries(5)
    anchor_head()
    AuditEntry.objects.filter(seq__gt=3).delete()
    AuditAnchor.objects.all().delete()  # the copy outside the database still says 5
    third = AuditEntry.objects.get(seq=3)
    AuditHead.objects.filter(id=1).update(seq=3, entry_hash=third.entry_hash)
    reason = verify_fails(4, "log shrunk")
    assert "covers 5 entries, the log has 3" in reason


def test_deleting_everything_is_found():
    write_entries(4)
    anchor_head()
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    AuditAnchor.objects.all().delete()
    verify_fails(1, "log emptied")


def test_reordering_is_found():
    entries = write_entries(4)
    AuditEntry.objects.filter(pk=entries[1].pk).update(seq=100)
    AuditEntry.objects.filter(pk=entries[2].pk).update(seq=2)
    AuditEntry.objects.filter(pk=entries[1].pk).update(seq=3)
    verify_fails(2, "previous-hash link broken")


def test_inserting_is_found():
    entries = write_entries(3)
    AuditEntry.objects.filter(pk=entries[2].pk).update(seq=4)
    forged = AuditEntry.objects.get(pk=entries[2].pk)
    forged.pk, forged.seq, forged.data = None, 3, {"forged": True}
    forged.prev_hash = entries[1].entry_hash
    forged.content_hash = chain.content_hash(forged.content())
    forged.entry_hash = unkeyed(forged.prev_hash, 3, forged.content_hash)
    forged.save()
    verify_fails(3, "chain key")


def test_an_anchor_that_no_longer_matches_is_found():
    write_entries(3)
    anchor_head()
    AuditEntry.objects.filter(seq=3).delete()
    second = AuditEntry.objects.get(seq=2)
    AuditHead.objects.filter(id=1).update(seq=2, entry_hash=second.entry_hash)
    record("test.event", actor=Actor.system(), data={"replaced": True})  # a new #3 under the real key
    verify_fails(3, "differs from the anchor #3")


def test_the_anchor_is_time_stamped_by_our_tsa_and_kept_outside_the_database(settings):
    write_entries(2)
    head = AuditHead.objects.get()
    anchor = anchor_head()
    assert (anchor.seq, anchor.entry_hash) == (head.seq, head.entry_hash) and anchor.token
    lines = Path(settings.AUDIT_ANCHOR_FILE).read_text().splitlines()
    written = json.loads(lines[-1])
    assert written["seq"] == head.seq and written["entry_hash"] == anchor.entry_hash and written["token"]
    assert verify_log().intact
    # a token that does not cover the head is refused
    AuditAnchor.objects.filter(pk=anchor.pk).update(entry_hash="0" * 64)
    Path(settings.AUDIT_ANCHOR_FILE).unlink()
    assert "time stamp covers another head" in verify_log().reason


def test_verify_command_reports_the_anchor(capsys):
    write_entries(3)
    anchor = anchor_head()
    record("test.event", actor=Actor.system())
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert f"{anchor.seq + 1} entries verified" in out and f"latest anchor #{anchor.seq}" in out


def test_the_anchor_command_prints_the_head(capsys):
    write_entries(2)
    call_command("audit", "anchor")
    out = capsys.readouterr().out
    head = AuditHead.objects.get()
    assert head.entry_hash in out and f"#{head.seq}" in out and "time-stamped" in out


def test_existing_unkeyed_rows_are_rekeyed_from_genesis():
    # rows as the unkeyed chain wrote them before this change
    prev = chain.GENESIS
    for i in range(1, 4):
        entry = AuditEntry(seq=i, at="2026-01-01T00:00:00+00:00", event="old.event", actor_kind="system", data={"i": i})
        entry.save()
        entry.refresh_from_db()
        entry.prev_hash, entry.content_hash = prev, chain.content_hash(entry.content())
        entry.entry_hash = unkeyed(prev, i, entry.content_hash)
        entry.save()
        prev = entry.entry_hash
    AuditHead.objects.create(id=1, seq=3, entry_hash=prev)
    assert not verify_log().intact
    rekey_from_genesis(AuditEntry, AuditHead)
    assert verify_log().intact
    note = AuditEntry.objects.get(event="audit.chain_rekeyed")
    assert note.seq == 4 and note.data["entries"] == 3 and note.data["unkeyed_chain_intact"] is True


def test_the_jobs_loop_anchors_a_moved_head_every_few_minutes():
    write_entries(2)
    first = anchor_if_due(minutes=10)
    assert first is not None
    assert anchor_if_due(minutes=10) is None  # the head has not moved
    record("test.event", actor=Actor.system())
    assert anchor_if_due(minutes=10) is None  # moved, but the last anchor is recent
    AuditAnchor.objects.filter(pk=first.pk).update(stamped_at=first.stamped_at - timedelta(minutes=11))
    second = anchor_if_due(minutes=10)
    assert second is not None and second.seq == first.seq + 1
