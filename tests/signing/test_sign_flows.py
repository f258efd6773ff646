"""Sign flows (签署流程) through the API: three experts in parallel then the chair, every
signature applied to the current version and valid in pdfsig and pyHanko; refusal, cancellation,
expiry, reminders; bad input refused with nothing stored."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from inkseal.audit import events
from inkseal.audit.models import AuditEntry
from inkseal.notify.models import SmsMessage
from inkseal.pki.services import certificate_chain
from inkseal.signing.callbacks import delivery
from inkseal.signing.flows.lifecycle import expire_sign_flows
from inkseal.signing.models import CallbackDelivery, FlowSigner, SignFlow, SigningRecord, SignTask
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing
from tests.signing.conftest import run_pdfsig
from tests.signing.flow_support import Expert, confirm_by_pin, create_flow, flow_spec, link_token, make_experts
from tests.signing.test_api_signed_documents import _nss

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def experts(signing: Signing) -> list[Expert]:
    return make_experts(signing, 4)


def _get(signing: Signing, flow_id: str, token: str) -> dict[str, Any]:
    response = signing.client.get(f"/api/v1/sign-flows/{flow_id}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def _download(signing: Signing, flow_id: str, token: str) -> bytes:
    response = signing.client.get(f"/api/v1/sign-flows/{flow_id}/documents/1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def assert_every_signature_valid(pdf: bytes, experts: list[Expert], tmp_path: Path) -> None:
    """pyHanko: one intact, valid, trusted signature per expert; poppler's pdfsig: every signature
    valid, the last one covering the whole file."""
    root = certificate_chain(experts[0].certificate)[-1]
    reader = PdfFileReader(io.BytesIO(pdf))
    signatures = reader.embedded_regular_signatures
    assert len(signatures) == len(experts)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(root)])
    signed_by = []
    for embedded in signatures:
        status = validate_pdf_signature(embedded, context, context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.docmdp_ok, status.pretty_print_details()
        signed_by.append(format(status.signing_cert.serial_number, "x"))
    assert sorted(signed_by) == sorted(e.serial.lower().lstrip("0") for e in experts)
    path = tmp_path / "flow.pdf"
    path.write_bytes(pdf)
    # poppler loses track of certificates met in several signatures unless NSS knows them (see
    # tests/signing/test_pdfsig_twice.py): the signers and the issuing CA, with no trust of their own
    intermediates = list(certificate_chain(experts[0].certificate)[:-1])
    nss = _nss(tmp_path, roots=[root], untrusted=[bytes(e.certificate.der) for e in experts] + intermediates)
    seen = run_pdfsig(path, nss)
    assert len(seen) == len(experts)
    for found in seen:
        assert found.says("Signature Validation: Signature is Valid."), found
        # (trust in our chain is pyHanko's check above: poppler's NSS check of our certificates says
        # "Unknown issue" for any of the platform's signatures, as in test_api_signed_documents)
    assert seen[-1].says("Total document signed")


def test_three_experts_in_parallel_then_the_chair(signing: Signing, experts: list[Expert], tmp_path: Path) -> None:
    token = signing.token()
    created = create_flow(signing, flow_spec(experts, steps=[1, 1, 1, 2]), token=token)
    assert created.status_code == 201, created.content
    flow = created.json()
    assert flow["status"] == "pending"
    assert [s["status"] for s in flow["signers"]] == ["pending", "pending", "pending", "waiting"]
    assert [bool(s["confirm_url"]) for s in flow["signers"]] == [True, True, True, False]
    # each pending signer got its own link by SMS; the chair not yet
    for expert, signer in zip(experts[:3], flow["signers"][:3], strict=True):
        assert SmsMessage.objects.filter(phone=expert.phone, body__contains=signer["confirm_url"]).exists()
    assert not SmsMessage.objects.filter(phone=experts[3].phone, purpose="sign_flow").exists()

    links = [link_token(s["confirm_url"]) for s in flow["signers"][:3]]
    # the second expert confirms first: order within a step does not matter
    for link in (links[1], links[0], links[2]):
        done = confirm_by_pin(signing.client, link)
        assert done.status_code == 200 and done.json()["status"] == "signed", done.content
    shown = _get(signing, flow["id"], token)
    assert [s["status"] for s in shown["signers"]] == ["signed", "signed", "signed", "pending"]
    assert shown["documents"][0]["signatures"] == 3
    chair_url = shown["signers"][3]["confirm_url"]
    assert SmsMessage.objects.filter(phone=experts[3].phone, body__contains=chair_url).exists()

    # the chair's page shows the current version (three seals on it) and who signed
    page = signing.client.get(f"/sign/flow/{link_token(chair_url)}")
    assert page.status_code == 200
    assert page.content.decode().count("已签署") >= 3

    done = confirm_by_pin(signing.client, link_token(chair_url))
    assert done.status_code == 200 and done.json()["flow_status"] == "signed", done.content
    final = _get(signing, flow["id"], token)
    assert final["status"] == "signed" and final["completed_at"]
    pdf = _download(signing, flow["id"], token)
    assert_every_signature_valid(pdf, experts, tmp_path)
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == final["documents"][0]["sha256"]

    # one success record per signer, each signing the version the previous one left
    records = SigningRecord.objects.filter(task__flow_signer__flow__public_id=flow["id"]).order_by("at")
    assert [r.result for r in records] == ["success"] * 4
    chain = [r.sha256_before for r in records] + [records.last().sha256_after]  # type: ignore[union-attr]
    assert chain[0] == final["documents"][0]["sha256_original"]
    assert all(a.sha256_after == b.sha256_before for a, b in zip(records, list(records)[1:], strict=False))

    # callbacks: one per signer event and one on completion, HMAC-signed bodies through the delivery job
    deliveries = list(CallbackDelivery.objects.filter(flow__public_id=flow["id"]).order_by("pk"))
    kinds = [json.loads(d.body)["event"] for d in deliveries]
    assert kinds == ["sign_flow.signer_signed"] * 4 + ["sign_flow.finished"]
    assert json.loads(deliveries[-1].body)["status"] == "signed"
    assert AuditEntry.objects.filter(event=events.SIGN_FLOW_COMPLETE, target=f"sign_flow:{flow['id']}").exists()
    assert AuditEntry.objects.filter(event=events.SIGN_FLOW_SIGNER_SIGN).count() == 4


def test_a_waiting_signer_cannot_sign_before_its_step(signing: Signing, experts: list[Expert]) -> None:
    flow = create_flow(signing, flow_spec(experts[:2], steps=[1, 2])).json()
    chair = FlowSigner.objects.get(flow__public_id=flow["id"], number=2)
    from inkseal.signing.flows.notices import signer_token

    refused = confirm_by_pin(signing.client, signer_token(chair))
    assert refused.status_code == 409 and refused.json()["error"] == "flow_signer_waiting"
    assert not SigningRecord.objects.exists()


def test_refusal_ends_the_flow_and_the_other_links(signing: Signing, experts: list[Expert]) -> None:
    token = signing.token()
    flow = create_flow(signing, flow_spec(experts[:3], steps=[1, 1, 2]), token=token).json()
    first, second = (link_token(s["confirm_url"]) for s in flow["signers"][:2])
    empty = signing.client.post(
        f"/api/v1/flow-confirm/{first}/refuse", {"reason": " "}, content_type="application/json"
    )
    assert empty.status_code == 400 and empty.json()["error"] == "flow_refusal_reason_missing"
    refused = signing.client.post(
        f"/api/v1/flow-confirm/{first}/refuse", {"reason": "报告第3页评分有误"}, content_type="application/json"
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused", refused.content
    shown = _get(signing, flow["id"], token)
    assert shown["status"] == "refused" and "报告第3页评分有误" in shown["reason"]["message"]
    assert shown["reason"]["code"] == "flow_signer_refused"
    assert [s["status"] for s in shown["signers"]] == ["refused", "cancelled", "cancelled"]
    late = confirm_by_pin(signing.client, second)
    assert late.status_code == 409 and late.json()["error"] == "flow_closed"
    assert not SigningRecord.objects.exists()
    assert AuditEntry.objects.filter(event=events.SIGN_FLOW_SIGNER_REFUSE).exists()
    events_sent = [
        json.loads(d.body)["event"] for d in CallbackDelivery.objects.filter(flow__public_id=flow["id"]).order_by("pk")
    ]
    assert events_sent == ["sign_flow.signer_refused", "sign_flow.finished"]


def test_cancellation_by_the_platform(signing: Signing, experts: list[Expert]) -> None:
    token = signing.token()
    flow = create_flow(signing, flow_spec(experts[:2]), token=token).json()
    first = link_token(flow["signers"][0]["confirm_url"])
    assert confirm_by_pin(signing.client, first).status_code == 200
    cancelled = signing.client.post(
        f"/api/v1/sign-flows/{flow['id']}/cancel",
        {"reason": "项目终止"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.content
    assert [s["status"] for s in cancelled.json()["signers"]] == ["signed", "cancelled"]
    late = confirm_by_pin(signing.client, link_token(flow["signers"][1]["confirm_url"]))
    assert late.status_code == 409 and late.json()["error"] == "flow_closed"
    again = signing.client.post(
        f"/api/v1/sign-flows/{flow['id']}/cancel",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert again.status_code == 409 and again.json()["error"] == "flow_closed"
    assert AuditEntry.objects.filter(event=events.SIGN_FLOW_CANCEL).count() == 1


def test_expiry(signing: Signing, experts: list[Expert]) -> None:
    token = signing.token()
    flow = create_flow(signing, flow_spec(experts[:2], steps=[1, 2], expires_in_hours=1), token=token).json()
    later = timezone.now() + timedelta(hours=2)
    assert expire_sign_flows(later) == 1
    shown = _get(signing, flow["id"], token)
    assert shown["status"] == "expired" and [s["status"] for s in shown["signers"]] == ["expired", "expired"]
    assert AuditEntry.objects.filter(event=events.SIGN_FLOW_EXPIRE).exists()


def test_reminders_are_rate_limited(signing: Signing, experts: list[Expert]) -> None:
    token = signing.token()
    flow = create_flow(signing, flow_spec(experts[:2], steps=[1, 2]), token=token).json()
    url = f"/api/v1/sign-flows/{flow['id']}/signers/1/remind"
    before = SmsMessage.objects.filter(phone=experts[0].phone, purpose="sign_flow").count()
    assert signing.client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert SmsMessage.objects.filter(phone=experts[0].phone, purpose="sign_flow").count() == before + 1
    again = signing.client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert again.status_code == 429 and again.json()["error"] == "flow_reminder_limited"
    waiting = signing.client.post(
        f"/api/v1/sign-flows/{flow['id']}/signers/2/remind", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert waiting.status_code == 409 and waiting.json()["error"] == "flow_signer_waiting"
    assert AuditEntry.objects.filter(event=events.SIGN_FLOW_SIGNER_REMIND).count() == 1


def test_the_same_idempotency_key_returns_the_same_flow(signing: Signing, experts: list[Expert]) -> None:
    spec = flow_spec(experts[:2])
    first = create_flow(signing, spec, idempotency_key="flow-1")
    second = create_flow(signing, spec, idempotency_key="flow-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    other = create_flow(signing, flow_spec(experts[:3]), idempotency_key="flow-1")
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda s, e: s["signers"].append(dict(s["signers"][0])), 422, "flow_signer_duplicate"),
        (lambda s, e: s["signers"][1].update(step=3), 422, "flow_step_empty"),
        (
            lambda s, e: s["signers"][0].update(placements=[{"seal_type": "official", "page": 5, "x": 1, "y": 1}]),
            400,
            "placement_page_out_of_range",
        ),
        (
            lambda s, e: s["signers"][0].update(placements=[{"seal_type": "official", "page": 1, "x": 9000, "y": 100}]),
            400,
            "placement_off_page",
        ),
        (lambda s, e: s["signers"][0]["signer"].update(certificate_serial="ab12cd"), 403, "certificate_not_authorized"),
        (lambda s, e: s["signers"][0]["confirmer"].update(phone=e[1].phone), 403, "certificate_not_authorized"),
        (lambda s, e: s.update(signers=[]), 422, "flow_spec_invalid"),
        (lambda s, e: s["signers"][0].pop("placements"), 422, "flow_spec_invalid"),
    ],
    ids=[
        "duplicate-signer",
        "empty-step",
        "page-off",
        "placement-off-page",
        "not-authorised",
        "another-persons-phone",
        "no-signers",
        "no-placements",
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    signing: Signing, experts: list[Expert], mutate: Any, status: int | None, code: str | None
) -> None:
    spec = flow_spec(experts[:2])
    mutate(spec, experts)
    response = create_flow(signing, spec)
    assert 400 <= response.status_code < 500, response.content
    if status:
        assert response.status_code == status, response.content
    if code:
        assert response.json()["error"] == code
    assert response.json()["message"]
    assert not SignFlow.objects.exists() and not SignTask.objects.exists()


def test_a_signature_refused_at_its_instant_fails_the_signer_and_the_flow(
    signing: Signing, experts: list[Expert]
) -> None:
    from inkseal.audit.services import Actor
    from inkseal.core.acting import Acting
    from inkseal.pki.services import revoke_certificate

    token = signing.token()
    flow = create_flow(signing, flow_spec(experts[:3], steps=[1, 1, 2]), token=token).json()
    revoke_certificate(experts[0].certificate, reason=1, acting=Acting(Actor("system")))
    failed = confirm_by_pin(signing.client, link_token(flow["signers"][0]["confirm_url"]))
    assert failed.status_code in (200, 409), failed.content  # refused at the PIN or at the signing instant
    shown = _get(signing, flow["id"], token)
    assert shown["status"] == "failed" or failed.status_code == 409
    if shown["status"] == "failed":
        assert shown["signers"][0]["status"] == "failed" and shown["reason"]["code"]
        assert [s["status"] for s in shown["signers"][1:]] == ["cancelled", "cancelled"]
    assert shown["documents"][0]["signatures"] == 0  # nothing half-signed: the original is the current version
    assert not SigningRecord.objects.filter(result="success").exists()


def test_the_sms_path_and_the_preview_of_the_current_version(signing: Signing, experts: list[Expert]) -> None:
    flow = create_flow(signing, flow_spec(experts[:2], steps=[1, 2])).json()
    link = link_token(flow["signers"][0]["confirm_url"])
    page = signing.client.get(f"/sign/flow/{link}")
    assert page.status_code == 200 and "等待前序签署" in page.content.decode()
    image = signing.client.get(f"/sign/flow/{link}/documents/1/pages/1.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    seal = signing.client.get(f"/sign/flow/{link}/seals/official.png")
    assert seal.status_code == 200
    assert signing.client.get(f"/sign/flow/{link}/seals/finance.png").status_code == 404
    sent = signing.client.post(f"/api/v1/flow-confirm/{link}/code")
    assert sent.status_code == 200, sent.content
    messages = signing.client.get("/dev/sms.json", {"phone": experts[0].phone}).json()["messages"]
    import re

    code = next(re.search(r"验证码为(\d{6})", m["body"]).group(1) for m in messages if "验证码" in m["body"])  # type: ignore[union-attr]
    done = signing.client.post(
        f"/api/v1/flow-confirm/{link}", {"method": "sms", "code": code}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "signed", done.content
    used = signing.client.get(f"/sign/flow/{link}")
    assert used.status_code == 409


def test_flow_callbacks_are_delivered_signed_by_the_job(signing: Signing, experts: list[Expert]) -> None:
    from tests.helpers.callback_server import callback_server
    from tests.helpers.jobs import run_queued_jobs

    with callback_server(200, 200) as platform:
        spec = flow_spec(experts[:1], callback_url=platform.url)
        flow = create_flow(signing, spec).json()
        assert confirm_by_pin(signing.client, link_token(flow["signers"][0]["confirm_url"])).status_code == 200
        assert platform.received == []  # queued by the request, not posted in its thread
        assert run_queued_jobs(timezone.now()) == 2
    sent = [json.loads(s.body) for s in platform.received]
    assert sorted(m["event"] for m in sent) == ["sign_flow.finished", "sign_flow.signer_signed"]
    for received in platform.received:
        assert delivery.verify_signature(
            signing.callback_key, received.headers[delivery.SIGNATURE_HEADER], received.body
        )
    finished = next(m for m in sent if m["event"] == "sign_flow.finished")
    assert finished["id"] == flow["id"] and finished["status"] == "signed"
    assert finished["documents"][0]["url"].endswith(f"/api/v1/sign-flows/{flow['id']}/documents/1")
    assert "confirm_url" not in finished["signers"][0]
    assert CallbackDelivery.objects.filter(flow__public_id=flow["id"], state="delivered").count() == 2


def test_flow_documents_are_purged_after_the_retention_period(
    signing: Signing, experts: list[Expert], settings: Any
) -> None:
    from inkseal.signing.flows.lifecycle import purge_flow_documents
    from inkseal.signing.models import FlowDocument

    token = signing.token()
    flow = create_flow(signing, flow_spec(experts[:1]), token=token).json()
    assert confirm_by_pin(signing.client, link_token(flow["signers"][0]["confirm_url"])).status_code == 200
    document = FlowDocument.objects.get(flow__public_id=flow["id"])
    files = [document.original.path, document.current.path]
    assert purge_flow_documents() == 0  # still within the retention period
    later = timezone.now() + timedelta(days=settings.SIGNED_RETENTION_DAYS + 1)
    assert purge_flow_documents(later) == 1
    assert not any(Path(f).exists() for f in files)
    gone = signing.client.get(f"/api/v1/sign-flows/{flow['id']}/documents/1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert gone.status_code == 410 and gone.json()["error"] == "document_purged"
    assert _get(signing, flow["id"], token)["status"] == "signed"  # the flow and its records stay
    assert SigningRecord.objects.filter(result="success").count() == 1


def test_a_signature_whose_worker_died_is_applied_by_the_recovery_job(signing: Signing, experts: list[Expert]) -> None:
    from inkseal.core.acting import Acting
    from inkseal.signing.flows.confirm import claim_signer
    from inkseal.signing.tasks.confirm import confirm_intent, confirm_token
    from inkseal.signing.tasks.lifecycle import recover_stalled_sign_tasks
    from tests.signing.flow_support import PIN

    token = signing.token()
    flow = create_flow(signing, flow_spec(experts[:2], steps=[1, 2]), token=token).json()
    signer = FlowSigner.objects.get(flow__public_id=flow["id"], number=1)
    task = SignTask.objects.select_related("platform", "certificate__renewed_by").get(pk=signer.task_id)
    # what do_confirm_flow_signer does before its process dies: the confirmation and the claim
    confirm_intent(task, "pin", PIN, acting=Acting.anonymous("127.0.0.1"), token=confirm_token(task))
    claim_signer(signer.pk)
    assert _get(signing, flow["id"], token)["signers"][0]["status"] == "signing"
    stalled = timezone.now() - timedelta(seconds=settings_timeout() + 1)
    SignTask.objects.filter(pk=task.pk).update(heartbeat_at=stalled)

    assert recover_stalled_sign_tasks() == 1

    shown = _get(signing, flow["id"], token)
    assert [s["status"] for s in shown["signers"]] == ["signed", "pending"]  # the chair's step started
    assert shown["documents"][0]["signatures"] == 1
    record = SigningRecord.objects.get(result="success")
    assert record.sha256_before == shown["documents"][0]["sha256_original"]
    assert record.sha256_after == shown["documents"][0]["sha256"]


def settings_timeout() -> int:
    from django.conf import settings

    return int(settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS)


def test_a_signer_named_by_holder_signs_with_its_authorised_certificate(
    signing: Signing, experts: list[Expert]
) -> None:
    uscc = signing.certificate.holder.enterprise.uscc
    spec = flow_spec(experts[:1])
    spec["signers"][0]["signer"] = {"holder_uscc": uscc}
    created = create_flow(signing, spec)
    assert created.status_code == 201, created.content
    assert created.json()["signers"][0]["certificate_serial"] == experts[0].serial  # the one authorised for the phone
    spec["signers"][0]["confirmer"] = {"phone": "13999999999"}  # nobody authorised for this phone
    refused = create_flow(signing, spec)
    assert refused.status_code == 403 and refused.json()["error"] == "certificate_not_authorized"
    spec["signers"][0]["signer"] = {}
    missing = create_flow(signing, spec)
    assert missing.status_code == 422 and missing.json()["error"] == "flow_spec_invalid"
