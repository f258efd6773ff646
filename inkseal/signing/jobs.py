"""Signing's periodic jobs on Huey, run by the job consumer (`inkseal run_huey`): recovery of sign
tasks whose worker died, expiry of unconfirmed tasks, purges of signed documents past their
retention and of self-service uploads never signed. Each is safe to run twice, or on several
consumers at once (rows are claimed under locks). The callback sweep is in callbacks/delivery.py.

Registered in the consumer (inkseal.core.queue.load_jobs), and each job imports what it runs when
it first runs: the signing modules load pyHanko."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from inkseal.signing.callbacks import delivery  # noqa: F401 - registers the delivery job and its sweep
from inkseal.signing.flows import jobs as flow_jobs  # noqa: F401 - registers the sign flows' expiry

log = logging.getLogger(__name__)


def _report(what: str, count: int) -> None:
    if count:
        log.info("%s: %d", what, count)


@db_periodic_task(crontab(minute="*"), name="signing.recover_stalled_sign_tasks")
def recover_stalled_sign_tasks_job() -> None:
    from inkseal.signing.tasks.lifecycle import recover_stalled_sign_tasks

    _report("stalled sign tasks taken over", recover_stalled_sign_tasks())


@db_periodic_task(crontab(minute="*"), name="signing.expire_sign_tasks")
def expire_sign_tasks_job() -> None:
    from inkseal.signing.tasks.lifecycle import expire_sign_tasks

    _report("sign tasks expired", expire_sign_tasks())


@db_periodic_task(crontab(minute="17"), name="signing.purge_signed_documents")
def purge_signed_documents_job() -> None:
    from inkseal.signing.records.services import purge_signed_documents

    _report("signed documents purged", purge_signed_documents())


@db_periodic_task(crontab(minute="47"), name="signing.purge_abandoned_drafts")
def purge_abandoned_drafts_job() -> None:
    from inkseal.signing.selfservice.services import purge_abandoned_drafts

    _report("abandoned self-service uploads purged", purge_abandoned_drafts())
