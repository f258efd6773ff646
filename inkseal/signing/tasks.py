"""Background jobs: callbacks to trading platforms from a persistent job table (CallbackJob),
delivered with an HMAC-SHA256 signature over the body and retried with exponential backoff; and
the periodic sweeps `run_periodic_jobs` runs (recovery of sign tasks whose worker died, expiry of
unconfirmed tasks). Each job is a plain function, safe to run twice and from several runners.

Jobs are written in the transaction that finishes the task, so they survive restarts; the
first attempt runs right after commit (a thread, when INKSEAL_CALLBACK_IMMEDIATE is on), and
`inkseal jobs run` delivers whatever is due. A delivery claims its job by moving
`next_attempt_at` forward under a row lock, so two workers never post the same attempt.

Signature header: `X-Inkseal-Signature: t=<unix time>,v1=<hex HMAC-SHA256(key, "<t>." + body)>`,
key = the platform's callback secret (its API client's, see var/demo.json for the demo).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from inkseal.platforms.services import api_client_of, callback_secret
from inkseal.signing.models import CallbackJob, SignTask

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Inkseal-Signature"
BACKOFF_SECONDS = (10, 30, 120, 600, 1800, 3600, 7200, 14400)
LEASE_SECONDS = 120


def callback_body(task: SignTask) -> dict[str, Any]:
    base = settings.PUBLIC_BASE_URL
    return {
        "event": "sign_task.finished",
        "id": task.public_id,
        "status": task.status,
        "business_id": task.business_id,
        "business_type": task.business_type,
        "failure": {"code": task.failure_code, "message": task.failure_reason} if task.failure_code else None,
        "documents": [
            {
                "n": document.number,
                "name": document.name,
                "status": document.status,
                "sha256": document.sha256_after or None,
                "url": f"{base}/api/v1/sign-tasks/{task.public_id}/documents/{document.number}"
                if document.status == "completed"
                else None,
            }
            for document in task.documents.order_by("number")
        ],
    }


def signature(key: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(key: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """For platforms (and tests): the header is ours and fresh."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(key, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def enqueue_callback(task: SignTask) -> CallbackJob | None:
    """Call inside the transaction that finishes the task."""
    if not task.callback_url:
        return None
    job = CallbackJob.objects.create(
        task=task,
        url=task.callback_url,
        body=json.dumps(callback_body(task), ensure_ascii=False),
        next_attempt_at=timezone.now(),
    )
    if settings.CALLBACK_IMMEDIATE:
        transaction.on_commit(lambda: _in_thread(job.pk))
    return job


def _in_thread(job_id: int) -> None:
    def run() -> None:
        try:
            deliver(job_id)
        finally:
            close_old_connections()

    threading.Thread(target=run, name=f"callback-{job_id}", daemon=True).start()


def _claim(job_id: int, now: datetime) -> CallbackJob | None:
    with transaction.atomic():
        job = (
            CallbackJob.objects.select_for_update(of=("self",), no_key=True)
            .select_related("task__platform")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.state != CallbackJob.State.PENDING or job.next_attempt_at > now:
            return None
        job.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
        job.attempts += 1
        job.save(update_fields=["next_attempt_at", "attempts"])
        return job


def deliver(job_id: int, now: datetime | None = None) -> bool:
    """One attempt at a due job; True when the platform acknowledged it (2xx)."""
    now = now or timezone.now()
    job = _claim(job_id, now)
    if job is None:
        return False
    client = api_client_of(job.task.platform) if job.task.platform is not None else None  # self-service: none
    key = callback_secret(client) if client else ""
    body = job.body.encode()
    error = ""
    import requests  # ~0.3 s to import: loaded by the job that delivers, not by every process

    try:
        response = requests.post(
            job.url,
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(key, int(time.time()), body)},
            timeout=settings.CALLBACK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        if not 200 <= response.status_code < 300:
            error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    _settle(job, error, now)
    return not error


def _settle(job: CallbackJob, error: str, now: datetime) -> None:
    with transaction.atomic():
        locked = CallbackJob.objects.select_for_update(no_key=True).get(pk=job.pk)
        if not error:
            locked.state, locked.delivered_at, locked.last_error = CallbackJob.State.DELIVERED, timezone.now(), ""
        else:
            locked.last_error = error
            if locked.attempts >= settings.CALLBACK_MAX_ATTEMPTS:
                locked.state = CallbackJob.State.GAVE_UP
            else:
                delay = BACKOFF_SECONDS[min(locked.attempts - 1, len(BACKOFF_SECONDS) - 1)]
                locked.next_attempt_at = now + timedelta(seconds=delay)
        locked.save(update_fields=["state", "delivered_at", "last_error", "next_attempt_at"])
    if error:
        log.warning("callback %s to %s failed (attempt %d): %s", job.pk, job.url, locked.attempts, error)


def run_due_jobs(now: datetime | None = None, limit: int = 100) -> int:
    """Deliver every due callback once; returns how many were attempted."""
    now = now or timezone.now()
    due = list(
        CallbackJob.objects.filter(state=CallbackJob.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for job_id in due:
        deliver(job_id, now)
    return len(due)


def retry_now(job: CallbackJob) -> None:
    """Back office: make a pending or given-up job due again."""
    CallbackJob.objects.filter(pk=job.pk).update(state=CallbackJob.State.PENDING, next_attempt_at=timezone.now())


def recover_stalled_sign_tasks(now: datetime | None = None, limit: int = 20) -> int:
    """Take over sign tasks whose signing stopped (no heartbeat for SIGN_HEARTBEAT_TIMEOUT_SECONDS):
    each is resumed or failed, with its callback; returns how many were taken over."""
    from inkseal.signing.services import recover_stalled_task, stalled_sign_tasks

    now = now or timezone.now()
    due = list(stalled_sign_tasks(now).order_by("heartbeat_at").values_list("pk", flat=True)[:limit])
    recovered = 0
    for task_id in due:
        try:
            recovered += recover_stalled_task(task_id, now) is not None
        except Exception:  # one task's trouble must not stop the others' recovery
            log.exception("recovering sign task %s failed", task_id)
    return recovered


def run_periodic_jobs(now: datetime | None = None) -> dict[str, int]:
    """One pass of every periodic job (`inkseal jobs run` calls it every few seconds)."""
    from inkseal.signing.services import expire_sign_tasks

    return {
        "recovered": recover_stalled_sign_tasks(now),
        "expired": expire_sign_tasks(now),
        "callbacks": run_due_jobs(now),
    }
