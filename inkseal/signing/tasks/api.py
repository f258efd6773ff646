"""Signing API for trading platforms (sign tasks; the OAuth token endpoint is inkseal.platforms.api)
and the confirm page's JSON endpoints. Thin: validation and orchestration only, the services do the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, cast

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile as NinjaFile
from ninja.security import HttpBearer

from inkseal.core.acting import Acting
from inkseal.core.http import client_ip
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import platform_for_token
from inkseal.signing.models import SignTask, TaskApproval
from inkseal.signing.tasks import confirm as confirmation
from inkseal.signing.tasks import create, formats
from inkseal.signing.tasks.schemas import API_FIELDS, CONFIRM_FIELDS, cut, spec_schema, task_data
from inkseal.signing.tasks.spec import UploadedFile


class PlatformBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> TradingPlatform:
        return platform_for_token(token)  # raises InvalidToken (401)


tasks_router = Router(tags=["signing"], auth=PlatformBearer())
confirm_router = Router(tags=["signing"])


class DocumentOut(Schema):
    n: int
    name: str
    status: str
    pages: int
    sha256_before: str
    sha256_after: str | None
    error: str | None
    url: str | None


class ApprovalOut(Schema):
    id: str
    document: int
    seal_type: str
    state: str
    reason: str | None


class TaskOut(Schema):
    id: str
    status: str
    confirm_url: str | None
    business_id: str
    business_type: str
    pades_level: str
    failure: dict[str, str] | None
    documents: list[DocumentOut]
    approvals: list[ApprovalOut]
    created_at: str
    completed_at: str | None


def task_out(task: SignTask, request: HttpRequest) -> dict[str, Any]:
    status = confirmation.shown_status(task)  # "expired" from the moment the confirm link expired
    url = confirmation.confirm_url(task) if status == "pending" else None
    return {**cut(task_data(task, status=status, confirm_url=url), API_FIELDS), "approvals": approvals_out(task)}


def approvals_out(task: SignTask) -> list[dict[str, Any]]:
    """用印审批 the task waits for or went through (one query; none for most tasks)."""
    links = getattr(task, "approval_links", None)  # just created: the links it made
    if links is None:
        rows = TaskApproval.objects.filter(task=task).select_related("approval__seal", "document")
        links = list(rows.order_by("document__number", "pk"))
    return [
        {
            "id": str(link.approval.public_id),
            "document": link.document.number,
            "seal_type": link.approval.seal.kind,
            "state": link.approval.state,
            "reason": link.approval.reason or None,
        }
        for link in links
    ]


def describe_spec(
    openapi: dict[str, Any],
    path: str = "/api/v1/sign-tasks",
    name: str = "SignTaskSpec",
    schema_of: Callable[[], tuple[dict[str, Any], dict[str, Any]]] = spec_schema,
) -> None:
    """The `spec` field of a multipart POST (sign tasks; sign flows pass their own path, name and
    schema) is a JSON object: the OpenAPI document gets its schema instead of "string"."""
    schema, definitions = schema_of()
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions)
    components[name] = schema
    body = openapi["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
    body["schema"]["properties"]["spec"] = {
        "$ref": f"#/components/schemas/{name}",
        "description": "JSON object (sent as a form field with content type application/json or text).",
    }
    body["encoding"] = {"spec": {"contentType": "application/json, text/plain"}}


@tasks_router.post(
    "",
    response={200: TaskOut, 201: TaskOut},
    summary="Create a sign task (multipart: files, spec)",
    description=(
        "Multipart form: one or more PDF or OFD (GB/T 33190) files in `files`, told apart by their content "
        "(not their names), and a JSON object in `spec` (schema `SignTaskSpec`): "
        "`signer`, `confirmer` (an authorised person), one item of `documents` per file with its "
        "`placements` (a point `page`/`x`/`y`, a `keyword`, or `cross_page` for 骑缝章), `pades_level`, "
        "`business_type`, `business_id`, `callback_url`, and `return_url` (where the "
        "confirm page sends the signer back; must be on the platform's registered origin). Header "
        "`Idempotency-Key`: the same key with the same request (files' SHA-256 and spec) returns the same "
        "task (200); with a different request, 409 `idempotency_key_reused`. A PDF past the parsing budget: "
        "422 `pdf_too_complex`; every PDF parser of the serving process busy: 503 `pdf_parser_busy` with "
        "`Retry-After` (nothing is created). OFD files: placements in millimetres from the page's top left; "
        'each placement is a GB/T 38540 seal (Type="Seal", SM2 certificates only: an RSA or ECDSA '
        "certificate is refused with 422 `ofd_certificate_not_sm2`), time-stamped by the platform's SM2 TSA; "
        "`ofd_protect_all` locks the document with its last seal. A bad package is refused before anything is "
        "stored: `ofd_not_ofd`, `ofd_malformed`, `ofd_truncated`, `ofd_unsafe_path` (`../` or absolute entry "
        "names), `ofd_duplicate_entry`, `ofd_encrypted`, `ofd_no_pages`, `ofd_too_many_pages` (422), "
        "`ofd_too_large`, `ofd_zip_bomb` (413), `ofd_locked` (409: an existing signature protects what a "
        "seal must change). 用印审批: when a seal's type needs approval in the signer's enterprise, the task "
        "is created `pending` with `approvals` (one per document and seal, `state` `pending`, bound to the "
        "document's SHA-256 and its placements); confirming answers 409 `seal_approval_pending` until an "
        "approver approves, and a rejection fails the task (`failure.code` `seal_approval_rejected`, the "
        "approver's reason; callback sent). The same document and placements reuse a pending or approved "
        "request; any change needs a new one."
    ),
)
def create_task(request: HttpRequest, spec: Form[str], files: File[list[NinjaFile]]) -> Status[dict[str, Any]]:
    # Django spools large uploads to temporary files: they are hashed, planned and stored in chunks
    uploads = [UploadedFile(f.name or "document.pdf", cast(BinaryIO, f)) for f in files]
    task, created = create.do_create_sign_task(
        request.auth,  # type: ignore[attr-defined]
        uploads,
        spec,
        acting=Acting.platform(request.auth, client_ip(request)),  # type: ignore[attr-defined]
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return Status(201 if created else 200, task_out(task, request))


@tasks_router.get(
    "/{task_id}",
    response=TaskOut,
    summary="A sign task and the status of each document",
    description=(
        "`status`: `pending` (waiting for the signer's confirmation at `confirm_url`), `signing`, "
        "`completed`, `failed` (`failure.code`, e.g. `certificate_revoked`, `signing_internal_error` for an "
        "unexpected error on a document, `signing_interrupted` when signing stopped and could not be "
        "resumed; `seal_approval_rejected` when an approver rejected the use of a seal), or `expired` (the "
        "confirm link expired unconfirmed; no `confirm_url`). Every confirmed task ends `completed` or "
        "`failed`, with its callback. `approvals`: the 用印审批 requests of the task's seals (`pending`, "
        "`approved`, `rejected` with `reason`); a `pending` task with a pending approval cannot be confirmed yet."
    ),
)
def get_task(request: HttpRequest, task_id: str) -> dict[str, Any]:
    return task_out(create.task_of_platform(request.auth, task_id), request)  # type: ignore[attr-defined]


@tasks_router.get(
    "/{task_id}/documents/{n}",
    summary="The signed PDF or OFD (n counts from 1 in the order of files)",
    description=(
        "The signed file: `application/pdf`, or `application/ofd` with a `.ofd` file name for an OFD document."
    ),
)
def get_document(request: HttpRequest, task_id: str, n: int) -> FileResponse:
    document = create.document_of_platform(request.auth, task_id, n)  # type: ignore[attr-defined]
    response = FileResponse(document.signed.open("rb"), content_type=formats.media_type(document))
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quoted(formats.download_name(document))}"
    response["X-Content-SHA256"] = document.sha256_after
    return response


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


class CodeOut(Schema):
    sent_to: str


class ConfirmIn(Schema):
    method: str
    code: str = ""
    pin: str = ""


class ConfirmOut(Schema):
    id: str
    status: str
    failure: dict[str, str] | None
    documents: list[dict[str, Any]]


def confirm_out(task: SignTask) -> dict[str, Any]:
    return cut(task_data(task, status=confirmation.shown_status(task), confirm_url=None), CONFIRM_FIELDS)


@confirm_router.post("/{token}/code", response=CodeOut, summary="Send the SMS code to the authorised person")
def send_code(request: HttpRequest, token: str) -> dict[str, str]:
    return {"sent_to": confirmation.do_send_confirm_code(token, acting=Acting.anonymous(client_ip(request)))}


@confirm_router.post("/{token}", response=ConfirmOut, summary="Confirm with the SMS code or PIN; signs every document")
def confirm(request: HttpRequest, token: str, payload: ConfirmIn) -> dict[str, Any]:
    secret = payload.code if payload.method == "sms" else payload.pin
    task = confirmation.do_confirm_sign_task(token, payload.method, secret, acting=Acting.anonymous(client_ip(request)))
    return confirm_out(task)


@confirm_router.get("/{token}/progress", response=ConfirmOut, summary="Progress of the confirmed batch")
def progress(request: HttpRequest, token: str) -> dict[str, Any]:
    return confirm_out(confirmation.any_task_for_token(token))
