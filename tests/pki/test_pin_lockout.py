"""PIN lockout is scoped: wrong PINs on one sign task lock that task, more on one trading platform
lock that platform, and only locks on several platforms (evidence of a real attack) lock the
certificate. A holder of another platform's confirm link cannot lock the holder out; the holder
is told by SMS and on the certificate page, and unlocks with an SMS code."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.notify.models import SmsMessage
from inkseal.pki.errors import PinIncorrect, PinLocked
from inkseal.pki.models import Certificate, PinLockout
from inkseal.pki.pins import (
    PIN_MAX_FAILURES,
    PIN_PLATFORM_MAX_FAILURES,
    PinScope,
    set_pin,
    verify_pin,
)
from inkseal.pki.services import signing_key_for
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import do_authorize_certificate, do_create_api_client
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, CONFIRMER_PHONE, Signing, confirm_token, prove_grantee_phone, sms_code

pytestmark = pytest.mark.django_db

PIN, WRONG = "135792", "000111"
PERSON = Actor("person", CONFIRMER_PHONE, "王五")


def second_platform(signing: Signing, name: str = "另一交易平台", code: str = "other") -> tuple[str, str]:
    platform = TradingPlatform.objects.create(name=name, code=code, callback_url="http://other.test/cb")
    client, secret = do_create_api_client(platform, acting=Acting(ACTOR), callback_key="k2")
    now = timezone.now()
    authorization = do_authorize_certificate(
        signing.certificate,
        platform,
        grantee_name="王五",
        grantee_phone=CONFIRMER_PHONE,
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(days=30),
        acting=Acting(ACTOR),
    )
    prove_grantee_phone(authorization)
    return client.client_id, secret


def new_task(signing: Signing, platform: tuple[str, str] | None = None) -> str:
    token = signing.token(*platform) if platform else None
    response = signing.create(token=token)
    assert response.status_code == 201, response.content
    return confirm_token(response.json()["confirm_url"])


def confirm(signing: Signing, token: str, pin: str) -> Any:
    return signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "pin", "pin": pin}, content_type="application/json"
    )


def test_wrong_pins_lock_the_task_then_the_platform_but_not_another_platform(
    signing: Signing, django_capture_on_commit_callbacks: Any
) -> None:
    set_pin(signing.certificate, PIN, acting=Acting(ACTOR))
    other = second_platform(signing)
    task_a = new_task(signing)
    for _ in range(PIN_MAX_FAILURES - 1):
        assert confirm(signing, task_a, WRONG).json()["error"] == "pin_incorrect"
    locked = confirm(signing, task_a, WRONG)
    assert locked.status_code == 423 and locked.json()["details"]["scope"] == "task", locked.content
    assert confirm(signing, task_a, PIN).json()["details"]["scope"] == "task"  # even the right PIN

    task_b = new_task(signing)  # more wrong PINs on the same platform lock the platform
    for _ in range(PIN_PLATFORM_MAX_FAILURES - PIN_MAX_FAILURES - 1):
        assert confirm(signing, task_b, WRONG).json()["error"] == "pin_incorrect"
    with django_capture_on_commit_callbacks(execute=True):  # the SMS to the holder goes on commit
        locked = confirm(signing, task_b, WRONG)
    assert locked.json()["details"]["scope"] == "platform", locked.content
    assert "测试交易平台" in locked.json()["message"]
    task_c = new_task(signing)
    assert confirm(signing, task_c, PIN).json()["details"]["scope"] == "platform"

    # another platform's task still accepts the right PIN: the certificate is not locked
    on_other = confirm(signing, new_task(signing, other), PIN)
    assert on_other.status_code == 200 and on_other.json()["status"] == "completed", on_other.content
    assert Certificate.objects.get(pk=signing.certificate.pk).pin_locked_until is None
    # and on the locked platform the holder can still confirm by SMS code
    signing.client.post(f"/api/v1/confirm/{task_c}/code")
    by_sms = signing.client.post(
        f"/api/v1/confirm/{task_c}",
        {"method": "sms", "code": sms_code(signing.client)},
        content_type="application/json",
    )
    assert by_sms.json()["status"] == "completed", by_sms.content

    scopes = [e.data["scope"] for e in AuditEntry.objects.filter(event="certificate.pin_locked").order_by("seq")]
    assert scopes == ["task", "task", "platform"]
    notice = SmsMessage.objects.get(phone=signing.admin.phone, purpose="pki.pin_locked")
    assert "测试交易平台" in notice.body and signing.certificate.serial[-8:] in notice.body


def test_locks_on_two_platforms_lock_the_certificate_until_the_owner_unlocks_by_sms(signing: Signing) -> None:
    certificate = signing.certificate
    set_pin(certificate, PIN, acting=Acting(ACTOR))
    for platform in ("P", "Q"):
        for n in range(PIN_PLATFORM_MAX_FAILURES):
            scope = PinScope(task=f"{platform}-task-{n // PIN_MAX_FAILURES}", platform=platform, label=platform)
            with pytest.raises((PinIncorrect, PinLocked)):
                verify_pin(certificate, WRONG, acting=Acting(PERSON), scope=scope)
    with pytest.raises(PinLocked) as refused:
        verify_pin(certificate, PIN, acting=Acting(PERSON), scope=PinScope(task="R-1", platform="R", label="R"))
    assert refused.value.details["scope"] == "certificate"
    with pytest.raises(PinLocked):
        signing_key_for(certificate)
    assert AuditEntry.objects.filter(event="certificate.pin_locked", data__scope="certificate").count() == 1

    owner = login_client(signing.admin, identity=f"enterprise:{certificate.holder.enterprise.pk}")
    detail = owner.get(f"/certificates/{certificate.pk}/").content.decode()
    assert "PIN 码已锁定" in detail and 'id="pin-unlock"' in detail and "P" in detail
    sent = owner.post(f"/certificates/{certificate.pk}/pin/unlock", {"step": "send"})
    assert sent.status_code == 200, sent.content
    wrong = owner.post(f"/certificates/{certificate.pk}/pin/unlock", {"step": "code", "code": "000000"})
    assert wrong.status_code == 400
    code = sms_code(owner, signing.admin.phone)
    done = owner.post(f"/certificates/{certificate.pk}/pin/unlock", {"step": "code", "code": code})
    assert done.status_code == 302
    assert not PinLockout.objects.filter(certificate=certificate, locked_until__isnull=False).exists()
    assert AuditEntry.objects.filter(event="certificate.pin_unlocked").count() == 1
    verify_pin(certificate, PIN, acting=Acting(PERSON), scope=PinScope(task="P-task-9", platform="P", label="P"))
    assert signing_key_for(certificate).signer


def test_only_the_managing_owner_may_unlock(signing: Signing, make_person: Any) -> None:
    stranger = login_client(make_person(verified=True))
    response = stranger.post(f"/certificates/{signing.certificate.pk}/pin/unlock", {"step": "send"})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="concurrent transactions need a server database"
)
@pytest.mark.parametrize("scope_kind", ["task", "platform"])
def test_concurrent_wrong_pins_lock_each_scope_at_exactly_its_limit(signing: Signing, scope_kind: str) -> None:
    certificate = signing.certificate
    set_pin(certificate, PIN, acting=Acting(ACTOR))
    start = threading.Barrier(50)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        # one task for all 50 (task scope), or a task each on one platform (platform scope)
        task = "T" if scope_kind == "task" else f"T{n}"
        start.wait(10)
        try:
            verify_pin(certificate, WRONG, acting=Acting(PERSON), scope=PinScope(task=task, platform="P", label="P"))
        except PinIncorrect:
            outcomes.append("incorrect")
        except PinLocked:
            outcomes.append("locked")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    limit = PIN_MAX_FAILURES if scope_kind == "task" else PIN_PLATFORM_MAX_FAILURES
    assert outcomes.count("incorrect") == limit - 1 and outcomes.count("locked") == 50 - (limit - 1)
    row = PinLockout.objects.get(certificate=certificate, scope=scope_kind, key="T" if scope_kind == "task" else "P")
    assert row.locked_until is not None
    assert AuditEntry.objects.filter(event="certificate.pin_failed").count() == limit - 1
    assert AuditEntry.objects.filter(event="certificate.pin_locked", data__scope=scope_kind).count() == 1
