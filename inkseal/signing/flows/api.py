"""Sign-flow API for trading platforms (same bearer and Idempotency-Key as sign tasks) and the flow
signer's confirm endpoints (the link's token is the capability). Thin: the services do the work."""

from __future__ import annotations

import json
from typing import Any, BinaryIO, cast

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile as NinjaFile

from inkseal.core.acting import Acting
from inkseal.core.http import client_ip
from inkseal.signing.flows import confirm, create, lifecycle
from inkseal.signing.flows.models import FlowSigner, SignFlow
from inkseal.signing.flows.notices import signer_confirm_url
from inkseal.signing.flows.queries import document_of_platform, flow_parts
from inkseal.signing.flows.schemas import flow_data, spec_schema
from inkseal.signing.tasks import formats
from inkseal.signing.tasks.api import PlatformBearer, _quoted, describe_spec
from inkseal.signing.tasks.spec import UploadedFile

flows_router = Router(tags=["sign flows"], auth=PlatformBearer())
flow_confirm_router = Router(tags=["sign flows"])


class FlowDocumentOut(Schema):
    n: int
    name: str
    pages: int
    signatures: int
    sha256_original: str
    sha256: str
    url: str


class FlowSignerOut(Schema):
    n: int
    step: int
    certificate_serial: str
    confirmer_name: str
    status: str
    reason: str | None
    signed_at: str | None
    confirm_url: str | None = None


class FlowOut(Schema):
    id: str
    status: str
    business_id: str
    business_type: str
    pades_level: str
    reason: dict[str, str] | None
    documents: list[FlowDocumentOut]
    signers: list[FlowSignerOut]
    created_at: str
    expires_at: str
    completed_at: str | None


def flow_out(flow: SignFlow) -> dict[str, Any]:
    documents, signers = flow_parts(flow)
    urls = {s.number: signer_confirm_url(s) for s in signers if s.status == "pending"}
    data = flow_data(flow, documents, signers, confirm_urls=urls)
    for signer in data["signers"]:
        if signer["status"] != "pending":
            signer["confirm_url"] = None
    return data


def describe_flow_spec(openapi: dict[str, Any]) -> None:
    """The `spec` field of POST /api/v1/sign-flows: its schema (SignFlowSpec) instead of "string"."""
    describe_spec(openapi, "/api/v1/sign-flows", "SignFlowSpec", spec_schema)


@flows_router.post(
    "",
    response={200: FlowOut, 201: FlowOut},
    summary="Create a sign flow: several signers, in steps (multipart: files, spec)",
    description=(
        "Multipart form: one or more PDF or OFD files in `files` (told by their content; OFD needs SM2 "
        "certificates and takes placements in millimetres from the page's top left) and a JSON object in "
        "`spec` (schema `SignFlowSpec`): "
        "`signers`, each with `step` (same step: in parallel, 会签; steps in order, from 1 with no gap), "
        "`signer.certificate_serial` (authorised to this platform), `confirmer.phone` (the authorised "
        "person) and its `placements` (on `files[0]`) or `documents` (`file`, `placements`), with the "
        "sign task's placement model. Each signer of the first step gets its `confirm_url` and an SMS; "
        "later steps when the earlier one is signed. Header `Idempotency-Key` as for sign tasks. "
        "Refusals: 422 `flow_spec_invalid`, `flow_step_empty`, `flow_signer_duplicate`, "
        "`placement_off_page`…; 409 `pdf_locked`, `ofd_locked` for a document already locked; 403/404 for a "
        "certificate not authorised to the platform."
    ),
)
def create_flow(request: HttpRequest, spec: Form[str], files: File[list[NinjaFile]]) -> Status[dict[str, Any]]:
    uploads = [UploadedFile(f.name or "document.pdf", cast(BinaryIO, f)) for f in files]
    flow, created = create.do_create_sign_flow(
        request.auth,  # type: ignore[attr-defined]
        uploads,
        spec,
        acting=Acting.platform(request.auth, client_ip(request)),  # type: ignore[attr-defined]
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return Status(201 if created else 200, flow_out(flow))


@flows_router.get(
    "/{flow_id}",
    response=FlowOut,
    summary="A sign flow, its documents and the status of each signer",
    description=(
        "`status` of the flow: `pending` (in progress), `signed` (every signer signed), `refused` "
        "(`reason`), `cancelled`, `expired` or `failed`. Of each signer: `waiting` (an earlier step is "
        "not signed yet), `pending` (with its `confirm_url`), `signing`, `signed`, `refused` (`reason`), "
        "`cancelled`, `expired` or `failed`."
    ),
)
def get_flow(request: HttpRequest, flow_id: str) -> dict[str, Any]:
    return flow_out(create.flow_of_platform(request.auth, flow_id))  # type: ignore[attr-defined]


_CANCEL_BODY = {
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"reason": {"type": "string", "maxLength": 500}}}
        }
    },
    "required": False,
}


def _reason(request: HttpRequest) -> str:
    """The optional `reason` of a JSON body (or form); "" when there is none. Read in the handler,
    so that whose flow it is gets checked before anything about the body."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        value = body.get("reason") if isinstance(body, dict) else None
    else:
        value = request.POST.get("reason")
    return value if isinstance(value, str) else ""


@flows_router.post(
    "/{flow_id}/cancel",
    response=FlowOut,
    summary='Cancel the flow (the remaining links stop); optional JSON body {"reason": …}',
    openapi_extra={"requestBody": _CANCEL_BODY},
)
def cancel_flow(request: HttpRequest, flow_id: str) -> dict[str, Any]:
    acting = Acting.platform(request.auth, client_ip(request))  # type: ignore[attr-defined]
    flow = lifecycle.do_cancel_sign_flow(request.auth, flow_id, _reason(request), acting=acting)  # type: ignore[attr-defined]
    return flow_out(flow)


@flows_router.post(
    "/{flow_id}/signers/{n}/remind",
    response=FlowOut,
    summary="催签: send a pending signer its SMS again (rate-limited: 429 flow_reminder_limited)",
)
def remind_signer(request: HttpRequest, flow_id: str, n: int) -> dict[str, Any]:
    acting = Acting.platform(request.auth, client_ip(request))  # type: ignore[attr-defined]
    signer = lifecycle.do_remind_flow_signer(request.auth, flow_id, n, acting=acting)  # type: ignore[attr-defined]
    return flow_out(signer.flow)


@flows_router.get(
    "/{flow_id}/documents/{n}", summary="The document's current version (with every signature applied so far)"
)
def get_document(request: HttpRequest, flow_id: str, n: int) -> FileResponse:
    document = document_of_platform(request.auth, flow_id, n)  # type: ignore[attr-defined]
    kind = formats.stored_format(document.current)
    response = FileResponse(document.current.open("rb"), content_type=formats.MEDIA_TYPES[kind])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quoted(formats.named_as(document.name, kind))}"
    response["X-Content-SHA256"] = document.sha256_current
    return response


# --- the signer's link ---------------------------------------------------------------------------


class CodeOut(Schema):
    sent_to: str


class ConfirmIn(Schema):
    method: str
    code: str = ""
    pin: str = ""


class RefuseIn(Schema):
    reason: str = ""


class SignerOut(Schema):
    flow: str
    signer: int
    status: str
    reason: str | None
    flow_status: str


def signer_out(signer: FlowSigner) -> dict[str, Any]:
    signer.refresh_from_db(fields=["status", "reason"])
    signer.flow.refresh_from_db(fields=["status"])
    return {
        "flow": signer.flow.public_id,
        "signer": signer.number,
        "status": signer.status,
        "reason": signer.reason or None,
        "flow_status": signer.flow.status,
    }


@flow_confirm_router.post("/{token}/code", response=CodeOut, summary="Send the SMS code to the signer's confirmer")
def send_code(request: HttpRequest, token: str) -> dict[str, str]:
    return {"sent_to": confirm.do_send_flow_code(token, acting=Acting.anonymous(client_ip(request)))}


@flow_confirm_router.post(
    "/{token}", response=SignerOut, summary="Confirm with the SMS code or PIN; the signature is applied at once"
)
def confirm_signer(request: HttpRequest, token: str, payload: ConfirmIn) -> dict[str, Any]:
    secret = payload.code if payload.method == "sms" else payload.pin
    signer = confirm.do_confirm_flow_signer(token, payload.method, secret, acting=Acting.anonymous(client_ip(request)))
    return signer_out(signer)


@flow_confirm_router.post("/{token}/refuse", response=SignerOut, summary="拒签: refuse with a reason (ends the flow)")
def refuse_signer(request: HttpRequest, token: str, payload: RefuseIn) -> dict[str, Any]:
    signer = confirm.do_refuse_flow_signer(token, payload.reason, acting=Acting.anonymous(client_ip(request)))
    return signer_out(signer)
