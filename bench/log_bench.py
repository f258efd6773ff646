"""Transparency log speed, on a throwaway SQLite database (or DATABASE_URL, e.g. through
scripts/with-postgres.sh):

    .venv/bin/python bench/log_bench.py [--writers 4] [--appends 1000] [--leaves 1000000] [--proofs 2000]
    ./scripts/with-postgres.sh .venv/bin/python bench/log_bench.py

1. appends/s with --writers processes (separate app servers) each appending --appends events, every
   append its own transaction (as on the signing path), while a sequencer process numbers pending
   leaves in batches the whole time; then the sequencer's own rate (leaves/s).
2. proofs/s on a log of --leaves leaves: the log is filled straight into the tables (leaf rows and
   the tree nodes computed with the pure core, bulk-inserted: appending 1M leaves one transaction
   at a time would only measure (1) again), then inclusion and consistency proofs are answered
   through the service functions (the API's path), and for comparison from the same tree in memory.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")
    import django

    django.setup()


def _writer(count: int, seed: int, ready: object, start: object) -> None:
    _setup()
    from django.db import transaction

    from inkseal.evidence.services import log_event

    ready.put(seed)  # type: ignore[attr-defined]
    start.wait()  # type: ignore[attr-defined]
    for i in range(count):
        with transaction.atomic():
            log_event("signing.record", {"event_id": f"{seed}-{i}", "document": {"sha256_before": "ab" * 32}})


def _sequencer(ready: object, stop: object) -> None:
    _setup()
    from inkseal.evidence.services import sequence

    ready.put("sequencer")  # type: ignore[attr-defined]
    while not stop.is_set():  # type: ignore[attr-defined]
        if not sequence():
            time.sleep(0.05)


def concurrent_appends(writers: int, appends: int, with_sequencer: bool = True) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, stop, ready = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(appends, w, ready, start)) for w in range(writers)]
    sequencer = ctx.Process(target=_sequencer, args=(ready, stop))
    running = [*procs, sequencer] if with_sequencer else procs
    for p in running:
        p.start()
    for _ in running:  # every process has finished django.setup() before the clock starts
        ready.get()
    began = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - began
    stop.set()
    if with_sequencer:
        sequencer.join()
    total = writers * appends
    print(
        f"appends: {total / elapsed:,.0f}/s with {writers} writer processes "
        f"{'and a sequencer running' if with_sequencer else 'and no sequencer'} ({total} appends, own transaction each)"
    )
    if not with_sequencer:
        return

    from inkseal.evidence.models import LogLeaf
    from inkseal.evidence.services import sequence_all

    began = time.perf_counter()
    rest = sequence_all()
    left = time.perf_counter() - began
    assert not LogLeaf.objects.filter(index__isnull=True).exists()
    print(f"sequenced while writing: {total - rest}/{total}; the rest ({rest}) in {left:.2f} s")


def single_writer(count: int) -> None:
    """The same appends from one process, nothing else running: what the database alone allows."""
    from django.db import transaction

    from inkseal.evidence.services import log_event

    began = time.perf_counter()
    for i in range(count):
        with transaction.atomic():
            log_event("signing.record", {"event_id": f"single-{i}"})
    print(f"appends: {count / (time.perf_counter() - began):,.0f}/s from one process alone (for comparison)")


def sequencer_rate(count: int) -> None:
    from django.db import transaction

    from inkseal.evidence.services import log_event, sequence_all

    with transaction.atomic():
        for i in range(count):
            log_event("signing.record", {"event_id": f"rate-{i}"})
    began = time.perf_counter()
    done = sequence_all()
    elapsed = time.perf_counter() - began
    print(f"sequencer: {done / elapsed:,.0f} leaves/s (batches of 2000, tree nodes stored)")


def fill(leaves: int) -> object:
    """A log of `leaves` leaves written straight into the tables; returns its MemoryTree."""
    from django.db import connection, transaction
    from django.utils import timezone

    from inkseal.evidence import merkle
    from inkseal.evidence.canonical import canonical_json
    from inkseal.evidence.models import LogHead, LogLeaf, LogNode

    LogNode.objects.all().delete()
    LogLeaf.objects.all().delete()
    began = time.perf_counter()
    tree = merkle.MemoryTree()
    now = timezone.now()
    rows = []
    for i in range(leaves):
        body = canonical_json({"kind": "bench", "at": now.isoformat(), "event": {"n": i}})
        digest = merkle.SHA256.leaf(body)
        tree.append(digest)
        rows.append((i, "bench", body.decode(), digest.hex(), now))
    built = time.perf_counter() - began
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        leaf_table, node_table = LogLeaf._meta.db_table, LogNode._meta.db_table
        for chunk in range(0, len(rows), 20000):
            cursor.executemany(
                f'INSERT INTO {leaf_table} ("index", kind, body, leaf_hash, created_at) VALUES (%s, %s, %s, %s, %s)',
                rows[chunk : chunk + 20000],
            )
        nodes = [(level, i, h) for level, row in enumerate(tree.levels) for i, h in enumerate(row)]
        for chunk in range(0, len(nodes), 20000):
            cursor.executemany(
                f'INSERT INTO {node_table} (level, "index", hash) VALUES (%s, %s, %s)', nodes[chunk : chunk + 20000]
            )
        LogHead.objects.update_or_create(id=1, defaults={"size": leaves, "root_hash": tree.root().hex()})
    print(
        f"filled {leaves:,} leaves and {len(nodes):,} nodes: tree built in memory in {built:.1f} s, "
        f"inserted in {time.perf_counter() - began:.1f} s"
    )
    return tree


def proofs(tree: object, count: int) -> None:
    from inkseal.evidence import merkle
    from inkseal.evidence.models import LogCheckpoint, LogLeaf
    from inkseal.evidence.services import consistency_proof, issue_checkpoint, verifiers

    assert isinstance(tree, merkle.MemoryTree)
    size = tree.size
    LogCheckpoint.objects.all().delete()
    cp = issue_checkpoint()
    assert cp.size == size and cp.root_hash == tree.root().hex()
    assert verifiers()
    rng = random.Random(7)
    indexes = [rng.randrange(size) for _ in range(count)]
    hashes = dict(LogLeaf.objects.filter(index__in=indexes).values_list("index", "leaf_hash"))
    from inkseal.evidence.services import inclusion_proof

    began = time.perf_counter()
    for i in indexes:
        proof = inclusion_proof(hashes[i])
    elapsed = time.perf_counter() - began
    merkle.verify_inclusion(
        merkle.SHA256, bytes.fromhex(hashes[indexes[-1]]), indexes[-1], size, proof.hashes, tree.root()
    )
    print(f"inclusion proofs (database, {size:,}-leaf log): {count / elapsed:,.0f}/s ({len(proof.hashes)} hashes each)")

    pairs = [tuple(sorted((rng.randrange(1, size + 1), rng.randrange(1, size + 1)))) for _ in range(count)]
    began = time.perf_counter()
    for first, second in pairs:
        consistency = consistency_proof(first, second)
    elapsed = time.perf_counter() - began
    first, second = pairs[-1]
    merkle.verify_consistency(merkle.SHA256, first, second, tree.root(first), tree.root(second), consistency)
    print(f"consistency proofs (database): {count / elapsed:,.0f}/s")

    began = time.perf_counter()
    for i in indexes:
        tree.inclusion_proof(i)
    elapsed = time.perf_counter() - began
    print(f"inclusion proofs (pure core, tree in memory): {count / elapsed:,.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2000)
    args = parser.parse_args()

    os.environ.setdefault("INKSEAL_VAR_DIR", tempfile.mkdtemp(prefix="inkseal-log-bench-"))
    _setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    concurrent_appends(args.writers, args.appends)
    concurrent_appends(args.writers, args.appends, with_sequencer=False)
    single_writer(args.appends)
    sequencer_rate(10000)
    tree = fill(args.leaves)
    proofs(tree, args.proofs)


if __name__ == "__main__":
    main()
