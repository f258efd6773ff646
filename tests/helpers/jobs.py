"""The job queue in tests. The suite's Huey keeps its queue in memory and runs nothing by itself
(settings.HUEY): a test runs the jobs it needs here, in its own thread, as the consumer would."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from inkseal.core.queue import load_jobs


def _utc(at: datetime | None) -> datetime:
    return (at or timezone.now()).astimezone(UTC).replace(tzinfo=None)  # Huey's clock: naive UTC


def run_queued_jobs(at: datetime | None = None) -> int:
    """Run every queued job and every job scheduled up to `at` (now by default: a later moment
    lets a retry's backoff pass), and those they queue in turn; returns how many ran."""
    moment, ran = _utc(at), 0
    while jobs := [*iter(HUEY.dequeue, None), *HUEY.read_schedule(moment)]:
        for job in jobs:
            if HUEY.ready_to_run(job, moment):
                HUEY.execute(job, moment)
                ran += 1
            else:
                HUEY.add_schedule(job)  # not due yet: kept, as the consumer keeps it
    return ran


def run_periodic_jobs(at: datetime | None = None) -> list[str]:
    """Queue the periodic jobs due at `at` as the consumer's scheduler does, run them; their names."""
    load_jobs()  # as `inkseal run_huey` does before it starts
    due = HUEY.read_periodic(_utc(at))
    for job in due:
        HUEY.enqueue(job)
    run_queued_jobs()
    return sorted(job.name for job in due)
