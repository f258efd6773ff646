"""Callbacks: an HMAC-signed POST to the platform, made by the delivery job on Huey (never in
the request's thread), retried with backoff until acknowledged, recorded for the back office,
where an operator retries one that gave up. The platform is a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from inkseal.audit.models import AuditEntry
from inkseal.signing.callbacks import delivery
from inkseal.signing.models import CallbackDelivery
from tests.helpers.callback_server import CallbackServer, callback_server
from tests.helpers.jobs import run_queued_jobs
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code

# Transactional: the first attempt and each retry are queued when their transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _finished_task(signing: Signing, callback_url: str) -> dict[str, Any]:
    body = signing.create(spec=signing.spec(callback_url=callback_url)).json()
    token = confirm_token(body["confirm_url"])
    signing.client.post(f"/api/v1/confirm/{token}/code")
    confirmed = signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": sms_code(signing.client)}, content_type="application/json"
    )
    assert confirmed.json()["status"] == "completed", confirmed.content
    return dict(body)


def test_callback_signed_and_retried_with_backoff_until_acknowledged(signing: Signing) -> None:
    with callback_server(500, 503, 200) as platform:
        body = _finished_task(signing, platform.url)
        record = CallbackDelivery.objects.get()
        assert record.url == platform.url and record.state == "pending" and record.attempts == 0
        assert platform.received == []  # queued by the request, not delivered in its thread

        now = timezone.now()
        assert run_queued_jobs(now) == 1
        record.refresh_from_db()
        assert record.attempts == 1 and record.last_error == "HTTP 500" and record.state == "pending"
        assert record.next_attempt_at >= now + timedelta(seconds=delivery.BACKOFF_SECONDS[0])
        assert run_queued_jobs(now) == 0  # not due yet: backoff
        later = now + timedelta(seconds=delivery.BACKOFF_SECONDS[0] + 5)
        assert run_queued_jobs(later) == 1
        record.refresh_from_db()
        assert record.attempts == 2 and record.last_error == "HTTP 503"
        assert run_queued_jobs(later) == 0
        run_queued_jobs(later + timedelta(seconds=delivery.BACKOFF_SECONDS[1] + 5))
        record.refresh_from_db()
        assert record.state == "delivered" and record.delivered_at is not None and record.last_error == ""

    assert len(platform.received) == 3
    assert len({sent.body for sent in platform.received}) == 1  # the same body each time
    sent = platform.received[-1]
    header = sent.headers[delivery.SIGNATURE_HEADER]
    assert delivery.verify_signature(signing.callback_key, header, sent.body)
    assert not delivery.verify_signature("wrong-key", header, sent.body)
    assert not delivery.verify_signature(signing.callback_key, header, sent.body + b" ")
    message = json.loads(sent.body)
    assert message["id"] == body["id"] and message["status"] == "completed"
    assert message["documents"][0]["url"].endswith(f"/api/v1/sign-tasks/{body['id']}/documents/1")


def _given_up(signing: Signing, platform: CallbackServer, settings: Any) -> CallbackDelivery:
    settings.CALLBACK_MAX_ATTEMPTS = 2
    _finished_task(signing, platform.url)
    far = timezone.now() + timedelta(days=1)
    assert run_queued_jobs(far) == 2
    record = CallbackDelivery.objects.get()
    assert record.state == "gave_up" and record.attempts == 2 and record.last_error == "HTTP 503"
    return record


def test_callback_gives_up_and_an_operator_retries_it_from_the_back_office(signing: Signing, settings: Any) -> None:
    with callback_server(503, 503, 200) as platform:
        record = _given_up(signing, platform, settings)
        operator = Client()
        operator.force_login(User.objects.create_superuser("ops", password="a-long-password-1"))
        listing = operator.get("/backoffice/signing/callbackdelivery/", {"state__exact": "gave_up"})
        assert listing.status_code == 200
        page = listing.content.decode()
        assert platform.url in page and "HTTP 503" in page and "已放弃" in page

        HUEY.immediate = True  # the retry's effect, as soon as it is queued
        response = operator.post(
            "/backoffice/signing/callbackdelivery/",
            {"action": "retry", "_selected_action": [record.pk]},
            follow=True,
        )
        assert "已安排重试" in response.content.decode()
        record.refresh_from_db()
        assert record.state == "delivered" and record.attempts == 3
        assert len(platform.received) == 3
        assert AuditEntry.objects.filter(
            event="backoffice.callback_retry", target=f"signing.callbackdelivery:{record.pk}"
        ).exists()

        again = operator.post(
            "/backoffice/signing/callbackdelivery/", {"action": "retry", "_selected_action": [record.pk]}, follow=True
        )
        assert "未安排重试" in again.content.decode()  # delivered: nothing to retry
        assert len(platform.received) == 3


def test_an_attempt_queued_twice_posts_once(signing: Signing) -> None:
    with callback_server(503, 200) as platform:
        _finished_task(signing, platform.url)
        run_queued_jobs()  # 503: the next attempt is scheduled after the backoff
        record = CallbackDelivery.objects.get()
        assert delivery.retry_delivery(record.pk)  # an operator does not wait: a new attempt now
        run_queued_jobs(timezone.now() + timedelta(days=1))  # runs it, then the one scheduled before
        record.refresh_from_db()
        assert record.state == "delivered" and record.attempts == 2
        assert len(platform.received) == 2


def test_a_delivery_whose_queued_attempt_was_lost_is_queued_again(signing: Signing) -> None:
    with callback_server(200) as platform:
        _finished_task(signing, platform.url)
        HUEY.flush()  # the queue lost the first attempt (the process died before it reached it)
        assert run_queued_jobs() == 0
        now = timezone.now()
        assert delivery.requeue_stranded_callbacks(now) == 0  # not overdue yet
        assert delivery.requeue_stranded_callbacks(now + timedelta(seconds=delivery.LEASE_SECONDS + 1)) == 1
        assert run_queued_jobs() == 1
        assert CallbackDelivery.objects.get().state == "delivered"
        assert len(platform.received) == 1
