"""Confirming a sign task: SMS code or PIN (with lockout), one-time expiring links, refusals
inside the signing transaction (revoked certificate, revoked authorisation) → failed with reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.notify.models import SmsCode
from inkseal.pki.pins import set_pin
from inkseal.pki.services import revoke_certificate
from inkseal.platforms.models import CertificateAuthorization
from inkseal.signing.models import SignDocument, SigningRecord, SignTask
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code

pytestmark = pytest.mark.django_db


def _task(signing: Signing) -> tuple[str, dict[str, Any]]:
    body = signing.create().json()
    return confirm_token(body["confirm_url"]), body


def _confirm(signing: Signing, token: str, **payload: str) -> Any:
    return signing.client.post(f"/api/v1/confirm/{token}", payload, content_type="application/json")


def test_pin_confirmation_signs(signing: Signing) -> None:
    set_pin(signing.certificate, "135792", acting=Acting(Actor("system")))
    token, _ = _task(signing)
    response = _confirm(signing, token, method="pin", pin="135792")
    assert response.status_code == 200 and response.json()["status"] == "completed", response.content
    assert SigningRecord.objects.get().get_intent_method_display() == "PIN码"


def test_wrong_pins_lock_the_certificate(signing: Signing) -> None:
    set_pin(signing.certificate, "135792", acting=Acting(Actor("system")))
    token, _ = _task(signing)
    for remaining in (4, 3, 2, 1):
        response = _confirm(signing, token, method="pin", pin="000111")
        assert response.status_code == 403 and response.json()["error"] == "pin_incorrect", response.content
        assert str(remaining) in response.json()["message"]
    locked = _confirm(signing, token, method="pin", pin="000111")
    assert locked.json()["error"] == "pin_locked"
    assert _confirm(signing, token, method="pin", pin="135792").json()["error"] == "pin_locked"
    assert SignTask.objects.get().status == "pending"


def test_wrong_sms_code_counts_and_nothing_signed(signing: Signing) -> None:
    token, _ = _task(signing)
    signing.client.post(f"/api/v1/confirm/{token}/code")
    wrong = _confirm(signing, token, method="sms", code="000000" if sms_code(signing.client) != "000000" else "111111")
    assert wrong.status_code == 400 and wrong.json()["error"] == "code_invalid"
    assert SignDocument.objects.get().status == "pending" and not SigningRecord.objects.exists()


def test_confirm_link_is_one_time(signing: Signing) -> None:
    token, _ = _task(signing)
    signing.client.post(f"/api/v1/confirm/{token}/code")
    code = sms_code(signing.client)
    assert _confirm(signing, token, method="sms", code=code).status_code == 200
    replay = _confirm(signing, token, method="sms", code=code)
    assert replay.status_code == 409 and replay.json()["error"] == "confirm_token_used"
    assert signing.client.get(f"/sign/confirm/{token}").status_code == 409
    assert SigningRecord.objects.count() == 1


def test_expired_confirm_link(signing: Signing) -> None:
    token, _ = _task(signing)
    SignTask.objects.update(token_expires_at=timezone.now() - timedelta(seconds=1))
    assert signing.client.post(f"/api/v1/confirm/{token}/code").json()["error"] == "confirm_token_expired"
    assert _confirm(signing, token, method="sms", code="123456").status_code == 410
    assert signing.client.get(f"/sign/confirm/{token}").status_code == 410
    assert signing.client.post("/api/v1/confirm/nonsense/code").status_code == 404


def test_revoked_between_request_and_confirmation_fails_with_reason(signing: Signing) -> None:
    token, body = _task(signing)
    signing.client.post(f"/api/v1/confirm/{token}/code")
    code = sms_code(signing.client)
    revoke_certificate(signing.certificate, reason=1, acting=Acting(Actor("system")))
    response = _confirm(signing, token, method="sms", code=code)
    assert response.status_code == 200
    assert response.json()["status"] == "failed" and "吊销" in response.json()["failure"]["message"]
    document = SignDocument.objects.get()
    assert document.status == "failed" and not document.signed
    record = SigningRecord.objects.get()
    assert record.result == "failure" and "certificate_revoked" in record.reason
    auth = {"HTTP_AUTHORIZATION": f"Bearer {signing.token()}"}
    assert signing.client.get(f"/api/v1/sign-tasks/{body['id']}/documents/1", **auth).status_code == 409


def test_revoked_certificate_refused_at_creation(signing: Signing) -> None:
    revoke_certificate(signing.certificate, reason=1, acting=Acting(Actor("system")))
    response = signing.create()
    assert response.status_code == 409 and response.json()["error"] == "certificate_revoked"


def test_authorisation_revoked_before_confirmation(signing: Signing) -> None:
    token, _ = _task(signing)
    signing.client.post(f"/api/v1/confirm/{token}/code")
    code = sms_code(signing.client)
    CertificateAuthorization.objects.update(revoked_at=timezone.now())
    response = _confirm(signing, token, method="sms", code=code)
    assert response.json()["status"] == "failed"
    assert response.json()["failure"]["code"] == "certificate_not_authorized"


def test_batch_of_documents_in_one_confirmation(signing: Signing) -> None:
    spec = signing.spec(
        documents=[
            {"file": 0, "placements": [{"seal_type": "official", "page": 1, "x": 300, "y": 300}]},
            {"file": 1, "placements": [{"seal_type": "legal_representative", "page": 1, "x": 300, "y": 300}]},
        ]
    )
    from tests.signing.api_support import text_pdf

    body = signing.create([("a.pdf", text_pdf()), ("b.pdf", text_pdf())], spec).json()
    token = confirm_token(body["confirm_url"])
    signing.client.post(f"/api/v1/confirm/{token}/code")
    done = _confirm(signing, token, method="sms", code=sms_code(signing.client)).json()
    assert done["status"] == "completed" and [d["status"] for d in done["documents"]] == ["completed", "completed"]
    assert SigningRecord.objects.count() == 2
    progress = signing.client.get(f"/api/v1/confirm/{token}/progress").json()
    assert progress["status"] == "completed"


def test_an_sms_code_confirms_only_its_own_task(signing: Signing) -> None:
    first, _ = _task(signing)
    second, _ = _task(signing)
    signing.client.post(f"/api/v1/confirm/{first}/code")
    code = sms_code(signing.client)
    refused = _confirm(signing, second, method="sms", code=code)
    assert refused.status_code == 400 and refused.json()["error"] == "code_invalid"
    accepted = _confirm(signing, first, method="sms", code=code)
    assert accepted.status_code == 200 and accepted.json()["status"] == "completed", accepted.content


def _change_while_signing(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    """Run `change` after the signature is made and before its transaction commits (what another
    request may do meanwhile: the signing no longer holds locks while it signs)."""
    from inkseal.signing.tasks import execute

    sign_pdf = execute.sign_pdf

    def sign_then_change(*args: Any, **kwargs: Any) -> Any:
        result = sign_pdf(*args, **kwargs)
        change()
        return result

    monkeypatch.setattr(execute, "sign_pdf", sign_then_change)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("revoke", "certificate_revoked"),
        ("withdraw", "certificate_not_authorized"),
        ("void", "seal_inactive"),
        ("unbind", "seal_not_bound"),
    ],
)
def test_a_change_while_signing_is_seen_at_the_commit(
    signing: Signing, monkeypatch: pytest.MonkeyPatch, change: str, code: str
) -> None:
    from inkseal.seals.models import SealBinding, SealState, SealUsage

    official = signing.seals["official"]
    changes = {
        "revoke": lambda: revoke_certificate(signing.certificate, reason=1, acting=Acting(Actor("system"))),
        "withdraw": lambda: CertificateAuthorization.objects.update(revoked_at=timezone.now()),
        "void": lambda: (
            type(official).objects.filter(pk=official.pk).update(state=SealState.VOID, voided_at=timezone.now())
        ),
        "unbind": lambda: SealBinding.objects.filter(seal=official).delete(),
    }
    token, body = _task(signing)
    signing.client.post(f"/api/v1/confirm/{token}/code")
    code_sent = sms_code(signing.client)
    _change_while_signing(monkeypatch, changes[change])
    response = _confirm(signing, token, method="sms", code=code_sent)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "failed" and response.json()["failure"]["code"] == code
    document = SignDocument.objects.get()
    assert document.status == "failed" and not document.signed and not document.sha256_after
    assert _signed_files(document) == []
    record = SigningRecord.objects.get()
    assert record.result == "failure" and code in record.reason
    assert not SealUsage.objects.exists()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {signing.token()}"}
    assert signing.client.get(f"/api/v1/sign-tasks/{body['id']}/documents/1", **auth).status_code == 409


def _signed_files(document: SignDocument) -> list[str]:
    """Signed files left in storage for the document's task (none may stay after a refusal)."""
    from pathlib import Path

    root = Path(document.original.storage.path("signing"))
    return [str(path) for path in root.rglob(f"{document.task.public_id}-*-signed*")]


def test_confirming_before_asking_for_a_code_says_to_ask_for_one(signing: Signing) -> None:
    token, _ = _task(signing)
    early = _confirm(signing, token, method="sms", code="123456")
    assert early.status_code == 400 and early.json()["error"] == "code_invalid"
    assert "请先获取验证码" in early.json()["message"] and "过期" not in early.json()["message"]
    assert SignDocument.objects.get().status == "pending" and not SigningRecord.objects.exists()


def test_an_expired_confirmation_code_says_expired(signing: Signing) -> None:
    token, _ = _task(signing)
    signing.client.post(f"/api/v1/confirm/{token}/code")
    SmsCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = _confirm(signing, token, method="sms", code=sms_code(signing.client))
    assert expired.status_code == 400 and "验证码已过期" in expired.json()["message"]
    assert "请先获取" not in expired.json()["message"]
