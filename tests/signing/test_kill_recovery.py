"""kill -9 of a real worker process in the middle of a batch, then the recovery job: every task
ends (completed or failed, callback queued) and every signed document has its 应用记录, seal
usage and audit row. bench/signing_kill_bench.py does the same 100 times.

The worker is a separate Python process on the same database, so this runs on PostgreSQL
(the SQLite test database lives in the test process's memory)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.pins import set_pin
from inkseal.seals.models import Seal
from inkseal.signing.models import CallbackDelivery, SignTask
from inkseal.signing.tasks import lifecycle
from inkseal.signing.tasks.storage_cleanup import signed_files_of
from tests.helpers.sign_lifecycle import (
    batch_invariants,
    documents_done,
    kill_worker_while_signing,
    signed_file_stored,
)
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
    """Two kills, each right after a chosen number of documents of 4 is committed (1, then 2): the
    task is provably mid-batch when the worker dies, whatever the machine's speed (a kill that
    comes late, after the batch's end on a stalled test machine, is not counted and tried again)."""
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    killed = 0
    for done in (1, 2, 1, 2, 1, 2):
        if killed == 2:
            break
        token = _batch_token(signing)
        outcome = kill_worker_while_signing(
            token,
            PIN,
            database_url=_database_url(),
            var_dir=str(settings.VAR_DIR),
            media_dir=str(signing_media),
            when=lambda task, done=done: documents_done(task) >= done,  # type: ignore[misc]
        )
        assert outcome.returncode in (0, -9), outcome.stderr
        if outcome.killed:
            assert done <= outcome.signed_before_kill < DOCUMENTS, outcome
        killed += outcome.killed
    assert SignTask.objects.filter(status="signing").count() == killed == 2  # what the kills left behind
    lifecycle.recover_stalled_sign_tasks(
        timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1)
    )
    figures = batch_invariants(SignTask.objects.all())
    assert figures.non_terminal == 0, figures
    assert figures.documents_missing_rows == 0, figures
    assert figures.tasks_without_callback == 0, figures
    assert figures.orphaned_files == 0, figures
    assert CallbackDelivery.objects.count() == SignTask.objects.count()


def test_kill_9_between_storing_a_signed_file_and_its_commit_leaves_no_orphaned_file(
    signing: Signing, signing_media: Any
) -> None:
    """The worker stores document 1's signed file, then waits at its commit for the seal row (held
    here, as a concurrent seal change would) and is killed there: the file is on disk with no row
    naming it. The recovery deletes it and the resumed run stores the document again: afterwards
    every signed file on disk is one a committed document names, once."""
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    token = _batch_token(signing)
    seal = Seal.objects.get(owner=signing.certificate.holder, kind="official", state="active")
    with transaction.atomic():
        Seal.objects.select_for_update(no_key=True).filter(pk=seal.pk).get()  # the commit waits for it
        outcome = kill_worker_while_signing(
            token,
            PIN,
            database_url=_database_url(),
            var_dir=str(settings.VAR_DIR),
            media_dir=str(signing_media),
            when=lambda task: signed_file_stored(str(signing_media), task, 1),
        )
    assert outcome.killed and outcome.signed_before_kill == 0, outcome
    task = SignTask.objects.get()
    assert len(signed_files_of(task)) == 1 and not task.documents.exclude(signed="").exists()  # the orphan
    lifecycle.recover_stalled_sign_tasks(
        timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1)
    )
    task.refresh_from_db()
    assert task.status == "completed", task.failure_code
    committed = sorted(task.documents.values_list("signed", flat=True))
    assert len(committed) == DOCUMENTS and all(committed)
    assert signed_files_of(task) == committed
    assert batch_invariants(SignTask.objects.all()).orphaned_files == 0
