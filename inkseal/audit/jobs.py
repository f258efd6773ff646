"""The audit log's periodic job on Huey: time-stamp the chain's head when it moved and the last
anchor is INKSEAL_AUDIT_ANCHOR_MINUTES old (`inkseal audit anchor` does it by hand)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from inkseal.audit.services import anchor_if_due


@db_periodic_task(crontab(minute="*"), name="audit.anchor_head")
def anchor_head_job() -> None:
    anchor_if_due()
