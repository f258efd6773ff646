"""kill -9 of a real worker process in the middle of a batch, then the recovery job: every task
ends (completed or failed, callback queued) and every signed document has its 应用记录, seal
usage and audit row. bench/signing_kill_bench.py does the same 100 times.

The worker is a separate Python process on the same database, so this runs on PostgreSQL
(the SQLite test database lives in the test process's memory)."""

from __future__ import annotations

import os
import random
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.pins import set_pin
from inkseal.signing.models import CallbackDelivery, SignTask
from inkseal.signing.tasks.lifecycle import recover_stalled_sign_tasks
from tests.helpers.sign_lifecycle import batch_invariants, kill_worker_while_signing
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, text_pdf

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="a second process needs the test database on a server (make test runs this on PostgreSQL)",
    ),
]

PIN = "135792"
DOCUMENTS = 4


def _database_url() -> str:
    """DATABASE_URL naming the test database (the one this test's rows are committed to)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


def _batch_token(signing: Signing) -> str:
    spec = signing.spec(
        documents=[
            {"file": n, "placements": [{"seal_type": "official", "page": 1, "x": 400, "y": 120}]}
            for n in range(DOCUMENTS)
        ]
    )
    response = signing.create([(f"bid-{n}.pdf", text_pdf()) for n in range(DOCUMENTS)], spec)
    assert response.status_code == 201, response.content
    return confirm_token(response.json()["confirm_url"])


def test_kill_9_while_signing_then_recovery_leaves_every_task_finished(signing: Signing, signing_media: Any) -> None:
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    rng = random.Random(20)
    killed = 0
    for _round in range(10):  # until two kills land mid-batch: a fast machine finishes some batches first
        if killed >= 2:
            break
        token = _batch_token(signing)
        outcome = kill_worker_while_signing(
            token,
            PIN,
            database_url=_database_url(),
            var_dir=str(settings.VAR_DIR),
            media_dir=str(signing_media),
            delay=rng.uniform(0.0, 0.2),
        )
        killed += outcome.killed
    assert killed >= 1, "no worker was killed mid-batch: the delays are too long for this machine"
    assert SignTask.objects.filter(status="signing").count() == killed  # what the kills left behind
    recover_stalled_sign_tasks(timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1))
    figures = batch_invariants(SignTask.objects.all())
    assert figures.non_terminal == 0, figures
    assert figures.documents_missing_rows == 0, figures
    assert figures.tasks_without_callback == 0, figures
    assert CallbackDelivery.objects.count() == SignTask.objects.count()
