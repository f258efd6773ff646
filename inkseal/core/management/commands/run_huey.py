"""`inkseal run_huey`: Huey's consumer, with every app's jobs registered first.

huey.contrib.djhuey is not an installed app (importing it loads Huey's storage drivers at every
Django setup); this command is its `run_huey` with our job modules (inkseal.core.queue.load_jobs)."""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey.management.commands.run_huey import Command as HueyCommand

from inkseal.core.queue import load_jobs


class Command(HueyCommand):  # type: ignore[misc]
    help = "Run the job consumer (callbacks, recovery, expiry, purges, CRLs, anchors, checkpoints)."

    def handle(self, *args: Any, **options: Any) -> None:
        load_jobs()
        super().handle(*args, **options)
