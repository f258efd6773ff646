"""Signing a claimed task's documents: each signed with no lock held, then committed in one short
transaction with its 应用记录, seal usages, SES signature and audit row."""

from __future__ import annotations

import io
import logging
import tempfile
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit.services import Actor, appended_at_commit, record
from inkseal.core.errors import DomainError
from inkseal.evidence import events
from inkseal.evidence.services import log_event
from inkseal.pki.algorithms import SM2, get_algorithm
from inkseal.pki.authorities import tsa_family_for
from inkseal.pki.models import Certificate
from inkseal.pki.services import (
    certificate_for_signing,
    check_can_sign,
    check_unrevoked,
    lock_for_signing,
)
from inkseal.platforms.services import active_authorization
from inkseal.seals.errors import SealNotBound
from inkseal.seals.models import Seal, SealType
from inkseal.seals.services import lock_seals_for_signing, record_seal_usages
from inkseal.seals.ses_services import electronic_seals_for_signing
from inkseal.signing.core.errors import TimestampFailed
from inkseal.signing.core.ofd.anchors import stamp_placements
from inkseal.signing.core.ofd.model import document as ofd_document
from inkseal.signing.core.ofd.package import open_package
from inkseal.signing.core.ofd.sign import seal_ofd
from inkseal.signing.core.pdf import PadesLevel, sign_pdf
from inkseal.signing.core.placement import Placement
from inkseal.signing.models import SignDocument, SigningRecord, SignTask, TaskStatus
from inkseal.signing.parsing import budget
from inkseal.signing.records.ses import (
    RecordSignature,
    keep_record_signatures,
    make_record_signatures,
    platform_ses_timestamper,
)
from inkseal.signing.states import SIGN_DOCUMENT, SIGN_TASK
from inkseal.signing.tasks import formats
from inkseal.signing.tasks.approvals import check_document_approved
from inkseal.signing.tasks.errors import IntentMissing, SigningInternalError, TaskTakenOver
from inkseal.signing.tasks.planning import check_ofd_signer, placements_for
from inkseal.signing.tasks.signers import cached_seal_signer, validation_context
from inkseal.signing.tasks.spec import sha256_of
from inkseal.signing.tasks.timestamper import platform_timestamper, reserve_serials

log = logging.getLogger(__name__)


HEARTBEAT_FRESH_SECONDS = 5.0  # well under SIGN_HEARTBEAT_TIMEOUT_SECONDS (300 by default)
_SPOOL_BYTES = 4 * 1024 * 1024  # documents up to this size are signed in memory, larger ones in a temporary file


# A sign flow's signer signs through a task of its own (its spec names the flow): the flow sets
# the document to sign to its current version and serialises the signatures applied to it, in a
# guard entered around the signing of each document (inkseal.signing.flows.progress).
def _guarded(task: SignTask, document: SignDocument) -> AbstractContextManager[object]:
    if isinstance(task.spec, dict) and task.spec.get("flow"):
        from inkseal.signing.flows.progress import current_version

        return current_version(task, document)
    return nullcontext()


def sign_task_documents(task: SignTask) -> SignTask:
    """Sign the task's pending documents in order, one transaction each (the last one's also
    completes the task), renewing the task's heartbeat before each. A refusal (DomainError) fails
    its document and the rest unsigned; an unexpected error fails only its document (logged with
    the traceback, `signing_internal_error` to the user and the platform) and the batch goes on.
    Whatever happens, the task ends completed or failed with its callback queued; if this process
    dies instead, the recovery job (recover_stalled_task) finishes it."""
    documents = task.documents_in_order
    closed = False  # the last document's transaction completed the task (committed)
    seals: dict[str, Any] = {}  # the task's seals, read once for all its documents
    try:
        for document in documents:
            if document.status != TaskStatus.PENDING:
                continue  # signed or failed before a resumption
            _renew_heartbeat(task)
            if task.failure_code and task.failure_code != SigningInternalError.code:
                fail_document(task, document, None)  # an earlier document was refused
                continue
            try:
                # each document signs with the certificate as last read: by the confirmation, or
                # under its lock by the previous document's commit (each commit checks it again)
                certificate = task.certificate if SignTask.certificate.is_cached(task) else None
                last = all(other.status == TaskStatus.COMPLETED for other in documents if other is not document)
                with _guarded(task, document):
                    sign_document(task, document, complete_task=last, certificate=certificate, seals=seals)
                closed = last
            except DomainError as exc:
                fail_document(task, document, exc.localised())
            except TaskTakenOver:
                raise
            except Exception:
                log.exception("signing document %d of task %s failed", document.number, task.public_id)
                fail_document(task, document, SigningInternalError(_("签章时发生内部错误，本文件未签署。")))
        if not closed:  # else its commit did (under the task lock), nothing is left to look at
            _finish(task)
    except TaskTakenOver:
        log.warning("sign task %s was taken over by the recovery job; this worker stops", task.public_id)
    return task


def _renew_heartbeat(task: SignTask) -> None:
    """A sign of life before each document; TaskTakenOver when the task is no longer this worker's.
    A heartbeat this worker wrote less than HEARTBEAT_FRESH_SECONDS ago (the claim's, or the
    previous document's) is left as it is: the recovery job waits SIGN_HEARTBEAT_TIMEOUT_SECONDS,
    and every document's commit checks the lease again under the task lock."""
    now = timezone.now()
    fresh = min(HEARTBEAT_FRESH_SECONDS, settings.SIGN_HEARTBEAT_TIMEOUT_SECONDS / 10)
    if task.heartbeat_at is not None and (now - task.heartbeat_at).total_seconds() < fresh:
        return
    if not SignTask.objects.filter(pk=task.pk, status=TaskStatus.SIGNING, lease=task.lease).update(heartbeat_at=now):
        raise TaskTakenOver(task.public_id)
    task.heartbeat_at = now


def _lock_task(task: SignTask) -> None:
    """Inside a transaction, first of its locks: the task row, still signing and held by this
    worker (its lease), else TaskTakenOver (nothing of this transaction may be stored)."""
    held = (
        SignTask.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk=task.pk, status=TaskStatus.SIGNING, lease=task.lease)
        .values_list("status", "failure_code", "failure_reason")
        .first()
    )
    if held is None:
        raise TaskTakenOver(task.public_id)
    # the row's state, not what a rolled-back transaction left on the object
    task.status, task.failure_code, task.failure_reason = held


def _finish(task: SignTask) -> None:
    """Complete (or fail, with the first document's reason) a task whose documents are all done,
    unless the last document's transaction did already."""
    with transaction.atomic():
        if not SignTask.objects.filter(pk=task.pk, status=TaskStatus.SIGNING, lease=task.lease).exists():
            task.refresh_from_db(fields=["status", "completed_at", "failure_code", "failure_reason"])
            return
        _lock_task(task)
        close_task(task, None)


def close_task(task: SignTask, failure: DomainError | None) -> None:
    """Mark the task completed (or failed: `failure`, or the first document's failure kept on the
    task), audit it and queue the platform's callback; inside the caller's transaction."""
    from inkseal.signing.callbacks.delivery import enqueue_callback

    if failure is not None and not task.failure_code:
        task.failure_code, task.failure_reason = failure.code, str(failure.message)[:500]
    task.completed_at = timezone.now()
    task.lease = ""
    SIGN_TASK.move(
        task,
        TaskStatus.FAILED if task.failure_code else TaskStatus.COMPLETED,
        audit=lambda event: record(
            event,
            actor=Actor.system(),
            target=f"sign_task:{task.public_id}",
            data={"status": task.status, "reason": task.failure_code},
        ),
    )
    task.save(update_fields=["status", "completed_at", "failure_code", "failure_reason", "lease"])
    enqueue_callback(task)


def _seal_labels(seals: Sequence[Seal]) -> str:
    labels: list[str] = []
    for seal in seals:
        label = str(seal.get_kind_display())
        if label not in labels:
            labels.append(label)
    return "、".join(labels)


def sign_document(
    task: SignTask,
    document: SignDocument,
    *,
    complete_task: bool = False,
    certificate: Certificate | None = None,
    seals: dict[str, Any] | None = None,
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
            signed = _sign(task, document, cast(BinaryIO, source), cast(BinaryIO, output), event_id, certificate, seals)
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
    seals: dict[str, Any] | None = None,
) -> _Signed:
    """Check and sign outside any write transaction: the certificate lock and the database's
    writer are held only for the commit (a few milliseconds), not for the signature."""
    now = timezone.now()
    if certificate is None:
        certificate = certificate_for_signing(task.certificate_id, now)
    else:
        check_can_sign(certificate, now)
    signer = cached_seal_signer(certificate)
    placements, used = placements_for(certificate, document.placements["specs"], seals)
    if formats.format_of(document) == formats.OFD:
        return _seal_ofd(task, document, source, output, event_id, certificate, placements, used, now)
    level = PadesLevel(task.pades_level)
    sm2 = certificate.algorithm == SM2.name
    if level.needs_timestamper or sm2:
        # signatures (keyword "all" may add), pyHanko's size estimate, B-LTA, an SES signature per seal
        reserve_serials(len(placements) * 4 + len(used) + 5)
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
        raise TimestampFailed(detail=str(exc))
    ses_signatures: tuple[RecordSignature, ...] = ()
    if sm2:  # GB/T 38540 signatures of the signed PDF for the record, one per seal
        ses_signatures = make_record_signatures(
            event_id,
            _rewound(output).read(),
            certificate=certificate,
            seals=used,
            at=now,
            signer_key=signer.key,
            timestamper=platform_ses_timestamper(stamper.respond if stamper else None),
        )
    document.sha256_after = sha256_of(_rewound(output))
    document.signed.save(f"{task.public_id}-{document.number}-signed.pdf", File(_rewound(output)), save=False)
    return _Signed(event_id, now, used, ses_signatures)


def _seal_ofd(
    task: SignTask,
    document: SignDocument,
    source: BinaryIO,
    output: BinaryIO,
    event_id: str,
    certificate: Certificate,
    placements: Sequence[Placement],
    seals: Sequence[Seal],
    now: datetime,
) -> _Signed:
    """An OFD document: one GB/T 38540 seal (Type="Seal") per placement, in order, each with the
    placement seal's electronic seal (SES_Seal) and time-stamped by the SM2 TSA (the ECDSA one
    when there is none); with the task's `ofd_protect_all`, the last one locks the document. Under
    the parsing budget's CPU and wall clock (the package was inspected when the task was created)."""
    check_ofd_signer(certificate)
    signer = cached_seal_signer(certificate)
    electronic = {e.seal_id: bytes(e.der) for e in electronic_seals_for_signing(certificate, seals)}
    missing = [seal for seal in seals if seal.pk not in electronic]
    if missing:
        raise SealNotBound(_("%(type)s没有可用于 OFD 签章的电子印章。") % {"type": missing[0].get_kind_display()})
    reserve_serials(2 * len(placements) + len(seals) + 2)  # a time stamp per seal, the record's SES signatures
    try:
        stamper = platform_timestamper(tsa_family_for(SM2.family))
    except OSError:
        stamper = platform_timestamper(tsa_family_for("ecdsa"))
    timestamper = platform_ses_timestamper(stamper.respond)
    protect_all = bool(isinstance(task.spec, dict) and task.spec.get("ofd_protect_all") is True)
    data = source.read()
    try:
        with budget.guarded(budget.settings_budget()):
            package = open_package(data)
            doc = ofd_document(package)
            for number, (placement, seal) in enumerate(zip(placements, seals, strict=True), start=1):
                data = seal_ofd(
                    package,
                    seal_der=electronic[seal.pk],
                    signer=signer,
                    placements=stamp_placements(package, doc, placement),
                    time=now,
                    timestamper=timestamper,
                    protect_all=protect_all and number == len(placements),
                )
                if number < len(placements):
                    package = open_package(data)
                    doc = ofd_document(package)
    except DomainError as exc:
        raise exc.localised()
    output.write(data)
    ses_signatures = make_record_signatures(
        event_id,
        data,
        certificate=certificate,
        seals=seals,
        at=now,
        signer_key=signer.key,
        timestamper=timestamper,
    )
    document.sha256_after = sha256_of(_rewound(output))
    name = f"{task.public_id}-{document.number}-signed.{formats.OFD}"
    document.signed.save(name, File(_rewound(output)), save=False)
    return _Signed(event_id, now, list(seals), ses_signatures)


def _commit(task: SignTask, document: SignDocument, signed: _Signed, *, complete_task: bool) -> SignDocument:
    with appended_at_commit():  # its audit entries (signed, and completed) in one write at the end
        _lock_task(task)  # still this worker's task (the recovery job may have taken it over)
        at = timezone.now()
        # every check again at this instant, under the locks a revocation, a withdrawn
        # authorisation or a voided seal must wait for: what changed since the signature refuses it
        certificate = lock_for_signing(task.certificate_id, at)
        task.certificate = certificate  # the next document of the task prepares with this reading
        # a revocation committed before this point refuses the signature whatever its instant
        # (revocation_instant is a whole second after the revocation's clock reading)
        check_unrevoked(certificate)
        if task.platform is not None:  # self-service: the holder signs their own document, no authorisation
            active_authorization(certificate, task.platform, task.confirmer_phone, at)
        lock_seals_for_signing(signed.seals, certificate)
        check_document_approved(task, document, signed.seals)  # 用印审批, at this instant
        SIGN_DOCUMENT.check(document, TaskStatus.COMPLETED)
        document.error = ""
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
        SIGN_DOCUMENT.move(
            document,
            TaskStatus.COMPLETED,
            audit=lambda event: record(
                event,
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
            ),
        )
        document.save(update_fields=["signed", "status", "sha256_after", "error"])
        if complete_task:
            close_task(task, None)
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
    record = SigningRecord.objects.create(
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
    log_event(*events.signing(record, certificate, seals))  # a transparency-log leaf, same transaction
    return record


def fail_document(task: SignTask, document: SignDocument, error: DomainError | None) -> None:
    """Fail one document: with `error`, a failure 应用记录 and, for the first failure of the task, its
    reason kept on the task; without, unsigned because an earlier document was refused."""
    with transaction.atomic():
        _lock_task(task)
        document.refresh_from_db(fields=["status"])  # a rolled-back commit may have moved the object
        SIGN_DOCUMENT.move(document, TaskStatus.FAILED)
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
