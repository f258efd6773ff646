"""Creating a sign flow from a platform's API call (idempotent by key): every signer's certificate,
authorisation, seals and placements are checked and planned like a sign task's before anything is
stored; each signer gets a sign task of its own (never confirmed through the task's link: its
token is not kept) and a confirm link of the flow."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.crypto import encrypt
from inkseal.core.db.rows import unique_row
from inkseal.core.errors import Conflict, DomainError, NotFound
from inkseal.pki.models import Certificate
from inkseal.pki.services import check_can_sign
from inkseal.platforms.models import CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import authorization_by_holder
from inkseal.signing.core.errors import PdfTooComplex
from inkseal.signing.flows.errors import FlowSignerDuplicate, FlowSpecInvalid, FlowStepEmpty
from inkseal.signing.flows.models import FlowDocument, FlowSigner, FlowStatus, SignFlow
from inkseal.signing.flows.notices import flow_token_purpose, notify_on_commit
from inkseal.signing.flows.schemas import FlowSignerIn, SignFlowSpec
from inkseal.signing.models import SignDocument, SignTask
from inkseal.signing.tasks import formats
from inkseal.signing.tasks.confirm import token_hash, token_purpose
from inkseal.signing.tasks.create import request_fingerprint
from inkseal.signing.tasks.errors import IdempotencyKeyReused
from inkseal.signing.tasks.planning import (
    HOSTILE_OFD,
    Overlay,
    check_ofd_signer,
    find_certificate,
    placements_for,
    plan_document,
    plan_ofd_document,
    record_budget_exceeded,
    record_hostile_ofd,
)
from inkseal.signing.tasks.spec import UploadedFile, check_files, check_return_url, safe_name


@dataclass(frozen=True)
class _PlannedSigner:
    index: int
    step: int
    certificate: Certificate
    authorization: CertificateAuthorization
    phone: str
    documents: tuple[tuple[int, tuple[dict[str, Any], ...], int, list[Overlay]], ...]  # (file, specs, pages, overlays)


def do_create_sign_flow(
    platform: TradingPlatform,
    files: Sequence[UploadedFile],
    spec_json: str,
    *,
    acting: Acting,
    idempotency_key: str = "",
) -> tuple[SignFlow, bool]:
    """Create the flow (or return the one this Idempotency-Key created: created=False). Nothing is
    stored unless every signer and placement checks out."""
    check_files(files)
    digests = [upload.sha256() for upload in files]
    fingerprint = request_fingerprint(digests, spec_json)
    key = idempotency_key.strip()[:128]
    if key:
        existing = unique_row(SignFlow.objects.filter(platform=platform, idempotency_key=key))
        if existing is not None:
            return _same_request(existing, fingerprint), False
    spec, raw = _parse(spec_json)
    check_return_url(spec.return_url or "", platform)
    if spec.callback_url and not spec.callback_url.startswith(("http://", "https://")):
        raise FlowSpecInvalid(_("callback_url 须为 http(s) 地址。"))
    _check_steps([signer.step for signer in spec.signers])
    planned = _plan_signers(platform, spec, raw, files, acting)
    return _store(platform, spec, raw, files, digests, planned, acting, key, fingerprint)


def _parse(spec_json: str) -> tuple[SignFlowSpec, dict[str, Any]]:
    try:
        raw = json.loads(spec_json)
    except (TypeError, ValueError):
        raise FlowSpecInvalid(_("spec 须为 JSON 对象。"))
    if not isinstance(raw, dict):
        raise FlowSpecInvalid(_("spec 须为 JSON 对象。"))
    try:
        spec = SignFlowSpec.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "spec"
        raise FlowSpecInvalid(_("spec 有误（%(where)s）：%(detail)s") % {"where": where, "detail": error["msg"]})
    return spec, raw


def _check_steps(steps: list[int]) -> None:
    """Steps numbered 1, 2, … with no gap: a missing step would leave the flow stuck."""
    for step in range(1, max(steps) + 1):
        if step not in steps:
            raise FlowStepEmpty(step=step)


def _signer_documents(item: dict[str, Any], index: int, file_count: int) -> list[tuple[int, tuple[Any, ...]]]:
    """(file index, placements as sent) for each document this signer seals."""
    if item.get("placements") is not None and item.get("documents") is not None:
        raise FlowSpecInvalid(_("signers[%(i)d]：placements 与 documents 只能给出其一。") % {"i": index})
    if item.get("placements") is not None:
        documents = [{"file": 0, "placements": item["placements"]}]
    else:
        documents = item.get("documents") or []
    if not documents:
        raise FlowSpecInvalid(_("signers[%(i)d] 须给出签章位置 placements。") % {"i": index})
    seen: set[int] = set()
    out = []
    for number, document in enumerate(documents):
        file = document.get("file", number)
        if isinstance(file, bool) or not isinstance(file, int) or not 0 <= file < file_count or file in seen:
            raise FlowSpecInvalid(
                _("signers[%(i)d].documents[].file 须为上传文件的序号（从 0 开始），且不能重复。") % {"i": index}
            )
        if not document.get("placements"):
            raise FlowSpecInvalid(_("signers[%(i)d] 每个文件至少需要一个签章位置 placements。") % {"i": index})
        seen.add(file)
        out.append((file, tuple(document["placements"])))
    return sorted(out)


def _plan_signers(
    platform: TradingPlatform,
    spec: SignFlowSpec,
    raw: dict[str, Any],
    files: Sequence[UploadedFile],
    acting: Acting,
) -> list[_PlannedSigner]:
    planned: list[_PlannedSigner] = []
    serials: set[str] = set()
    kinds = [formats.sniff(upload.stream()) for upload in files]  # by content, never by name
    for index, (signer, item) in enumerate(zip(spec.signers, raw["signers"], strict=True)):
        certificate, authorization = _signer_certificate(platform, signer, index)
        if certificate.serial in serials:
            raise FlowSignerDuplicate(index=index)
        serials.add(certificate.serial)
        try:
            check_can_sign(certificate, timezone.now())
        except DomainError as exc:
            raise type(exc)(exc.message, status=Conflict.status, **exc.details)
        documents = []
        for file, specs in _signer_documents(item, index, len(files)):
            if kinds[file] == formats.OFD:
                check_ofd_signer(certificate)  # GB/T 38540 seals: SM2 signers only
            placements, _seals = placements_for(certificate, specs)
            # a document already locked (a "no changes" certification, an OFD seal protecting
            # Signatures.xml) is refused here: pdf_locked / ofd_locked, 409
            plan = plan_ofd_document if kinds[file] == formats.OFD else plan_document
            try:
                pages, overlays = plan(files[file].stream(), placements, [p["seal_type"] for p in specs])
            except PdfTooComplex as exc:
                record_budget_exceeded(exc, acting, "sign_flow.create")
                raise
            except HOSTILE_OFD as exc:
                record_hostile_ofd(exc, acting, "sign_flow.create")
                raise
            documents.append((file, specs, pages, overlays))
        planned.append(
            _PlannedSigner(index, signer.step, certificate, authorization, signer.confirmer.phone, tuple(documents))
        )
    return planned


def _signer_certificate(
    platform: TradingPlatform, signer: FlowSignerIn, index: int
) -> tuple[Certificate, CertificateAuthorization]:
    """The signer's certificate, named by serial or by holder (USCC), and its authorisation to the
    platform for the confirmer's phone."""
    serial = signer.signer.certificate_serial.lower().removeprefix("0x")
    if not signer.confirmer.phone:
        raise FlowSpecInvalid(_("signers[%(i)d] 缺少确认人手机号 confirmer.phone。") % {"i": index})
    if serial:
        return find_certificate(serial, platform, signer.confirmer.phone)
    if signer.signer.holder_uscc:
        authorization = authorization_by_holder(signer.signer.holder_uscc, platform, signer.confirmer.phone)
        return authorization.certificate, authorization
    raise FlowSpecInvalid(
        _("signers[%(i)d] 须给出签章证书序列号 signer.certificate_serial 或持有人 signer.holder_uscc。") % {"i": index}
    )


def _pages(planned: list[_PlannedSigner], file: int) -> int:
    return next((pages for s in planned for f, _specs, pages, _o in s.documents if f == file), 0)


def _store(
    platform: TradingPlatform,
    spec: SignFlowSpec,
    raw: dict[str, Any],
    files: Sequence[UploadedFile],
    digests: list[str],
    planned: list[_PlannedSigner],
    acting: Acting,
    key: str,
    fingerprint: str,
) -> tuple[SignFlow, bool]:
    public_id = uuid.uuid4().hex
    expires_at = timezone.now() + timedelta(hours=spec.expires_in_hours)
    try:
        with transaction.atomic():
            flow = SignFlow.objects.create(
                public_id=public_id,
                platform=platform,
                idempotency_key=key,
                request_sha256=fingerprint,
                spec=raw,
                pades_level=spec.pades_level or "B-T",
                business_type=spec.business_type,
                business_id=spec.business_id,
                callback_url=spec.callback_url or platform.callback_url,
                expires_at=expires_at,
            )
            for number, upload in enumerate(files, start=1):
                document = FlowDocument(
                    flow=flow,
                    number=number,
                    name=safe_name(upload.name),
                    pages=_pages(planned, number - 1),
                    sha256_original=digests[number - 1],
                    sha256_current=digests[number - 1],
                )
                kind = formats.sniff(upload.stream())  # the stored name's extension keeps the format
                document.original.save(f"{public_id}-{number}.{kind}", upload.content(), save=False)
                document.current.name = document.original.name  # version 0 is the original
                document.save()
            first_step = min(s.step for s in planned)
            for signer in planned:
                _store_signer(flow, signer, spec, digests, first_step)
            record(
                events.SIGN_FLOW_CREATE,
                **acting.audit(),
                target=f"sign_flow:{public_id}",
                data={
                    "documents": len(files),
                    "signers": [s.certificate.serial for s in planned],
                    "steps": max(s.step for s in planned),
                    "business_id": spec.business_id,
                },
            )
            for signer_row in flow.signers.filter(status=FlowStatus.PENDING):
                notify_on_commit(signer_row)
    except IntegrityError:
        existing = SignFlow.objects.filter(platform=platform, idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return _same_request(existing, fingerprint), False
    return flow, True


def _store_signer(
    flow: SignFlow, planned: _PlannedSigner, spec: SignFlowSpec, digests: list[str], first_step: int
) -> FlowSigner:
    number = planned.index + 1
    # the signer's sign task: confirmed only through the flow's link (its own token is discarded)
    task_token = secrets.token_urlsafe(32)
    task_public_id = uuid.uuid4().hex
    task = SignTask.objects.create(
        public_id=task_public_id,
        platform=flow.platform,
        certificate=planned.certificate,
        confirmer_name=planned.authorization.grantee_name,
        confirmer_phone=planned.phone,
        spec={"flow": flow.public_id, "signer": number, "documents": [{"file": f} for f, *_r in planned.documents]},
        pades_level=flow.pades_level,
        business_type=flow.business_type,
        business_id=flow.business_id,
        callback_url="",  # the flow calls back, not its signers' tasks
        token_hash=token_hash(task_token),
        token_enc=encrypt(task_token, token_purpose(task_public_id)),
        token_expires_at=flow.expires_at,
    )
    for file, specs, pages, overlays in planned.documents:
        SignDocument.objects.create(
            task=task,
            number=file + 1,  # the flow document's number
            name=safe_name(flow.documents.get(number=file + 1).name),
            placements={"specs": list(specs), "overlays": [o.__dict__ for o in overlays]},
            pages=pages,
            sha256_before=digests[file],  # the version signed is set when the signature is applied
        )
    token = secrets.token_urlsafe(32)
    return FlowSigner.objects.create(
        flow=flow,
        number=number,
        step=planned.step,
        certificate=planned.certificate,
        task=task,
        confirmer_name=planned.authorization.grantee_name,
        confirmer_phone=planned.phone,
        status=FlowStatus.PENDING if planned.step == first_step else FlowStatus.WAITING,
        token_hash=token_hash(token),
        token_enc=encrypt(token, flow_token_purpose(flow.public_id, number)),
    )


def _same_request(existing: SignFlow, fingerprint: str) -> SignFlow:
    if existing.request_sha256 and not secrets.compare_digest(existing.request_sha256, fingerprint):
        raise IdempotencyKeyReused(
            _("该 Idempotency-Key 已用于另一个签署流程请求（文件或 spec 不同）。新的请求请使用新的 Idempotency-Key。")
        )
    return existing


def flow_of_platform(platform: TradingPlatform, public_id: str, *, for_update: bool = False) -> SignFlow:
    """The platform's own flow; 404 for any other, existing or not."""
    rows = SignFlow.objects.filter(platform=platform, public_id=str(public_id))
    if for_update:
        rows = rows.select_for_update(of=("self",))
    flow = unique_row(rows)
    if flow is None:
        raise NotFound(_("签署流程不存在。"))
    return flow
