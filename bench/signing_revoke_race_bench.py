"""Revoke/sign races: no signature recorded as a success verifies as revoked.

    scripts/with-postgres.sh .venv/bin/python bench/signing_revoke_race_bench.py [--races 1000] [--seed 1]

Each race: a fresh ECDSA P-256 cloud certificate (a revoked one signs no more) with the 公章
bound, authorised and PIN-protected; a sign task through the API (PAdES B-T); then one thread
confirms the task with the PIN (which signs it) while another revokes the certificate after a
random delay spread over the time a confirmation takes. For every success: its time stamp's
genTime against the revocation instant in our database, our OCSP responder's revocationTime, the
issuing CA's CRL revocationDate, and our verifier's verdict (inkseal.signing.verification.services).
Printed: outcomes, and successes seen as revoked by any of them (must be 0).
Real concurrent transactions: run it on PostgreSQL (SQLite serialises the writers, which races less).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from django.db import connection
from lifecycle_fixture import PHONE, PIN, ready

from inkseal.platforms.models import TradingPlatform
from inkseal.seals.models import Seal, SealType
from inkseal.signing.models import SignDocument, SigningRecord, TaskStatus
from tests.helpers.sign_lifecycle import (
    check_success_after_revocation,
    revoke_sign_race,
    signer_certificate_like,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--races", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    fixture, platform = ready()
    trading_platform = TradingPlatform.objects.get(code="bench")
    seals = [Seal.objects.get(owner=fixture.certificate.holder, kind=SealType.OFFICIAL)]
    rng = random.Random(args.seed)

    def race(revoke_after: float | None) -> tuple[str, int, int, float]:
        certificate = signer_certificate_like(fixture.certificate, trading_platform, PHONE, seals, PIN)
        token = platform.create(certificate.serial, 1)
        started = time.perf_counter()
        task = revoke_sign_race(token, PIN, certificate, revoke_after)
        seconds = time.perf_counter() - started
        successes = seen_revoked = 0
        signed = SignDocument.objects.filter(task=task, status=TaskStatus.COMPLETED)
        for document in signed if revoke_after is not None else []:
            successes += 1
            seen = check_success_after_revocation(document)
            if seen.seen_revoked:
                seen_revoked += 1
                print(f"success seen as revoked: {seen}")
        if task.status != TaskStatus.COMPLETED:
            assert not SigningRecord.objects.filter(task=task, result=SigningRecord.Result.SUCCESS).exists()
        return str(task.status), successes, seen_revoked, seconds

    # how long a confirmation takes when nothing interferes: the revocations are spread over it
    race(None)  # warm-up
    _status, _s, _r, confirm_seconds = race(None)
    print(
        f"a confirmation (PIN check + signing + commit) takes {confirm_seconds * 1000:.0f} ms; "
        f"revocations land uniformly in 0..{confirm_seconds * 1.2 * 1000:.0f} ms after it starts"
    )
    outcomes: Counter[str] = Counter()
    successes = seen_revoked = 0
    started = time.perf_counter()
    for number in range(1, args.races + 1):
        status, ok, bad, _seconds = race(rng.uniform(0.0, confirm_seconds * 1.2))
        outcomes[status] += 1
        successes += ok
        seen_revoked += bad
        if number % 100 == 0:
            print(f"  after {number} races: {dict(outcomes)}, successes {successes}, seen as revoked {seen_revoked}")
    elapsed = time.perf_counter() - started
    print(f"database: {connection.vendor}; races: {args.races} in {elapsed:.0f} s")
    print("task outcomes: " + ", ".join(f"{status} {count}" for status, count in sorted(outcomes.items())))
    print(
        f"successes: {successes}; successes that verify as revoked (verifier, OCSP, CRL or revoked_at <= genTime): "
        f"{seen_revoked}"
    )


if __name__ == "__main__":
    main()
