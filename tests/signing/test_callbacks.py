"""Callbacks: HMAC-signed POST to the platform, retried with backoff from the job table."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.utils import timezone

from inkseal.signing.callbacks import jobs as tasks
from inkseal.signing.models import CallbackJob
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code

pytestmark = pytest.mark.django_db


class FakeResponse:
    def __init__(self, status: int):
        self.status_code = status


def _finished_task(signing: Signing) -> dict[str, Any]:
    body = signing.create().json()
    token = confirm_token(body["confirm_url"])
    signing.client.post(f"/api/v1/confirm/{token}/code")
    signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": sms_code(signing.client)}, content_type="application/json"
    )
    return dict(body)


def test_callback_signed_and_retried_until_acknowledged(signing: Signing, monkeypatch: pytest.MonkeyPatch) -> None:
    body = _finished_task(signing)
    job = CallbackJob.objects.get()
    assert job.url == "http://platform.test/callback" and job.state == "pending"
    answers = [requests.ConnectionError("refused"), FakeResponse(500), FakeResponse(200)]
    sent: list[tuple[bytes, str]] = []

    def post(url: str, data: bytes, headers: dict[str, str], **kwargs: Any) -> FakeResponse:
        sent.append((data, headers[tasks.SIGNATURE_HEADER]))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(tasks.requests, "post", post)
    now = timezone.now()
    assert tasks.run_due_jobs(now) == 1
    job.refresh_from_db()
    assert job.attempts == 1 and "ConnectionError" in job.last_error and job.next_attempt_at > now
    assert tasks.run_due_jobs(now) == 0  # not due yet: backoff
    later = now + timedelta(seconds=tasks.BACKOFF_SECONDS[0] + 1)
    tasks.run_due_jobs(later)
    job.refresh_from_db()
    assert job.attempts == 2 and job.last_error == "HTTP 500"
    tasks.run_due_jobs(later + timedelta(seconds=tasks.BACKOFF_SECONDS[1] + 1))
    job.refresh_from_db()
    assert job.state == "delivered" and job.delivered_at is not None

    payload, header = sent[-1]
    assert tasks.verify_signature(signing.callback_key, header, payload)
    assert not tasks.verify_signature("wrong-key", header, payload)
    assert not tasks.verify_signature(signing.callback_key, header, payload + b" ")
    message = json.loads(payload)
    assert message["id"] == body["id"] and message["status"] == "completed"
    assert message["documents"][0]["url"].endswith(f"/api/v1/sign-tasks/{body['id']}/documents/1")


def test_callback_gives_up(signing: Signing, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.CALLBACK_MAX_ATTEMPTS = 2
    _finished_task(signing)
    monkeypatch.setattr(tasks.requests, "post", lambda *a, **k: FakeResponse(503))
    far = timezone.now() + timedelta(days=1)
    tasks.run_due_jobs(far)
    tasks.run_due_jobs(far + timedelta(days=1))
    job = CallbackJob.objects.get()
    assert job.state == "gave_up" and job.attempts == 2
    tasks.retry_now(job)
    job.refresh_from_db()
    assert job.state == "pending"
