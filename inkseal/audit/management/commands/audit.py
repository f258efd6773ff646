from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.audit.services import verify_log


class Command(BaseCommand):
    help = "Audit log tools: `audit verify` checks the hash chain and exits non-zero when broken."
    requires_system_checks: list[str] = []  # checks load every URL module (pyHanko, OpenCV): seconds

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_log()
        if not report.intact:
            raise CommandError(
                f"audit chain broken at entry #{report.broken_at}: {report.reason} "
                f"({report.checked} entries verified before it)"
            )
        self.stdout.write(f"audit chain intact: {report.checked} entries verified")
