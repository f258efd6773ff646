"""Signing API for trading platforms (OAuth 2.0 client credentials, sign tasks) and the confirm
page's JSON endpoints. Thin: validation and orchestration only, the services do the work."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile as NinjaFile
from ninja.security import HttpBearer

from inkseal.core.http import client_ip
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import do_issue_token, platform_for_token
from inkseal.signing import services
from inkseal.signing.models import SignTask


class PlatformBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> TradingPlatform:
        return platform_for_token(token)  # raises InvalidToken (401)


oauth_router = Router(tags=["oauth"])
tasks_router = Router(tags=["signing"], auth=PlatformBearer())
confirm_router = Router(tags=["signing"])


class TokenOut(Schema):
    access_token: str
    token_type: str
    expires_in: int


@oauth_router.post("/token", response=TokenOut, summary="OAuth 2.0 client credentials token", auth=None)
def token(
    request: HttpRequest,
    grant_type: Form[str] = "client_credentials",
    client_id: Form[str] = "",
    client_secret: Form[str] = "",
) -> dict[str, Any]:
    client_id, client_secret = _basic_credentials(request) or (client_id, client_secret)
    if grant_type != "client_credentials":
        from inkseal.core.errors import DomainError

        raise DomainError("grant_type must be client_credentials", code="unsupported_grant_type")
    access, lifetime = do_issue_token(client_id, client_secret)
    return {"access_token": access, "token_type": "Bearer", "expires_in": lifetime}


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    import base64
    from urllib.parse import unquote

    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)


class DocumentOut(Schema):
    n: int
    name: str
    status: str
    pages: int
    sha256_before: str
    sha256_after: str | None
    error: str | None
    url: str | None


class TaskOut(Schema):
    id: str
    status: str
    confirm_url: str | None
    business_id: str
    business_type: str
    pades_level: str
    failure: dict[str, str] | None
    documents: list[DocumentOut]
    created_at: str
    completed_at: str | None


def task_out(task: SignTask, request: HttpRequest) -> dict[str, Any]:
    status = services.shown_status(task)  # "expired" from the moment the confirm link expired
    return {
        "id": task.public_id,
        "status": status,
        "confirm_url": services.confirm_url(task) if status == "pending" else None,
        "business_id": task.business_id,
        "business_type": task.business_type,
        "pades_level": task.pades_level,
        "failure": {"code": task.failure_code, "message": task.failure_reason} if task.failure_code else None,
        "documents": [
            {
                "n": d.number,
                "name": d.name,
                "status": d.status,
                "pages": d.pages,
                "sha256_before": d.sha256_before,
                "sha256_after": d.sha256_after or None,
                "error": d.error or None,
                "url": f"/api/v1/sign-tasks/{task.public_id}/documents/{d.number}" if d.status == "completed" else None,
            }
            for d in task.documents_in_order
        ],
        "created_at": task.created_at.isoformat(),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }


@tasks_router.post(
    "",
    response={200: TaskOut, 201: TaskOut},
    summary="Create a sign task (multipart: files, spec)",
    description=(
        "Multipart form: one or more PDFs in `files` and a JSON string in `spec`: `signer` "
        '(`{"certificate_serial": "<hex>"}`), `confirmer` (`{"phone"}`, an authorised person), `documents` '
        "(`file` index into `files`, `placements`: `seal_type` official | legal_representative | contract | "
        "finance | name | handwriting, with `page` + `x`/`y` in PDF points, or `keyword` + `occurrence` "
        "first | all + `offset`, or `cross_page: true` for 骑缝章; optional `date`), `pades_level` (B-B, "
        "B-T default, B-LT), `business_type`, `business_id`, `callback_url`, and `return_url` (where the "
        "confirm page sends the signer back; must be on the platform's registered origin). Header "
        "`Idempotency-Key`: the same key with the same request (files' SHA-256 and spec) returns the same "
        "task (200); with a different request, 409 `idempotency_key_reused`. A PDF past the parsing budget: "
        "422 `pdf_too_complex`; every PDF parser of the serving process busy: 503 `pdf_parser_busy` with "
        "`Retry-After` (nothing is created)."
    ),
)
def create_task(request: HttpRequest, spec: Form[str], files: File[list[NinjaFile]]) -> Status[dict[str, Any]]:
    # Django spools large uploads to temporary files: they are hashed, planned and stored in chunks
    uploads = [services.UploadedFile(f.name or "document.pdf", cast(BinaryIO, f)) for f in files]
    task, created = services.do_create_sign_task(
        request.auth,  # type: ignore[attr-defined]
        uploads,
        spec,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        ip=client_ip(request),
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
        "resumed), or `expired` (the confirm link expired unconfirmed; no `confirm_url`). Every confirmed "
        "task ends `completed` or `failed`, with its callback."
    ),
)
def get_task(request: HttpRequest, task_id: str) -> dict[str, Any]:
    return task_out(services.task_of_platform(request.auth, task_id), request)  # type: ignore[attr-defined]


@tasks_router.get("/{task_id}/documents/{n}", summary="The signed PDF (n counts from 1 in the order of files)")
def get_document(request: HttpRequest, task_id: str, n: int) -> FileResponse:
    document = services.document_of_platform(request.auth, task_id, n)  # type: ignore[attr-defined]
    response = FileResponse(document.signed.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quoted(document.name)}"
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
    return {
        "id": task.public_id,
        "status": services.shown_status(task),
        "failure": {"code": task.failure_code, "message": task.failure_reason} if task.failure_code else None,
        "documents": [
            {"n": d.number, "name": d.name, "status": d.status, "error": d.error or None}
            for d in task.documents_in_order
        ],
    }


@confirm_router.post("/{token}/code", response=CodeOut, summary="Send the SMS code to the authorised person")
def send_code(request: HttpRequest, token: str) -> dict[str, str]:
    return {"sent_to": services.do_send_confirm_code(token, ip=client_ip(request))}


@confirm_router.post("/{token}", response=ConfirmOut, summary="Confirm with the SMS code or PIN; signs every document")
def confirm(request: HttpRequest, token: str, payload: ConfirmIn) -> dict[str, Any]:
    secret = payload.code if payload.method == "sms" else payload.pin
    task = services.do_confirm_sign_task(token, payload.method, secret, ip=client_ip(request))
    return confirm_out(task)


@confirm_router.get("/{token}/progress", response=ConfirmOut, summary="Progress of the confirmed batch")
def progress(request: HttpRequest, token: str) -> dict[str, Any]:
    return confirm_out(services.task_by_token(token))
