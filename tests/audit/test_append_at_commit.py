"""A transaction's audit entries written in one go at its end (audit.services.appended_at_commit,
issue #16): one locked head read, one insert, one head update, whatever the number of entries;
the chain stays strictly sequential, under concurrent writers too (PostgreSQL test below)."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inkseal.audit.models import AuditEntry, AuditHead
from inkseal.audit.services import Actor, appended_at_commit, record, verify_log

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "tests")


def _writes(sql: list[str]) -> list[str]:
    return [s for s in sql if "audit_" in s and not s.upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_a_block_writes_its_entries_with_one_head_read_one_insert_one_head_update() -> None:
    record("test.before", actor=ACTOR)
    with CaptureQueriesContext(connection) as queries, appended_at_commit():
        entries = [record("test.event", actor=ACTOR, data={"i": i}) for i in range(4)]
        assert AuditEntry.objects.filter(event="test.event").count() == 0  # waiting for the end of the block
    statements = _writes([q["sql"] for q in queries.captured_queries])
    assert len(statements) == 4, statements  # the count above, then head read, head update, insert
    assert [s.split()[0] for s in statements[1:]] == ["SELECT", "UPDATE", "INSERT"]
    assert [e.seq for e in entries] == [2, 3, 4, 5]  # the returned entries are the stored ones
    assert (
        list(AuditEntry.objects.order_by("seq").values_list("event", flat=True)) == ["test.before"] + ["test.event"] * 4
    )
    assert AuditHead.objects.get().seq == 5 and AuditHead.objects.get().entry_hash == entries[-1].entry_hash
    assert verify_log().intact and verify_log().checked == 5


def test_outside_a_block_each_entry_is_written_at_once() -> None:
    with transaction.atomic():
        record("test.event", actor=ACTOR)
        assert AuditEntry.objects.count() == 1
    assert verify_log().intact


def test_a_block_that_raises_writes_nothing() -> None:
    record("test.before", actor=ACTOR)
    with pytest.raises(ValueError), appended_at_commit():
        record("test.lost", actor=ACTOR)
        raise ValueError("refused")
    assert not AuditEntry.objects.filter(event="test.lost").exists()
    assert AuditHead.objects.get().seq == 1
    record("test.after", actor=ACTOR)
    assert verify_log().intact and verify_log().checked == 2


def test_an_entry_in_a_savepoint_rolls_back_with_it_and_the_chain_stays_whole() -> None:
    with appended_at_commit():
        record("test.first", actor=ACTOR)
        try:
            with transaction.atomic():
                record("test.rolled_back", actor=ACTOR)
                raise ValueError("refused")
        except ValueError:
            pass
        with transaction.atomic():
            record("test.kept_in_savepoint", actor=ACTOR)
        record("test.last", actor=ACTOR)
    events = list(AuditEntry.objects.order_by("seq").values_list("event", flat=True))
    # the savepoint's entry was written when recorded, the block's waiting ones at its end
    assert events == ["test.kept_in_savepoint", "test.first", "test.last"]
    assert verify_log().intact and AuditHead.objects.get().seq == 3


def test_entries_written_at_once_earlier_in_the_transaction_are_followed() -> None:
    with transaction.atomic():
        record("test.direct", actor=ACTOR)  # holds the head for this transaction
        with appended_at_commit():
            record("test.batched", actor=ACTOR)
            record("test.batched", actor=ACTOR)
        record("test.direct_again", actor=ACTOR)
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "event")) == [
        (1, "test.direct"),
        (2, "test.batched"),
        (3, "test.batched"),
        (4, "test.direct_again"),
    ]
    assert verify_log().intact


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="concurrent writers need a server database (run under scripts/with-postgres.sh)",
)
def test_concurrent_blocks_and_single_entries_keep_one_unforked_chain() -> None:
    writers, rounds = 6, 8
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(10)
            for r in range(rounds):
                if (n + r) % 2:
                    with appended_at_commit():
                        for i in range(3):
                            record("test.batched", actor=ACTOR, data={"writer": n, "round": r, "i": i})
                else:
                    with transaction.atomic():
                        record("test.single", actor=ACTOR, data={"writer": n, "round": r})
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    expected = sum(3 if (n + r) % 2 else 1 for n in range(writers) for r in range(rounds))
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, expected + 1))  # strictly sequential, nothing lost or doubled
    prevs = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(prevs)) == len(prevs)  # no two entries chained to the same predecessor: no fork
    # a block's entries are consecutive: nobody wrote between them
    for n in range(writers):
        for r in range(rounds):
            if (n + r) % 2:
                block = list(
                    AuditEntry.objects.filter(data__writer=n, data__round=r)
                    .order_by("seq")
                    .values_list("seq", flat=True)
                )
                assert block == list(range(block[0], block[0] + 3))
    report = verify_log()
    assert report.intact and report.checked == expected
