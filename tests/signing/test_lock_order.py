"""Row locks taken while signing must not deadlock with transactions that reference the row.

PostgreSQL checks Django's (deferred) foreign keys at COMMIT with `FOR KEY SHARE` on the
referenced row. A signing transaction that held the certificate `FOR UPDATE` blocked every commit
of a row pointing at the certificate (a new sign task, an authorisation); one of those that had
already appended to the audit log then waited for the signing transaction, which waited for the
audit head: a deadlock, seen as 500s under concurrent API load (bench/signing_http_bench.py on
PostgreSQL). The locks are `FOR NO KEY UPDATE` now: still exclusive among lockers and against
updates (a revocation waits for the signing), but not against foreign-key checks.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from inkseal.audit.services import record
from inkseal.pki.services import lock_for_signing
from inkseal.platforms.models import CertificateAuthorization
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="row-lock modes need a server database (make test runs this on PostgreSQL)",
    ),
]


def test_a_signing_lock_does_not_hold_up_rows_that_reference_the_certificate(signing: Any) -> None:
    certificate = signing.certificate
    locked, release = threading.Event(), threading.Event()

    def sign() -> None:
        try:
            with transaction.atomic():
                lock_for_signing(certificate.pk, timezone.now())
                locked.set()
                release.wait(10)
                record("test.sign", actor=ACTOR, target=f"certificate:{certificate.pk}")
        finally:
            connection.close()

    signer = threading.Thread(target=sign)
    signer.start()
    assert locked.wait(10)
    started = time.monotonic()
    try:
        with transaction.atomic():  # appends to the audit log, then commits a row pointing at the certificate
            record("test.other", actor=ACTOR)
            now = timezone.now()
            CertificateAuthorization.objects.create(
                certificate=certificate,
                platform=signing.platform,
                grantee_name="赵六",
                grantee_phone="13900001111",
                valid_from=now,
                valid_until=now + timedelta(days=1),
            )
        waited = time.monotonic() - started
    finally:
        release.set()
        signer.join(20)
    assert waited < 5, f"the commit waited {waited:.1f} s for the signing transaction"
    assert CertificateAuthorization.objects.filter(grantee_phone="13900001111").exists()
