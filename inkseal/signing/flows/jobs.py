"""Sign flows' periodic job on Huey: expiry of flows whose links expired, and
signers whose sign task failed after its worker died."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"), name="signing.expire_sign_flows")
def expire_sign_flows_job() -> None:
    from inkseal.signing.flows.lifecycle import expire_sign_flows, settle_finished_signers

    count = expire_sign_flows()
    settle_finished_signers()
    if count:
        log.info("sign flows expired: %d", count)


@db_periodic_task(crontab(minute="17"), name="signing.purge_flow_documents")
def purge_flow_documents_job() -> None:
    from inkseal.signing.flows.lifecycle import purge_flow_documents

    count = purge_flow_documents()
    if count:
        log.info("sign flow documents purged: %d", count)
