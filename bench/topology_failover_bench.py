"""kill -9 of one app server and one job consumer under a load of sign tasks through HAProxy,
on the multi-node topology of scripts/topology.sh (PostgreSQL, Redis, HAProxy, two `inkseal
serve` app servers, two Huey consumers, all on loopback).

    .venv/bin/python bench/topology_failover_bench.py [--clients 8] [--tasks 300] [--kill-after 100]
        [--queue-recovery]

--clients platform threads sign --tasks one-document tasks (create with an Idempotency-Key,
SMS code, confirm, poll, download) through the load balancer; after --kill-after answers, app
server 1 (gunicorn's master and workers) and consumer 1 get SIGKILL. A task whose confirmation
died with its server stays "signing" until its heartbeat is INKSEAL_SIGN_HEARTBEAT_TIMEOUT (4 s
here) old; the surviving consumer's minute cron then resumes it (--queue-recovery queues the job
every 5 s instead, as the test does). Printed: throughput before and after the kill, what the
clients saw (errors, and how long after the kill), the balancer's /healthz probes, and what the
database says: tasks not terminal, failed without a reason, signed twice, signed without record,
file or audit row, resumed by a consumer (all but the last must be 0), the audit chain.
The figures of one run are quoted in docs/scaling.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.s3_server import moto_s3, storage_env  # noqa: E402
from tests.helpers.topology import Fixture, Load, Outcome, Topology, missing_binaries, run_failover  # noqa: E402
from tests.test_topology import _free_base_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--kill-after", type=int, default=100)
    parser.add_argument("--queue-recovery", action="store_true", help="queue the recovery job every 5 s")
    parser.add_argument(
        "--s3", action="store_true", help="files in a bucket of moto's S3 server, not the shared var dir"
    )
    args = parser.parse_args()
    if missing_binaries():
        raise SystemExit(f"missing: {', '.join(missing_binaries())} (scripts/system-packages.sh test)")
    directory = Path(tempfile.mkdtemp(prefix="inkseal-topology-"))
    directory.chmod(0o755)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        extra: dict[str, str] = {}
        if args.s3:
            endpoint = stack.enter_context(moto_s3(directory / "moto.log", "inkseal-bench"))
            extra = storage_env(endpoint, "inkseal-bench")
        topology = Topology(directory, _free_base_port(), extra)
        outcomes, load, kill_at, begin, end, checked = run(topology, args, started)
        shutil.rmtree(directory, ignore_errors=True)
    report(args, outcomes, load, kill_at, begin, end, checked)


def run(topology: Topology, args: argparse.Namespace, started: float) -> tuple[Any, ...]:
    try:
        topology.script("start")
        print(f"topology up in {time.monotonic() - started:.0f} s ({topology.directory})")
        fixture = Fixture(**topology.run("fixture", str(args.clients)))
        begin = time.monotonic()
        outcomes, load, kill_at = run_failover(
            topology,
            fixture,
            clients=args.clients,
            tasks=args.tasks,
            kill_after=args.kill_after,
            cron=not args.queue_recovery,
        )
        end = time.monotonic()
        path = topology.directory / "task_ids.json"
        path.write_text(json.dumps([o.task_id for o in outcomes if o.task_id]))
        checked = topology.run("check", str(path))
    finally:
        topology.script("stop")
    return outcomes, load, kill_at, begin, end, checked


def report(
    args: argparse.Namespace,
    outcomes: list[Outcome],
    load: Load,
    kill_at: float,
    begin: float,
    end: float,
    checked: dict[str, Any],
) -> None:
    before = [o for o in outcomes if o.finished_at <= kill_at]
    after = [o for o in outcomes if o.finished_at > kill_at]
    spanning = [o for o in outcomes if o.started_at < kill_at < o.finished_at]
    cores = os.cpu_count() or 1
    print(f"{cores} cores; {args.clients} clients through HAProxy; {len(outcomes)} one-document tasks")
    print(f"before the kill: {len(before) / max(kill_at - begin, 1e-9):6.1f} tasks/s ({len(before)} tasks)")
    print(f"after the kill:  {len(after) / max(end - kill_at, 1e-9):6.1f} tasks/s ({len(after)} tasks, one app server)")
    print(
        f"tasks in flight at the kill: {len(spanning)}; longest of them to its final answer:"
        f" {max((o.finished_at - kill_at for o in spanning), default=0):.1f} s after the kill"
    )
    print(f"client requests: {load.requests}; failed (5xx or broken connection): {len(load.errors)}")
    for at, failure in load.errors:
        print(f"  {failure} at {at - kill_at:+.2f} s from the kill")
    late = [at for at in load.probe_failures if at > kill_at + 4]
    print(
        f"balancer /healthz probes: {load.probes}, failed: {len(load.probe_failures)}"
        f" ({len(late)} more than 4 s after the kill)"
    )
    print(f"task outcomes: {checked['statuses']}; failure codes: {checked['failures']}")
    print(f"resumed by a consumer (their server died): {checked['recovered_by_a_consumer']}")
    for name in (
        "non_terminal",
        "failed_without_reason",
        "signed_twice",
        "missing_record_or_audit",
        "signed_files_missing",
        "orphaned_files",
    ):
        print(f"{name.replace('_', ' ')}: {checked[name]}")
    lost = len(outcomes) - checked["found"]
    print(f"lost (a client's task the database does not have): {lost}")
    print(f"audit chain intact: {checked['audit_chain_intact']} ({checked['audit_entries']} entries)")


if __name__ == "__main__":
    main()
