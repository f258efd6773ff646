"""Creating a sign task from a platform's API call (idempotent by key), and the platform's view of its
tasks and documents."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.crypto import encrypt
from inkseal.core.db.rows import unique_row
from inkseal.core.errors import Conflict, DomainError, NotFound
from inkseal.pki.services import (
    check_can_sign,
)
from inkseal.platforms.models import TradingPlatform
from inkseal.signing.core.errors import PdfTooComplex
from inkseal.signing.models import SignDocument, SignTask, TaskStatus
from inkseal.signing.tasks import formats
from inkseal.signing.tasks.approvals import request_task_approvals
from inkseal.signing.tasks.confirm import token_hash, token_purpose
from inkseal.signing.tasks.errors import DocumentPurged, IdempotencyKeyReused, TaskNotReady
from inkseal.signing.tasks.planning import (
    HOSTILE_OFD,
    check_ofd_signer,
    find_certificate,
    placements_for,
    plan_document,
    plan_ofd_document,
    record_budget_exceeded,
    record_hostile_ofd,
)
from inkseal.signing.tasks.spec import UploadedFile, check_files, check_return_url, check_spec, safe_name

log = logging.getLogger(__name__)


def do_create_sign_task(
    platform: TradingPlatform,
    files: Sequence[UploadedFile],
    spec_json: str | bytes,
    *,
    acting: Acting,
    idempotency_key: str = "",
) -> tuple[SignTask, bool]:
    """A pending task and whether it was created now (False: the same Idempotency-Key and the same
    request before; the key with a different request is refused, IdempotencyKeyReused)."""
    key = idempotency_key.strip()[:128]
    check_files(files)
    digests = [upload.sha256() for upload in files]  # once: the fingerprint and the documents use them
    fingerprint = request_fingerprint(digests, spec_json)
    if key:
        existing = unique_row(SignTask.objects.filter(platform=platform, idempotency_key=key))
        if existing is not None:
            return _same_request(existing, fingerprint), False
    spec = check_spec(spec_json, len(files))
    check_return_url(spec.return_url, platform)
    certificate, authorization = find_certificate(spec.serial, platform, spec.confirmer_phone)
    try:
        check_can_sign(certificate, timezone.now())
    except DomainError as exc:
        raise type(exc)(exc.message, status=Conflict.status, **exc.details)
    prepared = []
    used: list[list[Any]] = []  # each document's seals, for 用印审批
    seals: dict[str, Any] = {}  # the seals, read once for all the documents
    for doc in spec.documents:
        upload = files[doc.file]
        kind = formats.sniff(upload.stream())  # by content, never by name
        if kind == formats.OFD:
            check_ofd_signer(certificate)
        placements, document_seals = placements_for(certificate, doc.placements, seals)
        used.append(document_seals)
        plan = plan_ofd_document if kind == formats.OFD else plan_document
        try:
            pages, overlays = plan(upload.stream(), placements, [p["seal_type"] for p in doc.placements])
        except PdfTooComplex as exc:
            record_budget_exceeded(exc, acting, "sign_task.create")
            raise
        except HOSTILE_OFD as exc:
            record_hostile_ofd(exc, acting, "sign_task.create")
            raise
        prepared.append((upload, doc, pages, overlays, kind))
    public_id = uuid.uuid4().hex
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            task = SignTask.objects.create(
                public_id=public_id,
                platform=platform,
                certificate=certificate,
                confirmer_name=authorization.grantee_name,
                confirmer_phone=spec.confirmer_phone,
                idempotency_key=key,
                request_sha256=fingerprint,
                spec=json.loads(spec_json),
                pades_level=spec.pades_level.value,
                business_type=spec.business_type,
                business_id=spec.business_id,
                callback_url=spec.callback_url or platform.callback_url,
                token_hash=token_hash(token),
                token_enc=encrypt(token, token_purpose(public_id)),
                token_expires_at=timezone.now() + timedelta(seconds=settings.SIGN_CONFIRM_TTL_SECONDS),
            )
            task.documents_in_order = []
            for number, (upload, doc, pages, overlays, kind) in enumerate(prepared, start=1):
                document = SignDocument(
                    task=task,
                    number=number,
                    name=safe_name(upload.name),
                    placements={"specs": list(doc.placements), "overlays": [o.__dict__ for o in overlays]},
                    pages=pages,
                    sha256_before=digests[doc.file],
                )
                document.original.save(f"{public_id}-{number}.{kind}", upload.content(), save=False)
                task.documents_in_order.append(document)
            SignDocument.objects.bulk_create(task.documents_in_order)  # one INSERT for the batch
            request_task_approvals(task, task.documents_in_order, used, acting=acting)  # 用印审批, if needed
            record(
                events.SIGN_TASK_CREATE,
                **acting.audit(),
                target=f"sign_task:{public_id}",
                data={"serial": certificate.serial, "documents": len(prepared), "business_id": spec.business_id},
            )
    except IntegrityError:
        existing = SignTask.objects.filter(platform=platform, idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return _same_request(existing, fingerprint), False
    return task, True


def request_fingerprint(file_sha256s: Sequence[str], spec_json: str | bytes) -> str:
    """SHA-256 over what a sign-task request asks for: each file's SHA-256, in order, and the spec
    (certificate, confirmer, placements, …) as canonical JSON (key order and spacing do not count)."""
    try:
        spec = json.dumps(json.loads(spec_json), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        spec = spec_json.decode(errors="replace") if isinstance(spec_json, bytes) else str(spec_json)
    digest = hashlib.sha256(b"inkseal sign-task request v1\n")
    for file_sha256 in file_sha256s:
        digest.update(file_sha256.encode() + b"\n")
    digest.update(spec.encode())
    return digest.hexdigest()


def _same_request(existing: SignTask, fingerprint: str) -> SignTask:
    """The task an Idempotency-Key named, when this request is the one that created it (tasks from
    before fingerprints were kept are taken as the same)."""
    if existing.request_sha256 and not secrets.compare_digest(existing.request_sha256, fingerprint):
        raise IdempotencyKeyReused(
            _("该 Idempotency-Key 已用于另一个签章请求（文件、证书或 spec 不同）。新的请求请使用新的 Idempotency-Key。")
        )
    return existing


def task_of_platform(platform: TradingPlatform, public_id: str) -> SignTask:
    """The platform's own task; 404 for any other, existing or not."""
    task = unique_row(SignTask.objects.filter(platform=platform, public_id=str(public_id)))
    if task is None:
        raise NotFound(_("签章任务不存在。"))
    return task


def document_of_platform(platform: TradingPlatform, public_id: str, number: int) -> SignDocument:
    """The signed document `number` of the platform's own task (one query); 404 for any other."""
    document = unique_row(
        SignDocument.objects.filter(task__platform=platform, task__public_id=str(public_id), number=number)
    )
    if document is None:
        task_of_platform(platform, public_id)  # which 404: the task or the document
        raise NotFound(_("文件不存在。"))
    return _signed(document)


def signed_document(task: SignTask, number: int) -> SignDocument:
    document = unique_row(task.documents.filter(number=number))
    if document is None:
        raise NotFound(_("文件不存在。"))
    return _signed(document)


def _signed(document: SignDocument) -> SignDocument:
    """The document if its signed file is there to download; why not otherwise."""
    if document.status != TaskStatus.COMPLETED or not document.signed:
        if document.purged_at is not None:
            raise DocumentPurged()
        raise TaskNotReady(_("文件尚未签署完成。"))
    return document
