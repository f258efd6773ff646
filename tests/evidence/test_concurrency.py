"""Many app servers append at once while sequencers run: every leaf gets exactly one index, the
indexes have no gaps, and the stored tree is the tree of the leaves in index order."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, transaction

from inkseal.evidence import merkle
from inkseal.evidence.models import LogHead, LogLeaf, LogNode
from inkseal.evidence.services import log_event, sequence, sequence_all

WRITERS, APPENDS = 4, 25


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="a true race needs a server database; SQLite's in-memory test database refuses instead of waiting "
    "(run with scripts/with-postgres.sh)",
)
def test_concurrent_writers_and_two_sequencers_build_one_gapless_tree():
    writing = threading.Barrier(WRITERS + 2)
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            writing.wait()
            for i in range(APPENDS):
                with transaction.atomic():
                    log_event("test.event", {"writer": w, "i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def sequencer() -> None:
        try:
            writing.wait()
            while not done.is_set():
                sequence(batch=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    sequencers = [threading.Thread(target=sequencer) for _ in range(2)]
    for thread in [*writers, *sequencers]:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in sequencers:
        thread.join()
    assert not errors, errors
    sequence_all()

    total = WRITERS * APPENDS
    rows = list(LogLeaf.objects.order_by("index").values_list("index", "leaf_hash"))
    assert [index for index, _ in rows] == list(range(total))
    tree = merkle.MemoryTree()
    for _, leaf_hash in rows:
        tree.append(bytes.fromhex(leaf_hash))
    assert LogHead.objects.get(id=1).root_hash == tree.root().hex()
    stored = {(n.level, n.index): bytes(n.hash) for n in LogNode.objects.all()}
    assert stored == {(lv, i): h for lv, row in enumerate(tree.levels) for i, h in enumerate(row)}
