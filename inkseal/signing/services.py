"""Sign tasks: create (from a platform's API call), confirm (SMS code or PIN), sign every document
(one transaction each, with its 应用记录), records, retention.

check_* validate and raise DomainErrors in the user's language; do_* change state in one
transaction with the audit row inside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko_certvalidator import ValidationContext

from inkseal.accounts.models import Party
from inkseal.audit.services import Actor, record
from inkseal.core.crypto import decrypt, encrypt
from inkseal.core.errors import Conflict, DomainError, NotFound
from inkseal.notify.services import send_code, verify_code
from inkseal.pki.models import Certificate, CertificateAuthority
from inkseal.pki.pins import verify_pin
from inkseal.pki.services import check_can_sign, signing_key_for
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import NotAuthorized, active_authorization
from inkseal.seals.models import Seal, SealType
from inkseal.seals.services import is_bound, record_seal_usage, seal_stamp
from inkseal.signing.appearance import SealImage
from inkseal.signing.document import open_document
from inkseal.signing.errors_zh import localised
from inkseal.signing.models import IntentMethod, SignDocument, SigningRecord, SignTask, TaskStatus
from inkseal.signing.pdf import PadesLevel, _text_document, sign_pdf
from inkseal.signing.placement import Placement, Planner
from inkseal.signing.signer import SealSigner
from inkseal.signing.timestamper import platform_timestamper, reserve_serials

SMS_PURPOSE = "sign"


def sms_purpose(task: SignTask) -> str:
    """Codes are bound to one task: a code sent for one task never confirms another."""
    return f"{SMS_PURPOSE}:{task.pk}"


class SpecInvalid(DomainError):
    code = "spec_invalid"


class SealNotBound(DomainError):
    code = "seal_not_bound"
    status = 409


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


# --- the request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes


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
    return TaskSpec(
        serial=serial,
        confirmer_phone=phone,
        documents=documents,
        pades_level=level,
        business_type=_text(spec.get("business_type"), 64),
        business_id=_text(spec.get("business_id"), 128),
        callback_url=callback,
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


def check_files(files: Sequence[UploadedFile]) -> None:
    if not files:
        raise SpecInvalid(_("请上传至少一个 PDF 文件（字段 files）。"))
    if len(files) > settings.SIGN_MAX_FILES:
        raise SpecInvalid(_("一次最多签署 %(n)d 个文件。") % {"n": settings.SIGN_MAX_FILES})
    for file in files:
        if len(file.data) > settings.SIGN_MAX_FILE_BYTES:
            raise DomainError(_("文件“%(name)s”过大。") % {"name": file.name}, code="pdf_too_large", status=413)


def find_certificate(serial: str, platform: TradingPlatform, phone: str) -> Certificate:
    """The certificate `serial` if authorised to `platform` for `phone`; the same refusal otherwise
    (a platform learns nothing about certificates not authorised to it)."""
    certificate = Certificate.objects.select_related("holder").filter(serial=serial, issuer__isnull=False).first()
    if certificate is None:
        raise NotAuthorized(_("该证书未授权给本交易平台的这位被授权人，或授权已过期、已撤销。"))
    active_authorization(certificate, platform, phone)
    return certificate


def seal_for_placement(certificate: Certificate, seal_type: str) -> tuple[Seal, SealImage]:
    seal, stamp = seal_stamp(certificate.holder, seal_type)
    if not is_bound(seal, certificate):
        raise SealNotBound(_("%(type)s未绑定到该证书。") % {"type": seal.get_kind_display()})
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


def plan_document(data: bytes, placements: Sequence[Placement], seal_types: Sequence[str]) -> tuple[int, list[Overlay]]:
    """Resolve the placements against the PDF without signing (pages, keywords, off-page seals):
    (page count, overlays). Raises the core's errors, in the user's language."""
    try:
        document = open_document(io.BytesIO(data), password=None, max_pages=settings.SIGN_MAX_PAGES, repair=True)
        with _text_document(document) as open_text:
            planner = Planner(document.writer, open_text, None)
            overlays = []
            for placement, seal_type in zip(placements, seal_types, strict=True):
                for plan in planner.plan([placement]):
                    for widget in (plan.widget, *plan.stamps):
                        geometry = planner.geometry(widget.page)
                        x0, y0, x1, y1 = geometry.display_rect(widget.rect)
                        width, height = geometry.display_size
                        overlays.append(
                            Overlay(
                                widget.page + 1,
                                x0 / width,
                                1 - y1 / height,
                                (x1 - x0) / width,
                                (y1 - y0) / height,
                                seal_type,
                            )
                        )
            return document.pages, overlays
    except DomainError as exc:
        raise localised(exc)


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
    """A pending task and whether it was created now (False: the same Idempotency-Key before)."""
    key = idempotency_key.strip()[:128]
    if key:
        existing = SignTask.objects.filter(platform=platform, idempotency_key=key).first()
        if existing is not None:
            return existing, False
    check_files(files)
    spec = check_spec(spec_json, len(files))
    certificate = find_certificate(spec.serial, platform, spec.confirmer_phone)
    try:
        check_can_sign(certificate, timezone.now())
    except DomainError as exc:
        raise Conflict(str(exc.message), code=exc.code)
    authorization = active_authorization(certificate, platform, spec.confirmer_phone)
    prepared = []
    for doc in spec.documents:
        upload = files[doc.file]
        placements, _seals = placements_for(certificate, doc.placements)
        pages, overlays = plan_document(upload.data, placements, [p["seal_type"] for p in doc.placements])
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
                spec=json.loads(spec_json),
                pades_level=spec.pades_level.value,
                business_type=spec.business_type,
                business_id=spec.business_id,
                callback_url=spec.callback_url or platform.callback_url,
                token_hash=_token_hash(token),
                token_enc=encrypt(token, _token_purpose(public_id)),
                token_expires_at=timezone.now() + timedelta(seconds=settings.SIGN_CONFIRM_TTL_SECONDS),
            )
            for number, (upload, doc, pages, overlays) in enumerate(prepared, start=1):
                document = SignDocument(
                    task=task,
                    number=number,
                    name=_safe_name(upload.name),
                    placements={"specs": list(doc.placements), "overlays": [o.__dict__ for o in overlays]},
                    pages=pages,
                    sha256_before=hashlib.sha256(upload.data).hexdigest(),
                )
                document.original.save(f"{public_id}-{number}.pdf", ContentFile(upload.data), save=False)
                document.save()
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
        return existing, False
    return task, True


def _safe_name(name: str) -> str:
    name = (name or "document.pdf").replace("\\", "/").rsplit("/", 1)[-1].strip() or "document.pdf"
    return "".join(ch for ch in name if ch.isprintable())[:200]


def task_of_platform(platform: TradingPlatform, public_id: str) -> SignTask:
    """The platform's own task; 404 for any other, existing or not."""
    task = SignTask.objects.filter(platform=platform, public_id=str(public_id)).first()
    if task is None:
        raise NotFound(_("签章任务不存在。"))
    return task


def signed_document(task: SignTask, number: int) -> SignDocument:
    document = task.documents.filter(number=number).first()
    if document is None:
        raise NotFound(_("文件不存在。"))
    if document.status != TaskStatus.COMPLETED or not document.signed:
        if document.purged_at is not None:
            raise DomainError(_("签署文件已超过保存期限并已删除。"), code="document_purged", status=410)
        raise TaskNotReady(_("文件尚未签署完成。"))
    return document


# --- confirming ------------------------------------------------------------------------------------


def task_for_token(token: str, *, for_update: bool = False) -> SignTask:
    """The task a confirm link names, still waiting for its confirmation."""
    rows = SignTask.objects.select_related("platform", "certificate__holder")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    task = rows.filter(token_hash=_token_hash(str(token))).first()
    if task is None:
        raise NotFound(_("签章确认链接无效。"))
    if task.confirmed_at is not None or task.status != TaskStatus.PENDING:
        raise ConfirmTokenUsed(_("该签章任务已确认过，链接不能重复使用。"))
    if task.token_expires_at <= timezone.now():
        raise ConfirmTokenExpired(_("签章确认链接已过期，请交易平台重新发起签章。"))
    return task


def task_by_token(token: str) -> SignTask:
    """The task a confirm link names, whatever its state (for the progress display)."""
    task = SignTask.objects.filter(token_hash=_token_hash(str(token))).first()
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
        context=f"您正在{task.platform.name}签署{task.business_type or '文件'}（{task.documents.count()}份）。"
        if task.platform is not None
        else f"您正在自助签署文件（{task.documents.count()}份）。",
    )
    return task.confirmer_phone[:3] + "****" + task.confirmer_phone[-4:]


def check_intent(task: SignTask, method: str, secret: str, *, ip: str) -> IntentMethod:
    """SMS code or PIN; wrong ones count (committed before the refusal is raised)."""
    if method == IntentMethod.SMS:
        verify_code(task.confirmer_phone, sms_purpose(task), secret)
        return IntentMethod.SMS
    if method == IntentMethod.PIN:
        from inkseal.accounts.services import RequestContext

        actor = Actor("person", task.confirmer_phone, task.confirmer_name)
        verify_pin(task.certificate, secret, actor=actor, ctx=RequestContext(ip=ip))
        return IntentMethod.PIN
    raise SpecInvalid(_("method 须为 sms 或 pin。"))


def do_confirm_sign_task(token: str, method: str, secret: str, *, ip: str = "") -> SignTask:
    """Confirm with an SMS code or the PIN, then sign every document of the task."""
    task = task_for_token(token)
    intent = check_intent(task, method, str(secret or ""), ip=ip)
    with transaction.atomic():
        task = task_for_token(token, for_update=True)  # a second confirmation waits, then is refused
        task.confirmed_at = timezone.now()
        task.intent_method = intent
        task.confirm_ip = ip
        task.status = TaskStatus.SIGNING
        task.save(update_fields=["confirmed_at", "intent_method", "confirm_ip", "status"])
        record(
            "sign_task.confirm",
            actor=Actor("person", task.confirmer_phone, task.confirmer_name),
            ip=ip,
            target=f"sign_task:{task.public_id}",
            data={"method": intent.value},
        )
    return sign_task_documents(task)


def sign_task_documents(task: SignTask) -> SignTask:
    failure: DomainError | None = None
    for document in task.documents.order_by("number"):
        if failure is not None:
            _fail_document(task, document, failure, record_failure=False)
            continue
        try:
            sign_document(task, document)
        except DomainError as exc:
            failure = localised(exc)
            _fail_document(task, document, failure)
    from inkseal.signing.tasks import enqueue_callback

    with transaction.atomic():
        task.status = TaskStatus.FAILED if failure else TaskStatus.COMPLETED
        task.completed_at = timezone.now()
        if failure is not None:
            task.failure_code, task.failure_reason = failure.code, str(failure.message)[:500]
        task.save(update_fields=["status", "completed_at", "failure_code", "failure_reason"])
        record(
            "sign_task.complete" if failure is None else "sign_task.fail",
            actor=Actor.system(),
            target=f"sign_task:{task.public_id}",
            data={"status": task.status, "reason": task.failure_code},
        )
        enqueue_callback(task)
    return task


# --- signing one document ---------------------------------------------------------------------------

_signers: dict[tuple[int, str, str], SealSigner] = {}
_signers_lock = threading.Lock()


def seal_signer(certificate: Certificate, at: datetime) -> SealSigner:
    """Lock the certificate row and check it can sign at `at` (signing_key_for), then the cached
    signer for it: the CMS template and key handle are built once per certificate and process."""
    key = signing_key_for(certificate, at=at)
    cache_key = (certificate.pk, certificate.fingerprint, certificate.key_id)
    with _signers_lock:
        signer = _signers.get(cache_key)
        if signer is None:
            signer = SealSigner(key.signer, key.certificate_der, key.chain)
            _signers[cache_key] = signer
    return signer


def validation_context(certificate: Certificate) -> ValidationContext:
    """For B-LT: our roots and the CRLs we publish, no fetching over the network."""
    from asn1crypto import x509 as asn1_x509

    from inkseal.pki.services import certificate_chain

    chain = certificate_chain(certificate)
    crls = [bytes(der) for der in CertificateAuthority.objects.values_list("crl_der", flat=True) if der is not None]
    cas = [bytes(der) for der in CertificateAuthority.objects.values_list("certificate_der", flat=True)]
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(chain[-1])],
        other_certs=[asn1_x509.Certificate.load(der) for der in cas],
        crls=crls,
        allow_fetching=False,
        revocation_mode="hard-fail",
    )


def _seal_labels(seals: Sequence[Seal]) -> str:
    labels: list[str] = []
    for seal in seals:
        label = str(seal.get_kind_display())
        if label not in labels:
            labels.append(label)
    return "、".join(labels)


def sign_document(task: SignTask, document: SignDocument) -> SignDocument:
    """Sign one document in one transaction: certificate locked and valid now, authorisation
    valid, seals active and bound, intent confirmed; the record and seal usages in the same
    transaction. On any refusal nothing is stored."""
    if task.confirmed_at is None or not task.intent_method:
        raise IntentMissing(_("尚未完成意愿认证（短信验证码或 PIN 码）。"))
    with document.original.open("rb") as handle:
        data = handle.read()
    event_id = uuid.uuid4().hex
    try:
        return _sign_locked(task, document, data, event_id)
    except BaseException:
        if document.signed:
            document.signed.delete(save=False)  # the row rolled back: no half-signed file stays
        raise


def _sign_locked(task: SignTask, document: SignDocument, data: bytes, event_id: str) -> SignDocument:
    with transaction.atomic():
        now = timezone.now()
        certificate = Certificate.objects.select_related("holder").get(pk=task.certificate_id)
        signer = seal_signer(certificate, now)  # row lock + check_can_sign
        if task.platform is not None:  # self-service: the holder signs their own document, no authorisation
            active_authorization(certificate, task.platform, task.confirmer_phone, now)
        placements, seals = placements_for(certificate, document.placements["specs"])
        level = PadesLevel(task.pades_level)
        if level.needs_timestamper:
            reserve_serials(len(placements) * 4 + 4)  # signatures (keyword "all" may add), dummy, B-LTA
        try:
            signed = sign_pdf(
                data,
                signer=signer,
                placements=placements,
                pades_level=level,
                timestamper=platform_timestamper() if level.needs_timestamper else None,
                validation_context=validation_context(certificate) if level.needs_revocation_info else None,
                reason=task.business_type or None,
                signing_time=now,
                max_pages=settings.SIGN_MAX_PAGES,
            )
        except OSError as exc:
            raise DomainError(
                _("时间戳服务暂不可用，请稍后重试。"), code="timestamp_failed", status=503, detail=str(exc)
            )
        assert isinstance(signed, bytes)
        document.signed.save(f"{task.public_id}-{document.number}-signed.pdf", ContentFile(signed), save=False)
        document.status = TaskStatus.COMPLETED
        document.sha256_after = hashlib.sha256(signed).hexdigest()
        document.error = ""
        document.save(update_fields=["signed", "status", "sha256_after", "error"])
        _record(task, document, certificate, seals, event_id, now, SigningRecord.Result.SUCCESS)
        for seal in seals:
            record_seal_usage(
                seal,
                event_id=event_id,
                document_name=document.name,
                platform_name=task.platform_name,
                certificate_serial=certificate.serial,
                at=now,
            )
        record(
            "signing.sign",
            actor=Actor("person", task.confirmer_phone, task.confirmer_name),
            ip=task.confirm_ip,
            target=f"sign_task:{task.public_id}",
            data={
                "event_id": event_id,
                "document": document.number,
                "serial": certificate.serial,
                "sha256_before": document.sha256_before,
                "sha256_after": document.sha256_after,
                "method": task.intent_method,
            },
        )
    return document


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
        holder=certificate.holder,
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


def _fail_document(task: SignTask, document: SignDocument, error: DomainError, *, record_failure: bool = True) -> None:
    with transaction.atomic():
        document.status = TaskStatus.FAILED
        document.error = str(error.message)[:500] if record_failure else str(_("前一个文件签章失败，本文件未签署。"))
        document.save(update_fields=["status", "error"])
        if record_failure:
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
