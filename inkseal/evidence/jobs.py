"""The transparency log's periodic job on Huey: sequence pending leaves and sign a checkpoint
every INKSEAL_LOG_CHECKPOINT_MINUTES (`inkseal log checkpoint` does it by hand)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from inkseal.evidence.services import checkpoint_if_due


@db_periodic_task(crontab(minute="*"), name="evidence.checkpoint")
def checkpoint_job() -> None:
    checkpoint_if_due()
