"""Callbacks to trading platforms, delivered by a job on Huey: an HMAC-SHA256-signed POST of the
task's outcome, retried with backoff (10 s … 4 h) until the platform answers 2xx or
CALLBACK_MAX_ATTEMPTS attempts failed. Each callback has its CallbackDelivery record (attempts,
last error), listed in the back office, where an operator can retry one.

The record is written in the transaction that finishes the task and its first attempt is queued
when that commits: the attempt runs in the job consumer (`inkseal run_huey`), never in the web
request's thread. Huey's storage (var/huey.sqlite3 or Redis) keeps queued and scheduled attempts
across restarts. An attempt claims its record by ticket under a row lock, so an attempt queued
twice posts once. An attempt lost anyway (the process died between the commit and the queueing,
or in the middle of an attempt) is queued again by the sweep `requeue_stranded_callbacks`.

Signature header: `X-Inkseal-Signature: t=<unix time>,v1=<hex HMAC-SHA256(key, "<t>." + body)>`,
key = the platform's callback secret (its API client's, see var/demo.json for the demo).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from inkseal.platforms.services import api_client_of, callback_secret
from inkseal.signing.models import CallbackDelivery, SignFlow, SignTask

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Inkseal-Signature"
BACKOFF_SECONDS = (10, 30, 120, 600, 1800, 3600, 7200, 14400)
# An attempt in flight holds its record this long (timeout 10 s by default); a pending record
# overdue by more than this lost its queued attempt and is queued again.
LEASE_SECONDS = 120


def callback_body(task: SignTask) -> dict[str, Any]:
    from inkseal.signing.tasks.schemas import CALLBACK_FIELDS, cut, task_data  # pydantic: on first use

    return cut(task_data(task, status=task.status, confirm_url=None), CALLBACK_FIELDS)


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


def enqueue_callback(task: SignTask) -> CallbackDelivery | None:
    """Call inside the transaction that finishes the task: the record now, the first attempt
    queued once that commits."""
    if not task.callback_url:
        return None
    delivery = CallbackDelivery.objects.create(
        task=task,
        url=task.callback_url,
        body=json.dumps(callback_body(task), ensure_ascii=False),
        next_attempt_at=timezone.now(),
        ticket=secrets.token_hex(16),
    )
    _queue_on_commit(delivery)
    return delivery


def enqueue_flow_callback(flow: SignFlow, body: dict[str, Any]) -> CallbackDelivery | None:
    """A sign flow's callback (a signer's event or the flow's end), like enqueue_callback: inside
    the transaction that made the event, the first attempt queued once that commits."""
    if not flow.callback_url:
        return None
    delivery = CallbackDelivery.objects.create(
        flow=flow,
        url=flow.callback_url,
        body=json.dumps(body, ensure_ascii=False),
        next_attempt_at=timezone.now(),
        ticket=secrets.token_hex(16),
    )
    _queue_on_commit(delivery)
    return delivery


def _queue_on_commit(delivery: CallbackDelivery) -> None:
    delivery_id, ticket, eta = delivery.pk, delivery.ticket, delivery.next_attempt_at
    transaction.on_commit(lambda: deliver_callback.schedule(args=(delivery_id, ticket), eta=eta))


@db_task(name="signing.deliver_callback")
def deliver_callback(delivery_id: int, ticket: str) -> None:
    attempt_delivery(delivery_id, ticket)


def attempt_delivery(delivery_id: int, ticket: str) -> bool:
    """One attempt (the job's body): True when the platform acknowledged it (2xx); False also
    when `ticket` is no longer the record's (another attempt was queued in its place)."""
    delivery = _claim(delivery_id, ticket)
    if delivery is None:
        return False
    error = _post(delivery)
    _settle(delivery, error)
    return not error


def _claim(delivery_id: int, ticket: str) -> CallbackDelivery | None:
    with transaction.atomic():
        delivery = (
            CallbackDelivery.objects.select_for_update(of=("self",), no_key=True)
            .select_related("task__platform", "flow__platform")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != CallbackDelivery.State.PENDING or delivery.ticket != ticket:
            return None
        delivery.ticket, delivery.attempts = "", delivery.attempts + 1
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=LEASE_SECONDS)
        delivery.save(update_fields=["ticket", "attempts", "next_attempt_at"])
        return delivery


def _post(delivery: CallbackDelivery) -> str:
    """POST the signed body; the error ("" when acknowledged)."""
    import requests  # loaded by the job consumer, not by every command

    platform = (
        delivery.flow.platform if delivery.flow is not None else delivery.task.platform if delivery.task else None
    )
    client = api_client_of(platform) if platform is not None else None  # None: self-service
    key = callback_secret(client) if client else ""
    body = delivery.body.encode()
    try:
        response = requests.post(
            delivery.url,
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(key, int(time.time()), body)},
            timeout=settings.CALLBACK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def _settle(delivery: CallbackDelivery, error: str) -> None:
    """Record the attempt; after a failure, schedule the next one (backoff) or give up."""
    now = timezone.now()
    with transaction.atomic():
        locked = CallbackDelivery.objects.select_for_update(no_key=True).get(pk=delivery.pk)
        locked.last_error = error
        if not error:
            locked.state, locked.delivered_at = CallbackDelivery.State.DELIVERED, now
        elif locked.attempts >= settings.CALLBACK_MAX_ATTEMPTS:
            locked.state = CallbackDelivery.State.GAVE_UP
        else:
            delay = BACKOFF_SECONDS[min(locked.attempts - 1, len(BACKOFF_SECONDS) - 1)]
            locked.next_attempt_at, locked.ticket = now + timedelta(seconds=delay), secrets.token_hex(16)
            _queue_on_commit(locked)
        locked.save(update_fields=["state", "delivered_at", "last_error", "next_attempt_at", "ticket"])
    if error:
        log.warning("callback %s to %s failed (attempt %d): %s", delivery.pk, delivery.url, locked.attempts, error)


def retry_delivery(delivery_id: int) -> bool:
    """Back office: queue an attempt now for a delivery that gave up or waits for its next try
    (its queued attempt is replaced); False for one delivered or in flight."""
    with transaction.atomic():
        delivery = CallbackDelivery.objects.select_for_update(no_key=True).filter(pk=delivery_id).first()
        if delivery is None or delivery.state == CallbackDelivery.State.DELIVERED:
            return False
        if delivery.state == CallbackDelivery.State.PENDING and not delivery.ticket:
            return False  # an attempt is being made
        delivery.state, delivery.next_attempt_at = CallbackDelivery.State.PENDING, timezone.now()
        delivery.ticket = secrets.token_hex(16)
        delivery.save(update_fields=["state", "next_attempt_at", "ticket"])
        _queue_on_commit(delivery)
    return True


def requeue_stranded_callbacks(now: datetime | None = None, limit: int = 500) -> int:
    """Queue again the pending deliveries overdue by more than LEASE_SECONDS (their queued
    attempt was lost); returns how many."""
    now = now or timezone.now()
    overdue = CallbackDelivery.objects.filter(
        state=CallbackDelivery.State.PENDING, next_attempt_at__lt=now - timedelta(seconds=LEASE_SECONDS)
    )
    requeued = 0
    for delivery_id in overdue.order_by("next_attempt_at").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            delivery = overdue.select_for_update(no_key=True).filter(pk=delivery_id).first()
            if delivery is None:
                continue  # attempted meanwhile
            delivery.next_attempt_at, delivery.ticket = timezone.now(), secrets.token_hex(16)
            delivery.save(update_fields=["next_attempt_at", "ticket"])
            _queue_on_commit(delivery)
        requeued += 1
    if requeued:
        log.warning("%d callback deliveries had lost their queued attempt and were queued again", requeued)
    return requeued


@db_periodic_task(crontab(minute="*"), name="signing.requeue_stranded_callbacks")
def requeue_stranded_callbacks_job() -> None:
    requeue_stranded_callbacks()
