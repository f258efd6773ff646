"""A claimed sign task always ends: unexpected errors fail one document and the batch goes on, a
task whose worker died is resumed (or failed) by the periodic recovery job, and the platform gets
its callback either way. Also: an Idempotency-Key reused for a different request is refused, and
a task whose confirm link expired says so."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.pins import set_pin
from inkseal.seals.models import SealUsage
from inkseal.signing.models import CallbackDelivery, SignDocument, SigningRecord, SignTask
from inkseal.signing.tasks import confirm, execute
from inkseal.signing.tasks.lifecycle import recover_stalled_sign_tasks
from tests.helpers.jobs import run_periodic_jobs
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, text_pdf

pytestmark = pytest.mark.django_db

PIN = "135792"


def _batch(signing: Signing, count: int) -> tuple[str, dict[str, Any]]:
    files = [(f"bid-{n}.pdf", text_pdf(keyword=f"盖章处{n}")) for n in range(count)]
    spec = signing.spec(
        documents=[
            {"file": n, "placements": [{"seal_type": "official", "page": 1, "x": 400, "y": 120}]} for n in range(count)
        ]
    )
    response = signing.create(files, spec)
    assert response.status_code == 201, response.content
    body = response.json()
    return confirm_token(body["confirm_url"]), body


def _confirm_pin(signing: Signing, token: str) -> Any:
    return signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "pin", "pin": PIN}, content_type="application/json"
    )


def _claim_and_die(token: str) -> SignTask:
    """What a worker killed right after the confirmation leaves: the intent checked and the task
    claimed for signing (committed), no document signed."""
    task = confirm.pending_task_for_token(token)
    confirm.confirm_intent(task, "pin", PIN, acting=Acting.anonymous("127.0.0.1"), token=token)
    task.refresh_from_db()
    assert task.status == "signing"
    return task


def _assert_documents_accounted_for(task: SignTask) -> None:
    """Every signed document has its success record, seal usage and audit row; every other one
    is failed."""
    for document in SignDocument.objects.filter(task=task):
        successes = SigningRecord.objects.filter(document=document, result="success")
        if document.status == "completed":
            assert successes.count() == 1, document
            event_id = successes.get().event_id
            assert SealUsage.objects.filter(event_id=event_id).exists(), document
            assert AuditEntry.objects.filter(event="signing.sign", data__event_id=event_id).count() == 1
        else:
            assert document.status == "failed" and not successes.exists(), document


def test_an_unexpected_error_fails_its_document_and_the_batch_goes_on(
    signing: Signing, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    token, body = _batch(signing, 3)
    real_sign_pdf = execute.sign_pdf
    calls = iter(range(1, 100))

    def second_document_breaks(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == 2:  # e.g. a TypeError deep in the PDF writer on a hostile file
            raise TypeError("'NoneType' object is not subscriptable")
        return real_sign_pdf(*args, **kwargs)

    monkeypatch.setattr(execute, "sign_pdf", second_document_breaks)
    with caplog.at_level(logging.ERROR, logger="inkseal.signing.tasks"):
        response = _confirm_pin(signing, token)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["status"] == "failed" and result["failure"]["code"] == "signing_internal_error"
    assert [d["status"] for d in result["documents"]] == ["completed", "failed", "completed"]
    assert "NoneType" not in response.content.decode()  # the user gets a stable code, not the exception
    assert any("NoneType" in (r.exc_text or "") for r in caplog.records)  # the traceback stays server-side
    task = SignTask.objects.get(public_id=body["id"])
    _assert_documents_accounted_for(task)
    failure = SigningRecord.objects.get(result="failure")
    assert failure.document is not None and failure.document.number == 2
    assert failure.reason.startswith("signing_internal_error")
    assert CallbackDelivery.objects.filter(task=task).count() == 1
    assert AuditEntry.objects.filter(event="sign_task.fail", target=f"sign_task:{body['id']}").exists()


def test_a_task_whose_worker_died_is_resumed_by_the_recovery_job(signing: Signing, settings: Any) -> None:
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    token, body = _batch(signing, 3)
    task = _claim_and_die(token)
    assert task.heartbeat_at is not None
    assert recover_stalled_sign_tasks(timezone.now()) == 0  # the heartbeat is fresh: maybe still signing
    later = timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1)
    assert recover_stalled_sign_tasks(later) == 1
    task.refresh_from_db()
    assert task.status == "completed" and task.failure_code == ""
    assert list(task.documents.values_list("status", flat=True)) == ["completed"] * 3
    _assert_documents_accounted_for(task)
    assert CallbackDelivery.objects.filter(task=task).count() == 1
    assert AuditEntry.objects.filter(event="sign_task.resume", target=f"sign_task:{body['id']}").exists()
    assert recover_stalled_sign_tasks(later + timedelta(hours=1)) == 0


def test_a_stalled_task_whose_confirmation_is_too_old_fails_with_a_reason(signing: Signing, settings: Any) -> None:
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    token, body = _batch(signing, 2)
    task = _claim_and_die(token)
    much_later = timezone.now() + timedelta(seconds=settings.SIGN_RESUME_MAX_AGE_SECONDS + 1)
    assert recover_stalled_sign_tasks(much_later) == 1
    task.refresh_from_db()
    assert task.status == "failed" and task.failure_code == "signing_interrupted"
    assert set(task.documents.values_list("status", flat=True)) == {"failed"}
    assert SigningRecord.objects.filter(task=task, result="failure").count() == 2
    assert not SigningRecord.objects.filter(task=task, result="success").exists()
    assert CallbackDelivery.objects.filter(task=task).count() == 1
    auth = {"HTTP_AUTHORIZATION": f"Bearer {signing.token()}"}
    shown = signing.client.get(f"/api/v1/sign-tasks/{body['id']}", **auth).json()
    assert shown["status"] == "failed" and shown["failure"]["code"] == "signing_interrupted"


def test_a_task_that_keeps_killing_its_worker_is_failed_after_the_allowed_resumptions(
    signing: Signing, settings: Any
) -> None:
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    token, _body = _batch(signing, 1)
    task = _claim_and_die(token)
    SignTask.objects.filter(pk=task.pk).update(recoveries=settings.SIGN_RECOVERY_MAX_ATTEMPTS)
    later = timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1)
    assert recover_stalled_sign_tasks(later) == 1
    task.refresh_from_db()
    assert task.status == "failed" and task.failure_code == "signing_interrupted"


def test_a_worker_presumed_dead_cannot_commit_after_the_recovery_took_over(
    signing: Signing, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    token, _body = _batch(signing, 2)
    slow = _claim_and_die(token)  # the first worker, its lease in memory, about to sign
    later = timezone.now() + timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS + 1)
    real_sign_pdf = execute.sign_pdf
    taken_over: list[int] = []
    calls = iter(range(100))

    def recovery_runs_meanwhile(*args: Any, **kwargs: Any) -> Any:
        result = real_sign_pdf(*args, **kwargs)
        if next(calls) == 0:  # while the slow worker signs its first document, the recovery finishes the task
            taken_over.append(recover_stalled_sign_tasks(later))
        return result

    monkeypatch.setattr(execute, "sign_pdf", recovery_runs_meanwhile)
    execute.sign_task_documents(slow)  # its signature is discarded at its commit
    assert taken_over == [1]
    task = SignTask.objects.get(pk=slow.pk)
    assert task.status == "completed" and task.recoveries == 1
    assert SigningRecord.objects.filter(task=task).count() == 2  # one per document, the recovery's
    _assert_documents_accounted_for(task)
    assert CallbackDelivery.objects.filter(task=task).count() == 1
    kept = {str(d.signed.name).rsplit("/", 1)[-1] for d in task.documents.all()}
    on_disk = {p.name for p in signing_media_files(task)}
    assert on_disk == kept  # the slow worker's discarded file was deleted


def signing_media_files(task: SignTask) -> list[Any]:
    from pathlib import Path

    root = Path(SignDocument.objects.filter(task=task).first().original.storage.path("signing"))  # type: ignore[union-attr]
    return list(root.rglob(f"{task.public_id}-*-signed*"))


@pytest.mark.django_db(transaction=True)  # a job closes the thread's connection, as in the consumer
def test_the_periodic_jobs_recover_and_expire(signing: Signing, settings: Any) -> None:
    """As the job consumer runs them: the jobs due at the top of an hour, queued and run."""
    set_pin(signing.certificate, PIN, acting=Acting(Actor("system")))
    token, _ = _batch(signing, 1)
    stalled = _claim_and_die(token)
    _other_token, other = _batch(signing, 1)
    # Time passes: the stalled task's worker is long gone, the other task's confirm link expired.
    past = timedelta(seconds=max(settings.SIGN_RESUME_MAX_AGE_SECONDS, settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS) + 1)
    SignTask.objects.filter(pk=stalled.pk).update(
        heartbeat_at=stalled.heartbeat_at - past, confirmed_at=stalled.confirmed_at - past
    )
    SignTask.objects.filter(public_id=other["id"]).update(token_expires_at=timezone.now() - timedelta(seconds=1))

    top_of_hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    assert run_periodic_jobs(top_of_hour) == [
        "audit.anchor_head",
        "evidence.checkpoint",
        "pki.refresh_crls",
        "pki.refresh_ocsp_answers",
        "signing.expire_sign_flows",
        "signing.expire_sign_tasks",
        "signing.recover_stalled_sign_tasks",
        "signing.requeue_stranded_callbacks",
    ]
    stalled.refresh_from_db()
    assert stalled.status == "failed" and stalled.failure_code == "signing_interrupted"  # its confirmation is old
    expired = SignTask.objects.get(public_id=other["id"])
    assert expired.status == "expired"
    assert CallbackDelivery.objects.filter(task=expired).count() == 1
    assert AuditEntry.objects.filter(event="sign_task.expire", target=f"sign_task:{other['id']}").exists()
    assert "signing.purge_signed_documents" in run_periodic_jobs(top_of_hour.replace(minute=17))
    assert "signing.purge_abandoned_drafts" in run_periodic_jobs(top_of_hour.replace(minute=47))
