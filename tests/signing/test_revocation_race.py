"""A signature recorded as a success never verifies as revoked: the revocation time is read under
the certificate lock, after every signature committed before it, at full precision; our verifier
and OCSP report it exactly, the CRL (whole seconds) rounds it up, never down.
bench/signing_revoke_race_bench.py runs 1,000 races."""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.crl import revocation_second
from inkseal.pki.services import revoke_certificate
from inkseal.signing.models import SignDocument, SigningRecord
from tests.helpers.sign_lifecycle import check_success_after_revocation, revoke_sign_race, signer_certificate_like
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import CONFIRMER_PHONE, Signing, confirm_token

PIN = "135792"


def _task_for(signing: Signing, serial: str) -> str:
    response = signing.create(spec=signing.spec(signer={"certificate_serial": serial}))
    assert response.status_code == 201, response.content
    return confirm_token(response.json()["confirm_url"])


def _fresh(signing: Signing) -> Any:
    return signer_certificate_like(
        signing.certificate, signing.platform, CONFIRMER_PHONE, [signing.seals["official"]], PIN
    )


def _early_in_a_second() -> None:
    """Start at the beginning of a wall-clock second, so that signing and revoking share it."""
    while timezone.now().microsecond > 200_000:
        time.sleep(0.01)


@pytest.mark.django_db
def test_a_signature_committed_just_before_a_revocation_is_not_reported_revoked(signing: Signing) -> None:
    for _attempt in range(2):
        certificate = _fresh(signing)
        token = _task_for(signing, certificate.serial)
        _early_in_a_second()
        confirmed = signing.client.post(
            f"/api/v1/confirm/{token}", {"method": "pin", "pin": PIN}, content_type="application/json"
        )
        assert confirmed.json()["status"] == "completed", confirmed.content
        revoke_certificate(certificate, reason=1, acting=Acting(Actor("system")))
        document = SignDocument.objects.get(task__certificate=certificate)
        seen = check_success_after_revocation(document)
        assert not seen.seen_revoked, seen
        assert seen.ocsp_revocation_time == revocation_second(seen.revoked_at)  # whole seconds, never earlier
        assert seen.crl_revocation_date is not None  # a CRL says the whole second at or after it
        assert timedelta(0) <= seen.crl_revocation_date - seen.revoked_at < timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="real concurrent transactions need a server database (make test runs this on PostgreSQL)",
)
def test_revoke_sign_races_leave_no_success_that_verifies_as_revoked(signing: Signing) -> None:
    rng = random.Random(5)
    outcomes = {"completed": 0, "failed": 0, "pending": 0}
    for _race in range(8):
        certificate = _fresh(signing)
        token = _task_for(signing, certificate.serial)
        task = revoke_sign_race(token, PIN, certificate, revoke_after=rng.uniform(0.0, 0.6))
        outcomes[task.status] += 1
        for document in SignDocument.objects.filter(task=task, status="completed"):
            seen = check_success_after_revocation(document)
            assert not seen.seen_revoked, seen
        if task.status != "completed":
            assert not SigningRecord.objects.filter(task=task, result="success").exists()
    assert sum(outcomes.values()) == 8, outcomes
