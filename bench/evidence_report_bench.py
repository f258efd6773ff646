"""Evidence report (签署报告) generation time, on the throwaway database and PKI of
bench/signing_http_bench.py (SQLite in a temporary var dir, or DATABASE_URL's PostgreSQL):

    .venv/bin/python bench/evidence_report_bench.py [--reports 5] [--documents 1]

A task of --documents one-page PDFs is signed (PIN confirmation, in process), then --reports
reports are issued for it (`issue_report`: gather the evidence, prove the leaves against the
checkpoint, typeset the PDF, sign it twice (SM2 and ECDSA, both B-LT), log the issue). Printed:
the median and worst time per report and its parts (typesetting, signing), and the offline check
of one report (tools/verify_evidence.py's code). The other log figures (appends/s with concurrent
writers, proofs/s on 1M leaves) are bench/log_bench.py's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lifecycle_fixture import PIN, ready

from inkseal.core.acting import Acting
from inkseal.evidence import offline, report_pdf, report_signing, reports
from inkseal.evidence.models import LogLeaf
from inkseal.signing.models import SignTask
from inkseal.signing.tasks.confirm import do_confirm_sign_task


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=5)
    parser.add_argument("--documents", type=int, default=1)
    args = parser.parse_args()
    fixture, platform = ready()
    token = platform.create(fixture.certificate.serial, args.documents)
    do_confirm_sign_task(token, "pin", PIN, acting=Acting.anonymous("127.0.0.1"))
    task = SignTask.objects.get()
    print(f"task {task.public_id}: {task.status}, {LogLeaf.objects.count()} log leaves")

    totals, typeset, signing = [], [], []
    subject = reports.subject_of_task(task)
    for _ in range(args.reports):
        started = time.perf_counter()
        issued = reports.issue_report(subject, acting=Acting.system("bench"))
        totals.append(time.perf_counter() - started)
    evidence = reports.evidence_of(
        subject,
        [reports._leaf_of(row) for row in subject.records],
        reports._checkpoint_covering([reports._leaf_of(row) for row in subject.records]),
        report_id="bench",
        language="zh-hans",
    )
    for _ in range(args.reports):
        started = time.perf_counter()
        pdf = report_pdf.build_report_pdf(evidence)
        typeset.append(time.perf_counter() - started)
        started = time.perf_counter()
        report_signing.sign_report(pdf)
        signing.append(time.perf_counter() - started)
    started = time.perf_counter()
    checked = offline.verify_report(issued.pdf)
    check_seconds = time.perf_counter() - started

    def line(name: str, values: list[float]) -> str:
        return f"{name:<38} median {statistics.median(values):6.2f} s   worst {max(values):6.2f} s"

    print(
        f"reports of a task with {args.documents} document(s), {args.reports} runs, {len(issued.pdf) // 1024} KiB each"
    )
    print(line("issue_report (whole)", totals))
    print(line("  typesetting (report_pdf, fonts)", typeset))
    print(line("  signing (SM2 B-LT + ECDSA B-LT)", signing))
    print(
        f"{'offline check (tools/verify_evidence.py)':<38} {check_seconds:6.2f} s, {'ok' if checked.ok else 'FAILED'}"
    )


if __name__ == "__main__":
    main()
