"""kill -9 of the process signing a batch, at chosen points of the batch, then the recovery job.

    .venv/bin/python bench/signing_kill_bench.py [--kills 100] [--documents 10] [--seed 1]

Each round creates a task of --documents one-page PDFs through the API, starts a worker process
(`python -c`, the same code as the web process) that confirms it with the PIN and signs the
batch, and SIGKILLs it at a point of the batch chosen at random and watched for in the database
and on disk, so that every kill lands while the batch is being signed (not before the
confirmation, not after the last commit, whatever the machine's speed):
- "after k": once k documents (0 <= k < n) are committed, after a random part (at most half) of
  the time a document takes;
- "stored": once document k+1's signed file is on disk (k < n - 1), i.e. between storing a
  signed file and committing its row, or just after.
A kill is counted as landed mid-batch when the task was still "signing" with documents pending
when the worker died (checked after its death: the database then says what it said at the kill);
a round that misses is repeated until --kills kills have landed. Then the periodic recovery
(`inkseal.signing.tasks.lifecycle.recover_stalled_sign_tasks`, as the consumer's periodic job
calls it, its clock moved past the heartbeat timeout) takes over every stalled task. Printed: kills landed mid-batch,
tasks left non-terminal, signed documents without their 应用记录 / seal usage / audit row,
finished tasks without their callback, signed files on disk no committed row references (all but
the first must be 0). SQLite in a throwaway var dir by default, PostgreSQL under
scripts/with-postgres.sh.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# not a parsing-budget bench: a cold parser process on a loaded machine must not refuse the batches
os.environ.setdefault("INKSEAL_PDF_PARSE_WALL_SECONDS", "120")
from django.conf import settings
from django.utils import timezone
from lifecycle_fixture import PIN, ready

from inkseal.signing.models import SigningRecord, SignTask, TaskStatus
from inkseal.signing.tasks.lifecycle import recover_stalled_sign_tasks
from inkseal.signing.tasks.storage_cleanup import uncommitted_signed_files
from tests.helpers.sign_lifecycle import (
    KillOutcome,
    batch_invariants,
    documents_done,
    kill_worker_while_signing,
    signed_file_stored,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    fixture, platform = ready()
    rng = random.Random(args.seed)
    media = str(settings.MEDIA_ROOT)

    def run(delay: float = 0.0, when: Callable[[SignTask], bool] | None = None) -> KillOutcome:
        token = platform.create(fixture.certificate.serial, args.documents)
        return kill_worker_while_signing(
            token,
            PIN,
            database_url=os.environ.get("DATABASE_URL", ""),
            var_dir=str(settings.VAR_DIR),
            media_dir=media,
            delay=delay,
            when=when,
        )

    run(600.0)  # warm-up
    batch_seconds = run(600.0).seconds  # an uninterrupted batch
    # the shortest time between two documents' signatures in it: kills after k documents come at
    # most half of it later, so they land before document k+1's commit (or soon after it)
    times = list(
        SigningRecord.objects.filter(task=SignTask.objects.latest("pk")).order_by("at").values_list("at", flat=True)
    )
    per_document = min((b - a).total_seconds() for a, b in itertools.pairwise(times))
    uninterrupted = SignTask.objects.all()
    assert {task.status for task in uninterrupted} == {TaskStatus.COMPLETED}
    whole = list(uninterrupted.values_list("pk", flat=True))
    print(
        f"an uninterrupted batch of {args.documents} documents: {batch_seconds:.1f} s from the confirmation "
        f"to the worker's exit, {per_document:.2f} s between two signatures at the least"
    )

    rounds = landed = signed_before = left_stored = 0
    points: Counter[str] = Counter()
    while landed < args.kills and rounds < 3 * args.kills:
        rounds += 1
        done = rng.randrange(args.documents)
        if done < args.documents - 1 and rng.random() < 1 / 3:
            point = "stored"
            outcome = run(
                when=lambda task, k=done: documents_done(task) >= k and signed_file_stored(media, task, k + 1)  # type: ignore[misc]
            )
        else:
            point = "after k"
            outcome = run(
                delay=rng.uniform(0.0, per_document / 2),
                when=lambda task, k=done: documents_done(task) >= k,  # type: ignore[misc]
            )
        if outcome.returncode not in (0, -9):
            print(f"round {rounds}: the worker failed by itself: {outcome.stderr}")
        if not outcome.killed:  # missed (the batch ended first): repeated
            print(
                f"round {rounds}: {point} {done} missed ({outcome.signed_before_kill} signed, {outcome.seconds:.2f} s)"
            )
            continue
        landed += 1
        points[point] += 1
        signed_before += outcome.signed_before_kill
        task = SignTask.objects.order_by("-pk").first()
        assert task is not None
        left_stored += bool(uncommitted_signed_files(task))
    stalled = SignTask.objects.filter(status=TaskStatus.SIGNING).count()
    later = timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1)
    recovery_started = time.perf_counter()
    recovered = 0
    while taken := recover_stalled_sign_tasks(later):
        recovered += taken
    recovery_seconds = time.perf_counter() - recovery_started
    tasks = SignTask.objects.exclude(pk__in=whole)
    figures = batch_invariants(tasks)
    print(
        f"kill -9 rounds: {rounds}; kills landed mid-batch: {landed} of {args.kills} wanted "
        f"({', '.join(f'{n} {p}' for p, n in sorted(points.items()))}; documents committed by then: {signed_before})"
    )
    print(f"kills that left a signed file stored but not committed: {left_stored}")
    print(
        f"tasks left 'signing' by the kills: {stalled}; taken over by recovery: {recovered} ({recovery_seconds:.1f} s)"
    )
    print(
        "after recovery: "
        + ", ".join(f"{status} {tasks.filter(status=status).count()}" for status in TaskStatus.values)
    )
    print(f"tasks non-terminal: {figures.non_terminal}")
    print(
        f"documents: {figures.documents}, signed: {figures.documents_signed}, "
        f"without their record/seal usage/audit row: {figures.documents_missing_rows}"
    )
    print(f"finished tasks without their callback: {figures.tasks_without_callback}")
    print(f"signed files on disk that no committed row references: {figures.orphaned_files}")


if __name__ == "__main__":
    main()
