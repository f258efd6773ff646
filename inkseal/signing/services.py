"""Sign tasks: create (from a platform's API call), confirm (SMS code or PIN), sign every document
(one transaction each, with its 应用记录), records, retention.

check_* validate and raise DomainErrors in the user's language; do_* change state in one
transaction with the audit row inside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
import tempfile
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, BinaryIO, TypeVar, cast
from urllib.parse import urlsplit

from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import Model, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko_certvalidator import ValidationContext

from inkseal.accounts.models import Party
from inkseal.audit.services import Actor, record
from inkseal.core.crypto import decrypt, encrypt
from inkseal.core.errors import Conflict, DomainError, NotFound
from inkseal.notify.services import send_code, verify_code
from inkseal.pki.algorithms import SM2, get_algorithm
from inkseal.pki.authorities import tsa_family_for
from inkseal.pki.longterm import long_term_data
from inkseal.pki.models import Certificate
from inkseal.pki.pins import PinScope, verify_pin
from inkseal.pki.services import (
    certificate_for_signing,
    check_can_sign,
    check_unrevoked,
    lock_for_signing,
    signing_key,
)
from inkseal.platforms.models import CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import active_authorization, authorization_by_serial
from inkseal.seals.errors import SealNotBound
from inkseal.seals.models import Seal, SealState, SealType
from inkseal.seals.services import is_bound, lock_seals_for_signing, record_seal_usages, seal_stamp, stamp_of
from inkseal.signing import budget, inspection
from inkseal.signing.appearance import SealImage
from inkseal.signing.errors import PdfTooComplex
from inkseal.signing.errors_zh import localised
from inkseal.signing.gmcms import SIGNATURE_VALIDATOR
from inkseal.signing.models import IntentMethod, SignDocument, SigningRecord, SignTask, TaskStatus
from inkseal.signing.pdf import PadesLevel, sign_pdf
from inkseal.signing.placement import Placement
from inkseal.signing.ses_records import (
    RecordSignature,
    keep_record_signatures,
    make_record_signatures,
    platform_ses_timestamper,
)
from inkseal.signing.signer import SealSigner
from inkseal.signing.storage_cleanup import discard_uncommitted_signed_files
from inkseal.signing.timestamper import platform_timestamper, reserve_serials

SMS_PURPOSE = "sign"
_CHUNK = 1024 * 1024
_SPOOL_BYTES = 4 * 1024 * 1024  # documents up to this size are signed in memory, larger ones in a temporary file
M = TypeVar("M", bound=Model)
log = logging.getLogger(__name__)


def sms_purpose(task: SignTask) -> str:
    """Codes are bound to one task: a code sent for one task never confirms another."""
    return f"{SMS_PURPOSE}:{task.pk}"


class SpecInvalid(DomainError):
    code = "spec_invalid"


class ConfirmTokenExpired(DomainError):
    code = "confirm_token_expired"
    status = 410


class ConfirmTokenUsed(DomainError):
    code = "confirm_token_used"
    status = 409


class IntentMissing(DomainError):
    code = "intent_not_confirmed"
    status = 409


class TaskNotReady(DomainError):
    code = "task_not_ready"
    status = 409


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 409


class SigningInternalError(DomainError):
    """An unexpected error signing one document (logged with its traceback; the user and the
    platform get this code, never the exception)."""

    code = "signing_internal_error"
    status = 500


class SigningInterrupted(DomainError):
    """The worker signing the task stopped and the task could not be resumed."""

    code = "signing_interrupted"
    status = 500


class TaskTakenOver(Exception):
    """This worker no longer holds the task (the recovery job took it over): stop, commit nothing."""


def _unique(rows: QuerySet[M]) -> M | None:
    """The row a unique lookup names, or None: like first() without its ORDER BY."""
    found = list(rows.order_by()[:1])
    return found[0] if found else None


# --- the request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """An uploaded PDF: its bytes, or the file Django spooled a large upload to (read in chunks,
    never whole into memory)."""

    name: str
    data: bytes | BinaryIO

    @property
    def size(self) -> int:
        if isinstance(self.data, bytes):
            return len(self.data)
        size = getattr(self.data, "size", None)  # Django's UploadedFile knows it
        if isinstance(size, int):
            return size
        self.data.seek(0, io.SEEK_END)
        return self.data.tell()

    def stream(self) -> BinaryIO:
        """The content from its start (a new stream over the bytes, or the rewound file)."""
        if isinstance(self.data, bytes):
            return io.BytesIO(self.data)
        self.data.seek(0)
        return self.data

    def sha256(self) -> str:
        return _sha256_of(self.stream())

    def content(self) -> File:
        """For storage: saved in chunks."""
        return ContentFile(self.data) if isinstance(self.data, bytes) else File(self.stream())


def _sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DocumentSpec:
    file: int
    placements: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class TaskSpec:
    serial: str
    confirmer_phone: str
    documents: tuple[DocumentSpec, ...]
    pades_level: PadesLevel
    business_type: str
    business_id: str
    callback_url: str
    return_url: str = ""


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def check_spec(raw: str | bytes, file_count: int) -> TaskSpec:
    """Parse the `spec` field; every file must have placements, every placement a seal type."""
    try:
        spec = json.loads(raw)
    except (TypeError, ValueError):
        raise SpecInvalid(_("spec 不是有效的 JSON。"))
    if not isinstance(spec, dict):
        raise SpecInvalid(_("spec 须为 JSON 对象。"))
    signer: dict[str, Any] = spec["signer"] if isinstance(spec.get("signer"), dict) else {}
    confirmer: dict[str, Any] = spec["confirmer"] if isinstance(spec.get("confirmer"), dict) else {}
    serial = _text(signer.get("certificate_serial"), 64).lower().removeprefix("0x")
    if not serial:
        raise SpecInvalid(_("缺少签章证书序列号 signer.certificate_serial。"))
    phone = _text(confirmer.get("phone"), 20)
    if not phone:
        raise SpecInvalid(_("缺少确认人手机号 confirmer.phone。"))
    try:
        level = PadesLevel(spec.get("pades_level") or "B-T")
    except ValueError:
        raise SpecInvalid(_("pades_level 须为 B-B、B-T、B-LT 或 B-LTA。"))
    documents = _document_specs(spec.get("documents"), file_count)
    callback = _text(spec.get("callback_url"), 500)
    if callback and not callback.startswith(("http://", "https://")):
        raise SpecInvalid(_("callback_url 须为 http(s) 地址。"))
    back = spec.get("return_url") or ""
    if not isinstance(back, str) or len(back) > 500:
        raise SpecInvalid(_("return_url 须为不超过 500 个字符的 http(s) 地址。"))
    return TaskSpec(
        serial=serial,
        confirmer_phone=phone,
        documents=documents,
        pades_level=level,
        business_type=_text(spec.get("business_type"), 64),
        business_id=_text(spec.get("business_id"), 128),
        callback_url=callback,
        return_url=back,
    )


def _document_specs(raw: Any, file_count: int) -> tuple[DocumentSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise SpecInvalid(_("spec.documents 须为非空数组，每个文件一项。"))
    seen: set[int] = set()
    documents: list[DocumentSpec] = []
    for item in raw:
        if not isinstance(item, dict):
            raise SpecInvalid(_("spec.documents 的每一项须为对象。"))
        index = item.get("file", len(documents))
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < file_count or index in seen:
            raise SpecInvalid(_("documents[].file 须为上传文件的序号（从 0 开始），且不能重复。"))
        placements = item.get("placements")
        if not isinstance(placements, list) or not placements or not all(isinstance(p, dict) for p in placements):
            raise SpecInvalid(_("每个文件至少需要一个签章位置 placements。"))
        for placement in placements:
            if placement.get("seal_type") not in SealType.values:
                raise SpecInvalid(
                    _("未知的印章类型 seal_type，可选：%(types)s。") % {"types": ", ".join(SealType.values)}
                )
        seen.add(index)
        documents.append(DocumentSpec(index, tuple(placements)))
    if len(seen) != file_count:
        raise SpecInvalid(_("每个上传的文件都须在 spec.documents 中给出签章位置。"))
    return tuple(sorted(documents, key=lambda d: d.file))


# --- the way back to the platform (the confirm page's 返回交易平台) ----------------------------------


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL without credentials, spaces or backslashes
    (what browsers might read differently from us); None for anything else."""
    if not url or any(ch.isspace() or ch == "\\" or not ch.isprintable() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{parts.hostname}" + (f":{port}" if port not in (None, default) else "")


def platform_origins(platform: TradingPlatform) -> list[str]:
    """The origins an operator registered for the platform: its OpenID issuer and callback URL."""
    origins = (_origin(url) for url in (platform.oidc_issuer, platform.callback_url))
    return list(dict.fromkeys(origin for origin in origins if origin))


def check_return_url(url: str, platform: TradingPlatform) -> str:
    """A task's return_url: an http(s) address on one of the platform's registered origins (no
    open redirect through our confirm page)."""
    if url and _origin(url) not in platform_origins(platform):
        raise SpecInvalid(
            _("return_url 须为本交易平台登记地址（%(origins)s）下的 http(s) 地址。")
            % {"origins": "、".join(platform_origins(platform)) or "--"}
        )
    return url


def return_url(task: SignTask) -> str:
    """Where the confirm page sends the signer back: the task's return_url while it is still on
    the platform's registered origins, else the platform's home (its first registered origin);
    "" for self-service tasks and platforms without a registered address."""
    if task.platform is None:
        return ""
    origins = platform_origins(task.platform)
    wanted = task.spec.get("return_url") if isinstance(task.spec, dict) else None
    if isinstance(wanted, str) and wanted and _origin(wanted) in origins:
        return wanted
    return f"{origins[0]}/" if origins else ""


def check_files(files: Sequence[UploadedFile]) -> None:
    if not files:
        raise SpecInvalid(_("请上传至少一个 PDF 文件（字段 files）。"))
    if len(files) > settings.SIGN_MAX_FILES:
        raise SpecInvalid(_("一次最多签署 %(n)d 个文件。") % {"n": settings.SIGN_MAX_FILES})
    for file in files:
        if file.size > settings.SIGN_MAX_FILE_BYTES:
            raise DomainError(_("文件“%(name)s”过大。") % {"name": file.name}, code="pdf_too_large", status=413)


def find_certificate(
    serial: str, platform: TradingPlatform, phone: str
) -> tuple[Certificate, CertificateAuthorization]:
    """The certificate `serial` and its authorisation to `platform` for `phone` now (one query);
    the same refusal otherwise (a platform learns nothing about certificates not authorised to it)."""
    authorization = authorization_by_serial(serial, platform, phone)
    return authorization.certificate, authorization


def seal_for_placement(certificate: Certificate, seal_type: str) -> tuple[Seal, SealImage]:
    """The holder's active seal of `seal_type` bound to `certificate` (one query when it is);
    otherwise seal_stamp and is_bound say why not."""
    seal = _unique(
        Seal.objects.filter(
            owner_id=certificate.holder_id, kind=seal_type, state=SealState.ACTIVE, bindings__certificate=certificate
        )
    )
    if seal is None:
        seal, _stamp = seal_stamp(certificate.holder, seal_type)
        if not is_bound(seal, certificate):
            raise SealNotBound(_("%(type)s未绑定到该证书。") % {"type": seal.get_kind_display()})
    stamp = stamp_of(seal)
    return seal, SealImage(stamp.png, stamp.width_mm, stamp.height_mm)


def placements_for(certificate: Certificate, specs: Sequence[dict[str, Any]]) -> tuple[list[Placement], list[Seal]]:
    placements, seals = [], []
    for spec in specs:
        seal, image = seal_for_placement(certificate, spec["seal_type"])
        try:
            placements.append(Placement.from_spec(spec, image))
        except DomainError as exc:
            raise localised(exc)
        seals.append(seal)
    return placements, seals


@dataclass(frozen=True)
class Overlay:
    """Where a seal lands, on the displayed page, in fractions of the page (for previews)."""

    page: int  # 1-based
    left: float
    top: float
    width: float
    height: float
    seal_type: str
    seal_box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # the picture in the box: WidgetArt.seal_box
    cross_page: bool = False  # a slice of a 骑缝章


def plan_document(
    data: bytes | BinaryIO, placements: Sequence[Placement], seal_types: Sequence[str]
) -> tuple[int, list[Overlay]]:
    """Resolve the placements against the PDF without signing (pages, keywords, off-page seals):
    (page count, overlays). The upload is read in a parser process under the parsing budget
    (inkseal.signing.budget); raises the core's errors, in the user's language."""
    try:
        plan = budget.run(inspection.plan, pdf_source(data), list(placements), settings.SIGN_MAX_PAGES)
    except DomainError as exc:
        raise localised(exc)
    overlays = [
        Overlay(
            seal.page,
            seal.left,
            seal.top,
            seal.width,
            seal.height,
            seal_types[seal.placement],
            seal.seal_box,
            seal.cross_page,
        )
        for seal in plan.seals
    ]
    return plan.pages, overlays


def page_png(document: SignDocument, page: int) -> bytes:
    """The confirm page's preview of a page of `document`, rendered under the parsing budget."""
    try:
        return budget.run(inspection.page_png, pdf_source(document.original), page)
    except DomainError as exc:
        raise localised(exc)


def record_budget_exceeded(exc: PdfTooComplex, actor: Actor, ip: str, entry: str, **context: str) -> None:
    """A PDF that ran past the parsing budget is a likely attack: audited (who, from where, which
    limit, `context` such as the task), in a transaction of its own (the refusal changes nothing)."""
    with transaction.atomic():
        record("pdf.budget_exceeded", actor=actor, ip=ip, target=entry, data={**exc.details, **context})


def pdf_source(data: bytes | BinaryIO | FieldFile) -> inspection.Source:
    """What a parser process reads: the file's path when it is on disk (a spooled upload, a
    stored original), its bytes otherwise."""
    path = getattr(data, "temporary_file_path", None)
    if callable(path):
        return str(path())
    if isinstance(data, FieldFile):
        try:
            return str(data.path)
        except NotImplementedError:  # storage without local files
            with data.open("rb") as handle:
                return bytes(handle.read())
    if isinstance(data, bytes):
        return data
    data.seek(0)
    return data.read()


# --- creating a task ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_purpose(public_id: str) -> str:
    return f"sign-task:{public_id}:token"


def confirm_token(task: SignTask) -> str:
    return decrypt(task.token_enc, _token_purpose(task.public_id))


def confirm_url(task: SignTask) -> str:
    return f"{settings.PUBLIC_BASE_URL}/sign/confirm/{confirm_token(task)}"


def platform_actor(platform: TradingPlatform) -> Actor:
    return Actor("platform", platform.code, platform.name)


def do_create_sign_task(
    platform: TradingPlatform,
    files: Sequence[UploadedFile],
    spec_json: str | bytes,
    *,
    idempotency_key: str = "",
    ip: str = "",
) -> tuple[SignTask, bool]:
    """A pending task and whether it was created now (False: the same Idempotency-Key and the same
    request before; the key with a different request is refused, IdempotencyKeyReused)."""
    key = idempotency_key.strip()[:128]
    check_files(files)
    digests = [upload.sha256() for upload in files]  # once: the fingerprint and the documents use them
    fingerprint = request_fingerprint(digests, spec_json)
    if key:
        existing = _unique(SignTask.objects.filter(platform=platform, idempotency_key=key))
        if existing is not None:
            return _same_request(existing, fingerprint), False
    spec = check_spec(spec_json, len(files))
    check_return_url(spec.return_url, platform)
    certificate, authorization = find_certificate(spec.serial, platform, spec.confirmer_phone)
    try:
        check_can_sign(certificate, timezone.now())
    except DomainError as exc:
        raise Conflict(str(exc.message), code=exc.code)
    prepared = []
    for doc in spec.documents:
        upload = files[doc.file]
        placements, _seals = placements_for(certificate, doc.placements)
        try:
            pages, overlays = plan_document(upload.stream(), placements, [p["seal_type"] for p in doc.placements])
        except PdfTooComplex as exc:
            record_budget_exceeded(exc, platform_actor(platform), ip, "sign_task.create")
            raise
        prepared.append((upload, doc, pages, overlays))
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
                token_hash=_token_hash(token),
                token_enc=encrypt(token, _token_purpose(public_id)),
                token_expires_at=timezone.now() + timedelta(seconds=settings.SIGN_CONFIRM_TTL_SECONDS),
            )
            task.documents_in_order = []
            for number, (upload, doc, pages, overlays) in enumerate(prepared, start=1):
                document = SignDocument(
                    task=task,
                    number=number,
                    name=_safe_name(upload.name),
                    placements={"specs": list(doc.placements), "overlays": [o.__dict__ for o in overlays]},
                    pages=pages,
                    sha256_before=digests[doc.file],
                )
                document.original.save(f"{public_id}-{number}.pdf", upload.content(), save=False)
                document.save()
                task.documents_in_order.append(document)
            record(
                "sign_task.create",
                actor=platform_actor(platform),
                ip=ip,
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


def _safe_name(name: str) -> str:
    name = (name or "document.pdf").replace("\\", "/").rsplit("/", 1)[-1].strip() or "document.pdf"
    return "".join(ch for ch in name if ch.isprintable())[:200]


def task_of_platform(platform: TradingPlatform, public_id: str) -> SignTask:
    """The platform's own task; 404 for any other, existing or not."""
    task = _unique(SignTask.objects.filter(platform=platform, public_id=str(public_id)))
    if task is None:
        raise NotFound(_("签章任务不存在。"))
    return task


def document_of_platform(platform: TradingPlatform, public_id: str, number: int) -> SignDocument:
    """The signed document `number` of the platform's own task (one query); 404 for any other."""
    document = _unique(
        SignDocument.objects.filter(task__platform=platform, task__public_id=str(public_id), number=number)
    )
    if document is None:
        task_of_platform(platform, public_id)  # which 404: the task or the document
        raise NotFound(_("文件不存在。"))
    return _signed(document)


def signed_document(task: SignTask, number: int) -> SignDocument:
    document = _unique(task.documents.filter(number=number))
    if document is None:
        raise NotFound(_("文件不存在。"))
    return _signed(document)


def _signed(document: SignDocument) -> SignDocument:
    """The document if its signed file is there to download; why not otherwise."""
    if document.status != TaskStatus.COMPLETED or not document.signed:
        if document.purged_at is not None:
            raise DomainError(_("签署文件已超过保存期限并已删除。"), code="document_purged", status=410)
        raise TaskNotReady(_("文件尚未签署完成。"))
    return document


# --- confirming ------------------------------------------------------------------------------------


def task_for_token(token: str, *, for_update: bool = False, with_certificate: bool = False) -> SignTask:
    """The task a confirm link names, still waiting for its confirmation (`with_certificate`: its
    certificate read in the same query, for the signing that follows)."""
    rows = SignTask.objects.select_related("platform", *(["certificate__renewed_by"] if with_certificate else []))
    if for_update:
        rows = rows.select_for_update(of=("self",), no_key=True)
    task = _unique(rows.filter(token_hash=_token_hash(str(token))))
    if task is None:
        raise NotFound(_("签章确认链接无效。"))
    if task.confirmed_at is None and is_expired(task):
        raise ConfirmTokenExpired(_("签章确认链接已过期，请交易平台重新发起签章。"))
    if task.confirmed_at is not None or task.status != TaskStatus.PENDING:
        raise ConfirmTokenUsed(_("该签章任务已确认过，链接不能重复使用。"))
    return task


def is_expired(task: SignTask, now: datetime | None = None) -> bool:
    """Never confirmed and its confirm link expired (marked so by expire_sign_tasks, or not yet)."""
    if task.status == TaskStatus.EXPIRED:
        return True
    return task.status == TaskStatus.PENDING and task.token_expires_at <= (now or timezone.now())


def shown_status(task: SignTask, now: datetime | None = None) -> str:
    """The task's status as the platform sees it: "expired" as soon as the link expired."""
    return TaskStatus.EXPIRED.value if is_expired(task, now) else str(task.status)


def task_by_token(token: str) -> SignTask:
    """The task a confirm link names, whatever its state (for the progress display)."""
    task = _unique(SignTask.objects.filter(token_hash=_token_hash(str(token))))
    if task is None:
        raise NotFound(_("签章确认链接无效。"))
    return task


def do_send_confirm_code(token: str, *, ip: str = "") -> str:
    """Send the SMS code to the authorised person; returns the masked phone."""
    task = task_for_token(token)
    send_code(
        task.confirmer_phone,
        sms_purpose(task),
        ip,
        context=f"您正在{task.platform.name}签署{task.business_type or '文件'}（{_document_count(task)}份）。"
        if task.platform is not None
        else f"您正在自助签署文件（{_document_count(task)}份）。",
    )
    return task.confirmer_phone[:3] + "****" + task.confirmer_phone[-4:]


def _document_count(task: SignTask) -> int:
    """One document per spec entry (check_spec, self-service); counted when a spec lacks them."""
    documents = task.spec.get("documents") if isinstance(task.spec, dict) else None
    return len(documents) if isinstance(documents, list) and documents else task.documents.count()


def confirm_intent(task: SignTask, method: str, secret: str, *, ip: str, token: str) -> None:
    """Check the SMS code or PIN and claim the task for signing: the code is consumed in the same
    transaction as the claim. Wrong codes and PINs count (committed before the refusal)."""
    if method == IntentMethod.SMS:
        verify_code(
            task.confirmer_phone, sms_purpose(task), secret, and_then=lambda: _claim(task, IntentMethod.SMS, ip, token)
        )
    elif method == IntentMethod.PIN:
        from inkseal.accounts.services import RequestContext

        actor = Actor("person", task.confirmer_phone, task.confirmer_name)
        verify_pin(task.certificate, secret, actor=actor, scope=pin_scope(task), ctx=RequestContext(ip=ip))
        with transaction.atomic():
            _claim(task, IntentMethod.PIN, ip, token)
    else:
        raise SpecInvalid(_("method 须为 sms 或 pin。"))


def pin_scope(task: SignTask) -> PinScope:
    """Wrong PINs count and lock per task and per platform (self-service: the portal)."""
    if task.platform is None:
        return PinScope.portal(task.public_id)
    return PinScope(task=str(task.public_id), platform=str(task.platform_id), label=task.platform.name)


def _claim(task: SignTask, intent: IntentMethod, ip: str, token: str) -> None:
    """Inside the caller's transaction: mark the pending task confirmed and signing."""
    now = timezone.now()
    # claimed by a conditional UPDATE (it takes the row lock): a second confirmation waits,
    # then finds the task no longer pending and is refused with the reason
    lease = uuid.uuid4().hex
    claimed = SignTask.objects.filter(
        pk=task.pk, status=TaskStatus.PENDING, confirmed_at__isnull=True, token_expires_at__gt=now
    ).update(
        confirmed_at=now, intent_method=intent, confirm_ip=ip, status=TaskStatus.SIGNING, lease=lease, heartbeat_at=now
    )
    if not claimed:
        task_for_token(token)  # raises: used or expired
        raise ConfirmTokenUsed(_("该签章任务已确认过，链接不能重复使用。"))
    task.confirmed_at, task.intent_method, task.confirm_ip = now, intent, ip
    task.status, task.lease, task.heartbeat_at = TaskStatus.SIGNING, lease, now
    record(
        "sign_task.confirm",
        actor=Actor("person", task.confirmer_phone, task.confirmer_name),
        ip=ip,
        target=f"sign_task:{task.public_id}",
        data={"method": intent.value},
    )


def do_confirm_sign_task(token: str, method: str, secret: str, *, ip: str = "") -> SignTask:
    """Confirm with an SMS code or the PIN, then sign every document of the task."""
    task = task_for_token(token, with_certificate=True)
    confirm_intent(task, method, str(secret or ""), ip=ip, token=token)
    return sign_task_documents(task)


def sign_task_documents(task: SignTask) -> SignTask:
    """Sign the task's pending documents in order, one transaction each (the last one's also
    completes the task), renewing the task's heartbeat before each. A refusal (DomainError) fails
    its document and the rest unsigned; an unexpected error fails only its document (logged with
    the traceback, `signing_internal_error` to the user and the platform) and the batch goes on.
    Whatever happens, the task ends completed or failed with its callback queued; if this process
    dies instead, the recovery job (recover_stalled_task) finishes it."""
    documents = task.documents_in_order
    try:
        for number, document in enumerate(documents, start=1):
            if document.status != TaskStatus.PENDING:
                continue  # signed or failed before a resumption
            _renew_heartbeat(task)
            if task.failure_code and task.failure_code != SigningInternalError.code:
                _fail_document(task, document, None)  # an earlier document was refused
                continue
            try:
                # the first document signs with the certificate as the confirmation read it (the
                # commit checks it again), the others read it afresh
                certificate = task.certificate if number == 1 and SignTask.certificate.is_cached(task) else None
                last = all(other.status == TaskStatus.COMPLETED for other in documents if other is not document)
                sign_document(task, document, complete_task=last, certificate=certificate)
            except DomainError as exc:
                _fail_document(task, document, localised(exc))
            except TaskTakenOver:
                raise
            except Exception:
                log.exception("signing document %d of task %s failed", document.number, task.public_id)
                _fail_document(task, document, SigningInternalError(_("签章时发生内部错误，本文件未签署。")))
        _finish(task)
    except TaskTakenOver:
        log.warning("sign task %s was taken over by the recovery job; this worker stops", task.public_id)
    return task


def _renew_heartbeat(task: SignTask) -> None:
    """A sign of life before each document; TaskTakenOver when the task is no longer this worker's."""
    now = timezone.now()
    if not SignTask.objects.filter(pk=task.pk, status=TaskStatus.SIGNING, lease=task.lease).update(heartbeat_at=now):
        raise TaskTakenOver(task.public_id)
    task.heartbeat_at = now


def _lock_task(task: SignTask) -> None:
    """Inside a transaction, first of its locks: the task row, still signing and held by this
    worker (its lease), else TaskTakenOver (nothing of this transaction may be stored)."""
    held = (
        SignTask.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk=task.pk, status=TaskStatus.SIGNING, lease=task.lease)
        .values_list("failure_code", "failure_reason")
        .first()
    )
    if held is None:
        raise TaskTakenOver(task.public_id)
    task.failure_code, task.failure_reason = held


def _finish(task: SignTask) -> None:
    """Complete (or fail, with the first document's reason) a task whose documents are all done,
    unless the last document's transaction did already."""
    with transaction.atomic():
        if not SignTask.objects.filter(pk=task.pk, status=TaskStatus.SIGNING, lease=task.lease).exists():
            task.refresh_from_db(fields=["status", "completed_at", "failure_code", "failure_reason"])
            return
        _lock_task(task)
        _complete_task(task, None)


def _complete_task(task: SignTask, failure: DomainError | None) -> None:
    """Mark the task completed (or failed: `failure`, or the first document's failure kept on the
    task), audit it and queue the platform's callback; inside the caller's transaction."""
    from inkseal.signing.tasks import enqueue_callback

    if failure is not None and not task.failure_code:
        task.failure_code, task.failure_reason = failure.code, str(failure.message)[:500]
    task.status = TaskStatus.FAILED if task.failure_code else TaskStatus.COMPLETED
    task.completed_at = timezone.now()
    task.lease = ""
    task.save(update_fields=["status", "completed_at", "failure_code", "failure_reason", "lease"])
    record(
        "sign_task.complete" if task.status == TaskStatus.COMPLETED else "sign_task.fail",
        actor=Actor.system(),
        target=f"sign_task:{task.public_id}",
        data={"status": task.status, "reason": task.failure_code},
    )
    enqueue_callback(task)


# --- recovery and expiry (run by the periodic job runner, inkseal.signing.tasks) ---------------------


def stalled_sign_tasks(now: datetime) -> QuerySet[SignTask]:
    """Tasks "signing" with no heartbeat for SIGN_HEARTBEAT_TIMEOUT_SECONDS: their worker died."""
    cutoff = now - timedelta(seconds=settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS)
    return SignTask.objects.filter(status=TaskStatus.SIGNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, confirmed_at__lt=cutoff)
    )


def recover_stalled_task(task_id: int, now: datetime | None = None) -> SignTask | None:
    """Take over a stalled task (a new lease: a worker presumed dead that wakes up commits
    nothing more) and resume its pending documents while its intent confirmation is still
    provable; fail them otherwise (`signing_interrupted`). None when the task is not stalled (any
    more). Either way the task ends with its callback queued."""
    now = now or timezone.now()
    with transaction.atomic():
        task = _unique(
            stalled_sign_tasks(now)
            .select_for_update(of=("self",), no_key=True)
            .select_related("platform", "certificate__renewed_by")
            .filter(pk=task_id)
        )
        if task is None:
            return None
        task.lease, task.heartbeat_at, task.recoveries = uuid.uuid4().hex, now, task.recoveries + 1
        task.save(update_fields=["lease", "heartbeat_at", "recoveries"])
        # once the takeover commits, no earlier run's file can be committed: delete the ones stored uncommitted
        transaction.on_commit(partial(discard_uncommitted_signed_files, task.pk))
        why_not = _why_not_resumable(task, now)
        record(
            "sign_task.resume" if why_not is None else "sign_task.interrupt",
            actor=Actor.system(),
            target=f"sign_task:{task.public_id}",
            data={"recoveries": task.recoveries, "reason": why_not or ""},
        )
        if why_not is not None:
            failure = SigningInterrupted(_("签章过程中断，且已无法确认签署意愿，请交易平台重新发起签章。"))
            for document in task.documents_in_order:
                if document.status == TaskStatus.PENDING:
                    _fail_document(task, document, failure)
            _complete_task(task, failure)
            return task
    log.warning("resuming sign task %s (recovery %d)", task.public_id, task.recoveries)
    return sign_task_documents(task)


def _why_not_resumable(task: SignTask, now: datetime) -> str | None:
    """None while the signer's confirmation still covers signing: recorded (the task's
    confirmation and its audit entry in the hash-chained log), recent enough, and the task not
    already resumed too often (a document that kills every worker must not loop)."""
    from inkseal.audit.models import AuditEntry

    if task.confirmed_at is None or not task.intent_method:
        return "not_confirmed"
    if not AuditEntry.objects.filter(event="sign_task.confirm", target=f"sign_task:{task.public_id}").exists():
        return "confirmation_not_audited"
    if now - task.confirmed_at > timedelta(seconds=settings.SIGN_RESUME_MAX_AGE_SECONDS):
        return "confirmation_too_old"
    if task.recoveries > settings.SIGN_RECOVERY_MAX_ATTEMPTS:
        return "too_many_recoveries"
    return None


def expire_sign_tasks(now: datetime | None = None, limit: int = 500) -> int:
    """Mark pending tasks whose confirm link expired "expired" (documents too), audited, with the
    platform's callback; returns how many."""
    from inkseal.signing.tasks import enqueue_callback

    now = now or timezone.now()
    due = SignTask.objects.filter(status=TaskStatus.PENDING, confirmed_at__isnull=True, token_expires_at__lte=now)
    count = 0
    for task in due.order_by("token_expires_at")[:limit]:
        with transaction.atomic():
            if not SignTask.objects.filter(pk=task.pk, status=TaskStatus.PENDING, confirmed_at__isnull=True).update(
                status=TaskStatus.EXPIRED, completed_at=now
            ):
                continue  # confirmed meanwhile
            task.status, task.completed_at = TaskStatus.EXPIRED, now
            task.documents.filter(status=TaskStatus.PENDING).update(status=TaskStatus.EXPIRED)
            record("sign_task.expire", actor=Actor.system(), target=f"sign_task:{task.public_id}")
            enqueue_callback(task)
        count += 1
    return count


# --- signing one document ---------------------------------------------------------------------------

_signers: dict[tuple[int, str, str, str], SealSigner] = {}
_signers_lock = threading.Lock()


def seal_signer(certificate: Certificate | int, at: datetime) -> SealSigner:
    """Lock the certificate row and check it can sign at `at` (lock_for_signing), then the cached
    signer for it."""
    return cached_seal_signer(lock_for_signing(certificate, at))


def cached_seal_signer(locked: Certificate) -> SealSigner:
    """The signer of a certificate `lock_for_signing` returned: the CMS template, key handle and
    chain are built once per certificate and process (the key is not unwrapped per signature)."""
    cache_key = (locked.pk, locked.fingerprint, locked.key_backend, locked.key_id)
    with _signers_lock:
        signer = _signers.get(cache_key)
    if signer is None:
        key = signing_key(locked)
        with _signers_lock:
            signer = _signers.setdefault(cache_key, SealSigner(key.signer, key.certificate_der, key.chain))
    return signer


def validation_context(certificate: Certificate) -> ValidationContext:
    """For B-LT: the roots of the signer's and the TSA's chains, the CRLs of the CAs on them and
    our OCSP responder's answers for the signer and the TSA (the DSS carries them, and nothing
    else: pki.longterm), no fetching over the network."""
    data = long_term_data(certificate)
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der) for der in data.trust_roots],
        other_certs=[asn1_x509.Certificate.load(der) for der in data.ca_certificates],
        crls=list(data.crls),
        ocsps=[asn1_ocsp.OCSPResponse.load(der) for der in data.ocsp_responses],
        allow_fetching=False,
        revocation_mode="hard-fail",
        signature_validator=SIGNATURE_VALIDATOR,  # SM2 chains and CRLs
    )


def _seal_labels(seals: Sequence[Seal]) -> str:
    labels: list[str] = []
    for seal in seals:
        label = str(seal.get_kind_display())
        if label not in labels:
            labels.append(label)
    return "、".join(labels)


def sign_document(
    task: SignTask, document: SignDocument, *, complete_task: bool = False, certificate: Certificate | None = None
) -> SignDocument:
    """Sign one document and commit it in one transaction that checks, at its commit, everything
    the signature depends on: certificate locked and valid, authorisation valid, seals locked,
    active and bound, intent confirmed; the record, SES signature, seal usages and audit row in
    the same transaction (and, with `complete_task`, the task's completion). On any refusal
    nothing is stored."""
    if task.confirmed_at is None or not task.intent_method:
        raise IntentMissing(_("尚未完成意愿认证（短信验证码或 PIN 码）。"))
    event_id = uuid.uuid4().hex
    try:
        # signed from the stored file into memory, or for large ones into a spooled file (memory
        # does not grow with the document); pyHanko writes in small pieces, which a BytesIO takes
        # faster than the spooled file's wrapper (about 900 writes for a one-page document)
        small = document.original.size <= _SPOOL_BYTES // 2
        spooled = io.BytesIO() if small else tempfile.SpooledTemporaryFile(_SPOOL_BYTES)
        with document.original.open("rb") as source, spooled as output:
            signed = _sign(task, document, cast(BinaryIO, source), cast(BinaryIO, output), event_id, certificate)
            return _commit(task, document, signed, complete_task=complete_task)
    except BaseException:
        if document.signed:
            document.signed.delete(save=False)  # the row rolled back: no half-signed file stays
        raise


@dataclass(frozen=True)
class _Signed:
    """A document signed and its file stored, not yet committed (no row points at the file)."""

    event_id: str
    at: datetime
    seals: list[Seal]
    ses: tuple[RecordSignature, ...]  # one per seal (SM2 only)


def _sign(
    task: SignTask,
    document: SignDocument,
    source: BinaryIO,
    output: BinaryIO,
    event_id: str,
    certificate: Certificate | None = None,
) -> _Signed:
    """Check and sign outside any write transaction: the certificate lock and the database's
    writer are held only for the commit (a few milliseconds), not for the signature."""
    now = timezone.now()
    if certificate is None:
        certificate = certificate_for_signing(task.certificate_id, now)
    else:
        check_can_sign(certificate, now)
    signer = cached_seal_signer(certificate)
    placements, seals = placements_for(certificate, document.placements["specs"])
    level = PadesLevel(task.pades_level)
    sm2 = certificate.algorithm == SM2.name
    if level.needs_timestamper or sm2:
        # signatures (keyword "all" may add), pyHanko's size estimate, B-LTA, an SES signature per seal
        reserve_serials(len(placements) * 4 + len(seals) + 5)
    # SM2 signatures (and their SES_Signatures) get the SM2 TSA under root-sm2, the others tsa-ecdsa
    stamper = (
        platform_timestamper(tsa_family_for(get_algorithm(certificate.algorithm).family))
        if level.needs_timestamper or sm2
        else None
    )
    try:
        sign_pdf(
            source,
            output=output,
            signer=signer,
            placements=placements,
            pades_level=level,
            timestamper=stamper if level.needs_timestamper else None,
            validation_context=validation_context(certificate) if level.needs_revocation_info else None,
            reason=task.business_type or None,
            signing_time=now,
            max_pages=settings.SIGN_MAX_PAGES,
            budget=budget.settings_budget(),
        )
    except OSError as exc:
        raise DomainError(_("时间戳服务暂不可用，请稍后重试。"), code="timestamp_failed", status=503, detail=str(exc))
    ses_signatures: tuple[RecordSignature, ...] = ()
    if sm2:  # GB/T 38540 signatures of the signed PDF for the record, one per seal
        ses_signatures = make_record_signatures(
            event_id,
            _rewound(output).read(),
            certificate=certificate,
            seals=seals,
            at=now,
            signer_key=signer.key,
            timestamper=platform_ses_timestamper(stamper.respond if stamper else None),
        )
    document.sha256_after = _sha256_of(_rewound(output))
    document.signed.save(f"{task.public_id}-{document.number}-signed.pdf", File(_rewound(output)), save=False)
    return _Signed(event_id, now, seals, ses_signatures)


def _commit(task: SignTask, document: SignDocument, signed: _Signed, *, complete_task: bool) -> SignDocument:
    with transaction.atomic():
        _lock_task(task)  # still this worker's task (the recovery job may have taken it over)
        at = timezone.now()
        # every check again at this instant, under the locks a revocation, a withdrawn
        # authorisation or a voided seal must wait for: what changed since the signature refuses it
        certificate = lock_for_signing(task.certificate_id, at)
        # a revocation committed before this point refuses the signature whatever its instant
        # (revocation_instant is a whole second after the revocation's clock reading)
        check_unrevoked(certificate)
        if task.platform is not None:  # self-service: the holder signs their own document, no authorisation
            active_authorization(certificate, task.platform, task.confirmer_phone, at)
        lock_seals_for_signing(signed.seals, certificate)
        document.status = TaskStatus.COMPLETED
        document.error = ""
        document.save(update_fields=["signed", "status", "sha256_after", "error"])
        signing_record = _record(
            task, document, certificate, signed.seals, signed.event_id, signed.at, SigningRecord.Result.SUCCESS
        )
        keep_record_signatures(signing_record, signed.ses)
        record_seal_usages(
            signed.seals,
            event_id=signed.event_id,
            document_name=document.name,
            platform_name=task.platform_name,
            certificate_serial=certificate.serial,
            at=signed.at,
        )
        record(
            "signing.sign",
            actor=Actor("person", task.confirmer_phone, task.confirmer_name),
            ip=task.confirm_ip,
            target=f"sign_task:{task.public_id}",
            data={
                "event_id": signed.event_id,
                "document": document.number,
                "serial": certificate.serial,
                "sha256_before": document.sha256_before,
                "sha256_after": document.sha256_after,
                "method": task.intent_method,
            },
        )
        if complete_task:
            _complete_task(task, None)
    return document


def _rewound(stream: BinaryIO) -> BinaryIO:
    stream.seek(0)
    return stream


def _record(
    task: SignTask,
    document: SignDocument,
    certificate: Certificate,
    seals: Sequence[Seal],
    event_id: str,
    at: datetime,
    result: str,
    reason: str = "",
) -> SigningRecord:
    return SigningRecord.objects.create(
        event_id=event_id,
        holder_id=certificate.holder_id,
        task=task,
        document=document,
        platform_name=task.platform_name,
        business_type=task.business_type,
        user_name=task.confirmer_name,
        medium=certificate.get_medium_display(),
        certificate_serial=certificate.serial,
        seal_types=_seal_labels(seals)
        or "、".join(str(SealType(p["seal_type"]).label) for p in document.placements["specs"]),
        file_name=document.name,
        at=at,
        sha256_before=document.sha256_before,
        sha256_after=document.sha256_after if result == SigningRecord.Result.SUCCESS else "",
        intent_method=task.intent_method,
        ip=task.confirm_ip,
        result=result,
        reason=reason[:500],
        pades_level=task.pades_level,
    )


def _fail_document(task: SignTask, document: SignDocument, error: DomainError | None) -> None:
    """Fail one document: with `error`, a failure 应用记录 and, for the first failure of the task, its
    reason kept on the task; without, unsigned because an earlier document was refused."""
    with transaction.atomic():
        _lock_task(task)
        document.status = TaskStatus.FAILED
        document.error = str(error.message)[:500] if error else str(_("前一个文件签章失败，本文件未签署。"))
        document.sha256_after = ""  # of a signature made and discarded
        document.save(update_fields=["status", "error", "sha256_after"])
        if error is None:
            return
        if not task.failure_code:
            task.failure_code, task.failure_reason = error.code, str(error.message)[:500]
            task.save(update_fields=["failure_code", "failure_reason"])
        certificate = Certificate.objects.select_related("holder").get(pk=task.certificate_id)
        _record(
            task,
            document,
            certificate,
            [],
            uuid.uuid4().hex,
            timezone.now(),
            SigningRecord.Result.FAILURE,
            f"{error.code}: {error.message}",
        )


# --- application records (应用记录) ---------------------------------------------------------------


def records_of(party: Party, search: str = "") -> QuerySet[SigningRecord]:
    rows = SigningRecord.objects.filter(holder=party)
    text = search.strip()
    if text:
        rows = rows.filter(
            Q(event_id__icontains=text)
            | Q(platform_name__icontains=text)
            | Q(business_type__icontains=text)
            | Q(user_name__icontains=text)
            | Q(certificate_serial__icontains=text)
            | Q(seal_types__icontains=text)
            | Q(file_name__icontains=text)
        )
    return rows.order_by("-at", "-pk")


def record_for(party: Party, event_id: str) -> SigningRecord:
    found = SigningRecord.objects.filter(holder=party, event_id=str(event_id)).first()
    if found is None:
        raise NotFound(_("应用记录不存在。"))
    return found


# --- retention -------------------------------------------------------------------------------------


def purge_signed_documents(now: datetime | None = None) -> int:
    """Delete the files of tasks finished more than SIGNED_RETENTION_DAYS ago (and of pending
    tasks whose confirm link expired that long ago); records stay. Returns documents purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SIGNED_RETENTION_DAYS)
    due = SignDocument.objects.filter(purged_at__isnull=True).filter(
        Q(task__completed_at__lt=cutoff) | Q(task__completed_at__isnull=True, task__token_expires_at__lt=cutoff)
    )
    count = 0
    for document in due.iterator():
        for field in (document.original, document.signed):
            if field:
                field.delete(save=False)
        document.purged_at = now
        document.save(update_fields=["original", "signed", "purged_at"])
        count += 1
    return count
