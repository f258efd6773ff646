"""用印审批 for sign tasks (issue #19): a platform's task that would use a 公章 needing approval
waits for the approver's decision, bound to the exact document and placements; the approver sees
the pages with the seals in the portal; the signing transaction checks the approval again."""

from __future__ import annotations

import json
from typing import Any

import pytest

from inkseal.audit import events
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.seals.models import ApprovalState, SealApproval
from inkseal.signing.models import CallbackDelivery, SignTask, TaskApproval
from inkseal.signing.tasks.confirm import confirm_intent, pending_task_for_token
from inkseal.signing.tasks.execute import sign_task_documents
from tests.seals.test_approvals import Company
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, Signing, confirm_token, sms_code, text_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(signing: Signing, verified_person: Any) -> Company:
    company = Company(signing, verified_person)
    assert company.require_official(company.approver).status_code == 302
    return company


def _create(signing: Signing, document: bytes | None = None) -> dict[str, Any]:
    created = signing.create([("bid.pdf", document or text_pdf())])
    assert created.status_code == 201, created.content
    return dict(created.json())


def _get(signing: Signing, task_id: str) -> dict[str, Any]:
    response = signing.client.get(f"/api/v1/sign-tasks/{task_id}", HTTP_AUTHORIZATION=f"Bearer {signing.token()}")
    assert response.status_code == 200
    return dict(response.json())


def _confirm(signing: Signing, token: str) -> Any:
    sent = signing.client.post(f"/api/v1/confirm/{token}/code")
    if sent.status_code != 200:
        return sent
    code = sms_code(signing.client)
    return signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": code}, content_type="application/json"
    )


def _decide(company: Company, person: Any, approval_id: str, decision: str, reason: str = "") -> Any:
    url = f"/seals/approvals/{approval_id}/decide"
    return company.client(person).post(url, {"decision": decision, "reason": reason})


def test_a_task_waits_for_the_approval_then_signs(company: Company) -> None:
    signing = company.signing
    body = _create(signing)
    assert body["status"] == "pending" and body["confirm_url"]
    [approval] = body["approvals"]
    assert approval["state"] == "pending" and approval["seal_type"] == "official" and approval["document"] == 1
    request = SealApproval.objects.get(public_id=approval["id"])
    assert request.document_sha256 == body["documents"][0]["sha256_before"]
    assert request.requester_phone == SignTask.objects.get(public_id=body["id"]).confirmer_phone
    # no code is sent and no confirmation counts while the approval is pending
    token = confirm_token(body["confirm_url"])
    refused = _confirm(signing, token)
    assert refused.status_code == 409 and refused.json()["error"] == "seal_approval_pending", refused.content
    refused = signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": "000000"}, content_type="application/json"
    )
    assert refused.status_code == 409 and refused.json()["error"] == "seal_approval_pending"
    assert _get(signing, body["id"])["status"] == "pending"
    # the approver sees the request in the inbox, its document's pages with the seal, and approves
    inbox = company.client(company.approver).get("/seals/approvals/").content.decode()
    assert f"approval-{approval['id']}" in inbox
    detail = company.client(company.approver).get(f"/sign/approvals/{approval['id']}/")
    assert detail.status_code == 200, detail.content
    page = detail.content.decode()
    assert "bid.pdf" in page and f"/sign/approvals/{approval['id']}/documents/1/pages/1.png" in page
    assert "seal-preview" in page
    image = company.client(company.approver).get(f"/sign/approvals/{approval['id']}/documents/1/pages/1.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    seal = company.client(company.approver).get(f"/sign/approvals/{approval['id']}/seals/official.png")
    assert seal.status_code == 200 and seal["Content-Type"] == "image/png"
    assert _decide(company, company.approver, approval["id"], "approve").status_code == 302
    assert _get(signing, body["id"])["approvals"][0]["state"] == "approved"
    done = _confirm(signing, token)
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content
    # the approval is in the seal's 印章使用记录 and the audit log
    records = company.client(signing.admin).get(f"/seals/{company.official.pk}/").content.decode()
    assert f"approval-record-{approval['id']}" in records and "已同意" in records
    assert AuditEntry.objects.filter(event=events.SEAL_APPROVAL_APPROVE).count() == 1
    # the same document and placements: a new task reuses the approval; another document needs its own
    again = _create(signing)
    assert again["approvals"][0]["id"] == approval["id"] and again["approvals"][0]["state"] == "approved"
    other = _create(signing, text_pdf(keyword="另一份文件"))
    assert other["approvals"][0]["id"] != approval["id"] and other["approvals"][0]["state"] == "pending"
    moved = signing.create(
        [("bid.pdf", text_pdf())],
        signing.spec(documents=[{"file": 0, "placements": [{"seal_type": "official", "page": 1, "x": 300, "y": 120}]}]),
    ).json()
    assert moved["approvals"][0]["id"] not in (approval["id"], other["approvals"][0]["id"])


def test_a_rejection_fails_the_task_with_the_reason(company: Company) -> None:
    signing = company.signing
    body = _create(signing)
    approval_id = body["approvals"][0]["id"]
    # a rejection needs a reason; not named in the rule, or not an approver: refused, nothing changes
    assert _decide(company, company.approver, approval_id, "reject").status_code == 302
    assert _decide(company, company.other_approver, approval_id, "approve").status_code == 403
    assert _decide(company, company.seal_user, approval_id, "approve").status_code == 403
    assert company.client(company.other_approver).get(f"/sign/approvals/{approval_id}/").status_code == 403
    assert company.client(company.seal_user).get(f"/sign/approvals/{approval_id}/").status_code == 403
    assert _get(signing, body["id"])["status"] == "pending"
    assert SealApproval.objects.get(public_id=approval_id).state == ApprovalState.PENDING
    assert _decide(company, company.approver, approval_id, "reject", "报价未经审核").status_code == 302
    task = _get(signing, body["id"])
    assert task["status"] == "failed" and task["failure"]["code"] == "seal_approval_rejected"
    assert "报价未经审核" in task["failure"]["message"]
    assert task["documents"][0]["status"] == "failed" and task["approvals"][0]["state"] == "rejected"
    callback = json.loads(CallbackDelivery.objects.get(task__public_id=body["id"]).body)
    assert callback["status"] == "failed" and "报价未经审核" in callback["failure"]["message"]
    fail = AuditEntry.objects.get(event=events.SIGN_TASK_FAIL, target=f"sign_task:{body['id']}")
    assert fail.data["reason"] == "seal_approval_rejected"
    closed = _confirm(signing, confirm_token(body["confirm_url"]))
    assert closed.status_code == 409, closed.content
    records = company.client(signing.admin).get(f"/seals/{company.official.pk}/").content.decode()
    assert f"approval-record-{approval_id}" in records and "报价未经审核" in records
    # a new task on the same document asks again
    assert _create(signing)["approvals"][0]["id"] != approval_id


def test_a_rule_made_between_confirmation_and_signing_refuses_the_signature(
    signing: Signing, verified_person: Any
) -> None:
    company = Company(signing, verified_person)
    body = _create(signing)
    assert body["approvals"] == []
    token = confirm_token(body["confirm_url"])
    assert signing.client.post(f"/api/v1/confirm/{token}/code").status_code == 200
    task = pending_task_for_token(token, with_certificate=True)
    confirm_intent(task, "sms", sms_code(signing.client), acting=Acting(ACTOR), token=token)
    # the administrator requires approval of 公章 after the confirmation, before the signature commits
    assert company.require_official(company.approver).status_code == 302
    sign_task_documents(task)
    failed = _get(signing, body["id"])
    assert failed["status"] == "failed" and failed["failure"]["code"] == "seal_approval_pending", failed
    assert failed["documents"][0]["sha256_after"] is None
    assert not TaskApproval.objects.exists()


def test_a_rule_made_after_creation_asks_at_confirmation(signing: Signing, verified_person: Any) -> None:
    company = Company(signing, verified_person)
    body = _create(signing)
    assert company.require_official(company.approver).status_code == 302
    refused = _confirm(signing, confirm_token(body["confirm_url"]))
    assert refused.status_code == 409 and refused.json()["error"] == "seal_approval_pending"
    [approval] = _get(signing, body["id"])["approvals"]
    assert approval["state"] == "pending"
    assert _decide(company, company.approver, approval["id"], "approve").status_code == 302
    done = _confirm(signing, confirm_token(body["confirm_url"]))
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content


def test_a_flow_signer_whose_seal_needs_approval_waits_for_it(company: Company) -> None:
    from tests.signing.flow_support import confirm_by_pin, create_flow, flow_spec, link_token, make_experts

    signing = company.signing
    experts = make_experts(signing, 2)
    created = create_flow(signing, flow_spec(experts, steps=[1, 2]))
    assert created.status_code == 201, created.content
    flow = created.json()
    first = link_token(flow["signers"][0]["confirm_url"])
    refused = confirm_by_pin(signing.client, first)
    assert refused.status_code == 409 and refused.json()["error"] == "seal_approval_pending", refused.content
    request = SealApproval.objects.get(state=ApprovalState.PENDING)
    assert _decide(company, company.approver, str(request.public_id), "approve").status_code == 302
    assert confirm_by_pin(signing.client, first).json()["status"] == "signed"
    # the second step's signer: its own placements need their own approval, bound to the document as uploaded
    headers = {"HTTP_AUTHORIZATION": f"Bearer {signing.token()}"}
    shown = signing.client.get(f"/api/v1/sign-flows/{flow['id']}", **headers).json()
    second = link_token(shown["signers"][1]["confirm_url"])
    assert confirm_by_pin(signing.client, second).json()["error"] == "seal_approval_pending"
    again = SealApproval.objects.get(state=ApprovalState.PENDING)
    assert again.document_sha256 == request.document_sha256 and again.placements_digest != request.placements_digest
    assert _decide(company, company.approver, str(again.public_id), "approve").status_code == 302
    done = confirm_by_pin(signing.client, second)
    assert done.status_code == 200 and done.json()["status"] == "signed", done.content
    assert signing.client.get(f"/api/v1/sign-flows/{flow['id']}", **headers).json()["status"] == "signed"
