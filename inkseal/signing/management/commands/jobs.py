"""`inkseal jobs run [--once]`: in a loop, take over sign tasks whose worker died (resume or fail
them), expire unconfirmed tasks, deliver due callbacks, anchor the audit head (and purge expired files).
`inkseal jobs purge`: delete signed documents older than INKSEAL_SIGNED_RETENTION_DAYS and
self-service uploads never signed older than INKSEAL_SIGN_DRAFT_RETENTION_HOURS, now."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inkseal.audit.services import anchor_if_due
from inkseal.evidence.services import checkpoint_if_due
from inkseal.signing.callbacks.jobs import run_periodic_jobs
from inkseal.signing.records.services import purge_signed_documents
from inkseal.signing.selfservice.services import purge_abandoned_drafts


class Command(BaseCommand):
    help = "Background jobs: sign task recovery and expiry, callback deliveries with retries, retention purge."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["run", "purge"])
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "purge":
            documents, drafts = purge_signed_documents(), purge_abandoned_drafts()
            self.stdout.write(f"purged {documents} documents, {drafts} abandoned uploads")
            return
        last_purge = 0.0
        while True:
            done = run_periodic_jobs()
            if any(done.values()):
                self.stdout.write(", ".join(f"{name} {count}" for name, count in done.items()))
            anchor_if_due()  # the audit head, time-stamped every INKSEAL_AUDIT_ANCHOR_MINUTES
            checkpoint_if_due()  # transparency log: sequence pending leaves, checkpoint every N minutes
            if time.monotonic() - last_purge > 3600:
                purge_signed_documents()
                purge_abandoned_drafts()
                last_purge = time.monotonic()
            if options["once"]:
                return
            time.sleep(options["interval"])
