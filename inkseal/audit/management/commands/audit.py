from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.audit.services import anchor_file, anchor_head, anchor_line, verify_log


class Command(BaseCommand):
    help = (
        "Audit log tools: `audit verify` checks the keyed hash chain and that it still reaches every "
        "anchor (exits non-zero when broken, shrunk or emptied); `audit anchor` time-stamps the "
        "current head, stores it, appends it to the anchor file and prints it (keep a copy elsewhere)."
    )
    requires_system_checks: list[str] = []  # checks load every URL module (pyHanko, OpenCV): seconds

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "anchor"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "anchor":
            anchor = anchor_head()
            stamped = "time-stamped" if anchor.token else "NOT time-stamped (no TSA yet)"
            self.stdout.write(
                f"audit head #{anchor.seq} {anchor.entry_hash} anchored at {anchor.stamped_at.isoformat()}, "
                f"{stamped}; appended to {anchor_file()}"
            )
            self.stdout.write(anchor_line(anchor))
            return
        report = verify_log()
        if not report.intact:
            raise CommandError(
                f"audit chain broken at entry #{report.broken_at}: {report.reason} "
                f"({report.checked} entries verified before it)"
            )
        anchored = (
            f"; reaches the latest anchor #{report.anchor.seq} ({report.anchor.source}, {report.anchor.at})"
            if report.anchor
            else "; no anchor yet (run `inkseal audit anchor`)"
        )
        self.stdout.write(f"audit chain intact: {report.checked} entries verified under the chain key{anchored}")
