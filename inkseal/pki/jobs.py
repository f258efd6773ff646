"""The PKI's periodic job on Huey: publish every CRL that is due (half its validity passed), so
relying parties fetch a fresh one; `inkseal ca issue-crl` does it by hand."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from inkseal.pki.crl_publishing import refresh_crls

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"), name="pki.refresh_crls")
def refresh_crls_job() -> None:
    if done := refresh_crls():
        log.info("CRLs published: %s", ", ".join(done))
