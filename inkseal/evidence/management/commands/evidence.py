from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.evidence.offline import print_result
from inkseal.evidence.offline_checks import verify_report_here


class Command(BaseCommand):
    help = (
        "Evidence reports (签署报告): `evidence verify report.pdf [--document file] [--json]` checks the "
        "report's signatures (and pyHanko's analysis against the platform's roots), the embedded evidence, "
        "each inclusion proof against the checkpoint and the checkpoint's signature against the log's "
        "published keys; exits non-zero with the reasons when a check fails."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("report", help="the report PDF")
        parser.add_argument("--document", help="the signed document the report is about (.pdf or .ofd)")
        parser.add_argument("--checkpoint", action="append", default=[], help="a checkpoint note seen elsewhere")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pdf = Path(options["report"]).read_bytes()
            document = Path(options["document"]).read_bytes() if options["document"] else None
            checkpoints = [Path(p).read_text("utf-8") for p in options["checkpoint"]]
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from None
        result = verify_report_here(pdf, document=document, checkpoints=checkpoints)
        print_result(result, as_json=options["json"], out=self.stdout)
        if not result.ok:
            raise CommandError("; ".join(f"{c.code}: {c.detail}" for c in result.failures))
