"""The PKI's periodic job on Huey: publish every CRL that is due (half its validity passed), so
relying parties fetch a fresh one; `inkseal ca issue-crl` does it by hand. And re-sign the
pre-signed OCSP answers before they expire (inkseal.pki.responders)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from inkseal.pki.crl_publishing import refresh_crls
from inkseal.pki.responders import refresh_ocsp_answers

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"), name="pki.refresh_crls")
def refresh_crls_job() -> None:
    if done := refresh_crls():
        log.info("CRLs published: %s", ", ".join(done))


@db_periodic_task(crontab(minute="*/10"), name="pki.refresh_ocsp_answers")
def refresh_ocsp_answers_job() -> None:
    if signed := refresh_ocsp_answers():
        log.info("OCSP answers pre-signed: %d", signed)
