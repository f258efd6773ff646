"""`inkseal jobs purge`: delete signed documents older than INKSEAL_SIGNED_RETENTION_DAYS and
self-service uploads never signed older than INKSEAL_SIGN_DRAFT_RETENTION_HOURS, now. The job
consumer (`inkseal run_huey`) does the same every hour, beside its other periodic jobs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inkseal.signing.records.services import purge_signed_documents
from inkseal.signing.selfservice.services import purge_abandoned_drafts


class Command(BaseCommand):
    help = "Retention purge of signed documents and abandoned self-service uploads, now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["purge"])

    def handle(self, *args: Any, **options: Any) -> None:
        documents, drafts = purge_signed_documents(), purge_abandoned_drafts()
        self.stdout.write(f"purged {documents} documents, {drafts} abandoned uploads")
