"""Audit log speed: appends per second (each its own transaction, as on the signing path) and
`audit verify` entries per second, on a throwaway SQLite database (or DATABASE_URL).

    .venv/bin/python bench/audit_bench.py [--appends 3000] [--verify 50000]

Prints appends/s (one thread) and the time `verify_log` takes over the whole log once it holds
--verify entries (the extra entries are bulk-inserted through the same chain code).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--verify", type=int, default=50000)
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="inkseal-audit-bench-")
    os.environ.setdefault("INKSEAL_VAR_DIR", var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from inkseal.audit.services import Actor, record, verify_log

    call_command("migrate", verbosity=0)
    actor = Actor("person", "13800000000", "张三")
    data = {"method": "pin", "document": "投标文件.pdf", "sha256": "ab" * 32}

    start = time.perf_counter()
    for i in range(args.appends):
        with transaction.atomic():
            record("sign_task.confirm", actor=actor, ip="127.0.0.1", target=f"sign_task:{i}", data=data)
    elapsed = time.perf_counter() - start
    print(f"appends: {args.appends / elapsed:,.0f}/s ({elapsed / args.appends * 1e3:.3f} ms each, own transaction)")

    with transaction.atomic():
        for i in range(args.appends, args.verify):
            record("sign_task.confirm", actor=actor, ip="127.0.0.1", target=f"sign_task:{i}", data=data)
    start = time.perf_counter()
    report = verify_log()
    elapsed = time.perf_counter() - start
    assert report.intact, report.reason
    print(f"verify: {report.checked:,} entries in {elapsed:.2f} s ({report.checked / elapsed:,.0f} entries/s)")


if __name__ == "__main__":
    main()
