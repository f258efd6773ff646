"""kill -9 of the process signing a batch, at random points, then the recovery job.

    .venv/bin/python bench/signing_kill_bench.py [--kills 100] [--documents 10] [--seed 1]

Each round creates a task of --documents one-page PDFs through the API, starts a worker process
(`python -c`, the same code as the web process) that confirms it with the PIN and signs the
batch, and SIGKILLs it at a random moment of the batch (uniform over the time an uninterrupted
batch takes, measured first). Then the recovery (`inkseal.signing.tasks.lifecycle.
recover_stalled_sign_tasks`, as the consumer's periodic job calls it, its clock moved past the
heartbeat timeout) takes over every stalled task. Printed: tasks left non-terminal, signed documents without
their 应用记录 / seal usage / audit row, finished tasks without their callback (all must be 0).
SQLite in a throwaway var dir by default, PostgreSQL under scripts/with-postgres.sh.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from django.conf import settings
from django.utils import timezone
from lifecycle_fixture import PIN, ready

from inkseal.signing.models import SignTask, TaskStatus
from inkseal.signing.tasks.lifecycle import recover_stalled_sign_tasks
from tests.helpers.sign_lifecycle import KillOutcome, batch_invariants, kill_worker_while_signing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--spread", type=float, default=0.5, help="kills land in 0..spread x an uninterrupted batch (later ones miss)"
    )
    args = parser.parse_args()
    fixture, platform = ready()
    rng = random.Random(args.seed)

    def run(delay: float) -> KillOutcome:
        token = platform.create(fixture.certificate.serial, args.documents)
        return kill_worker_while_signing(
            token,
            PIN,
            database_url=os.environ.get("DATABASE_URL", ""),
            var_dir=str(settings.VAR_DIR),
            media_dir=str(settings.MEDIA_ROOT),
            delay=delay,
        )

    run(600.0)  # warm-up
    batch_seconds = run(600.0).seconds  # an uninterrupted batch: how long the kills are spread over
    uninterrupted = SignTask.objects.all()
    assert {task.status for task in uninterrupted} == {TaskStatus.COMPLETED}
    whole = list(uninterrupted.values_list("pk", flat=True))
    print(f"an uninterrupted batch of {args.documents} documents: {batch_seconds:.1f} s from the confirmation")

    killed = signed_before = 0
    for number in range(args.kills):
        outcome = run(rng.uniform(0.0, batch_seconds * args.spread))
        killed += outcome.killed
        signed_before += outcome.signed_before_kill if outcome.killed else 0
        if outcome.returncode not in (0, -9):
            print(f"worker {number} failed by itself: {outcome.stderr}")
    stalled = SignTask.objects.filter(status=TaskStatus.SIGNING).count()
    later = timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1)
    recovery_started = time.perf_counter()
    recovered = 0
    while taken := recover_stalled_sign_tasks(later):
        recovered += taken
    recovery_seconds = time.perf_counter() - recovery_started
    tasks = SignTask.objects.exclude(pk__in=whole)
    figures = batch_invariants(tasks)
    print(f"kill -9 rounds: {args.kills}; workers killed mid-batch: {killed} (documents done by then: {signed_before})")
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


if __name__ == "__main__":
    main()
