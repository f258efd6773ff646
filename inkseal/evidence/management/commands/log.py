from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.evidence.services import issue_checkpoint, log_origin, sequence_all, verifiers
from inkseal.evidence.verify import AuditUnlogged, LogBroken, verify_audit_links, verify_log


class Command(BaseCommand):
    help = (
        "Transparency log tools: `log verify` recomputes the tree from the database and checks every "
        "stored checkpoint (exits non-zero with the reason when a leaf was edited, deleted, inserted or "
        "reordered); `log sequence` numbers pending leaves; `log checkpoint` sequences, then signs and "
        "time-stamps a checkpoint and prints it; `log keys` prints the verifier keys to publish."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "sequence", "checkpoint", "keys"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sequence":
            self.stdout.write(f"{sequence_all()} leaves sequenced")
        elif action == "checkpoint":
            self.stdout.write(issue_checkpoint().note, ending="")
        elif action == "keys":
            for verifier in verifiers(include_retired=False):
                self.stdout.write(verifier.text())
        else:
            try:
                report = verify_log()
            except LogBroken as exc:
                raise CommandError(f"transparency log broken at #{exc.at}: {exc.reason}") from None
            try:
                linked = verify_audit_links()
            except AuditUnlogged as exc:
                raise CommandError(f"audit log and transparency log disagree: {exc.reason}") from None
            self.stdout.write(
                f"transparency log {log_origin()} intact: {report.leaves} leaves recomputed, "
                f"{report.checkpoints} checkpoints verified, root {report.root}; "
                f"{linked} audit entries of logged events each have their leaf"
            )
