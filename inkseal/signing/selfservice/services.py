"""Self-service signing (自助签署) in the portal: the holder uploads a PDF, drags the seals bound to one
of their certificates onto the page previews, confirms with an SMS code to their own phone (or the
PIN) on the usual confirm page, and downloads the signed PDF.

A self-service task is a SignTask without a platform (交易平台 "自助签署"): no authorisation is
needed, every other check of the signing transaction applies. The upload waits as a draft (a file
in storage named in the session) until the seals are placed.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Duty
from inkseal.accounts.services import person_actor
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.crypto import encrypt
from inkseal.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from inkseal.pki.models import Certificate
from inkseal.pki.services import certificate_for, certificates_of, check_can_sign
from inkseal.seals.errors import SealNotBound
from inkseal.seals.models import Seal, SealState
from inkseal.seals.services import is_bound, seal_stamp
from inkseal.signing.core.errors import PdfMalformed, PdfTooComplex
from inkseal.signing.models import SignDocument, SigningRecord, SignTask
from inkseal.signing.parsing import budget, inspection
from inkseal.signing.tasks.confirm import token_hash, token_purpose
from inkseal.signing.tasks.errors import SpecInvalid
from inkseal.signing.tasks.planning import placements_for, plan_document, record_budget_exceeded
from inkseal.signing.tasks.spec import UploadedFile, check_files, safe_name

SESSION_KEY = "self_sign_drafts"
DRAFTS_DIR = "signing/self-drafts"
MAX_DRAFTS = 5
MAX_PLACEMENTS = 20


class SelfSignInvalid(DomainError):
    code = "self_sign_invalid"
    default_message = gettext_lazy("签署信息有误，请检查后重新提交。")


@dataclass(frozen=True)
class SealChoice:
    seal: Seal
    seal_type: str
    label: str
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class Draft:
    """An uploaded PDF waiting for its seals; lives in the uploader's session."""

    id: str
    identity: str
    person: int
    certificate: int
    name: str
    pages: int
    sizes: list[tuple[float, float]]  # points, displayed pages, the previewed ones only

    @property
    def path(self) -> str:
        return f"{DRAFTS_DIR}/{self.id}.pdf"


def check_self_service(identity: CurrentIdentity) -> None:
    """Signing with the enterprise's seals: its seal users (用印人, accounts.duties)."""
    if not identity.holds(Duty.SEAL_USER):
        raise PermissionDenied(_("只有企业的用印人可以使用企业证书自助签署。"))


def bound_seals(certificate: Certificate) -> list[SealChoice]:
    """The seals signing with `certificate` would show, one per type: active and bound."""
    choices: list[SealChoice] = []
    kinds = (
        certificate.seal_bindings.filter(seal__state=SealState.ACTIVE, seal__owner=certificate.holder)
        .values_list("seal__kind", flat=True)
        .distinct()
    )
    for kind in sorted(set(kinds)):
        try:
            seal, stamp = seal_stamp(certificate.holder, kind)
        except DomainError:
            continue
        if is_bound(seal, certificate):
            choices.append(SealChoice(seal, kind, str(seal.get_kind_display()), stamp.width_mm, stamp.height_mm))
    return choices


def usable_certificates(identity: CurrentIdentity) -> list[tuple[Certificate, list[SealChoice]]]:
    """The identity's cloud signing certificates valid now, each with its bound seals (none: left out)."""
    now = timezone.now()
    rows: QuerySet[Certificate] = certificates_of(identity).filter(
        usage=Certificate.Usage.SIGNING,
        medium=Certificate.Medium.CLOUD,
        revoked_at__isnull=True,
        not_before__lte=now,
        not_after__gte=now,
    )
    found = []
    for certificate in rows.order_by("-not_after", "-pk"):
        seals = bound_seals(certificate)
        if seals:
            found.append((certificate, seals))
    return found


def self_service_certificate(identity: CurrentIdentity, certificate_id: Any) -> Certificate:
    """The identity's certificate (404 for any other), usable now and with bound seals."""
    check_self_service(identity)
    certificate = certificate_for(identity, certificate_id)
    try:
        check_can_sign(certificate, timezone.now())
    except DomainError as exc:
        raise type(exc)(exc.message, status=Conflict.status, **exc.details)
    if not bound_seals(certificate):
        raise SealNotBound(_("该证书未绑定可用的印章，请先在印章管理中绑定。"))
    return certificate


@contextmanager
def audited_overrun(acting: Acting, entry: str) -> Iterator[None]:
    """A parse past the budget (PdfTooComplex) in the block is audited as on the API
    (`pdf.budget_exceeded`: who, from where, which limit, `entry`), then raised on."""
    try:
        yield
    except PdfTooComplex as exc:
        record_budget_exceeded(exc, acting, entry)
        raise


def check_pdf(upload: UploadedFile, *, acting: Acting | None = None) -> tuple[int, list[tuple[float, float]]]:
    """The same caps and checks as the API (size, pages, not a PDF, encrypted, damaged):
    (page count, displayed page sizes of the previewed pages). A run past the parsing budget is
    audited with `acting`."""
    assert isinstance(upload.data, bytes)  # the portal's upload form reads the file whole
    if not upload.data:
        raise SpecInvalid(_("请选择要签署的 PDF 文件。"))
    check_files([upload])
    try:
        with audited_overrun(acting or Acting.system(), "self_service.upload"):
            pages, sizes = budget.run(inspection.check_upload, upload.data, settings.SIGN_MAX_PAGES)
    except DomainError as exc:
        raise exc.localised()
    if not sizes:
        raise PdfMalformed()
    return pages, sizes


def _drafts(session: SessionBase) -> dict[str, dict[str, Any]]:
    drafts = session.get(SESSION_KEY)
    return drafts if isinstance(drafts, dict) else {}


def save_draft(
    session: SessionBase, identity: CurrentIdentity, certificate: Certificate, upload: UploadedFile, *, ip: str = ""
) -> Draft:
    """Check the PDF, keep it in storage and name it in the session (oldest drafts dropped)."""
    pages, sizes = check_pdf(upload, acting=Acting(person_actor(identity.person), ip, identity.key))
    draft = Draft(
        uuid.uuid4().hex, identity.key, identity.person.pk, certificate.pk, safe_name(upload.name), pages, sizes
    )
    default_storage.save(draft.path, ContentFile(upload.data))
    drafts = _drafts(session)
    while len(drafts) >= MAX_DRAFTS:
        oldest = next(iter(drafts))
        _delete_file(f"{DRAFTS_DIR}/{oldest}.pdf")
        drafts.pop(oldest)
    drafts[draft.id] = {
        "identity": draft.identity,
        "person": draft.person,
        "certificate": draft.certificate,
        "name": draft.name,
        "pages": draft.pages,
        "sizes": [list(size) for size in sizes],
    }
    session[SESSION_KEY] = drafts
    return draft


def draft_of(session: SessionBase, identity: CurrentIdentity, draft_id: str) -> Draft:
    """The session's draft for this identity; 404 for anything else."""
    raw = _drafts(session).get(str(draft_id))
    if raw is None or raw.get("identity") != identity.key or raw.get("person") != identity.person.pk:
        raise NotFound(_("上传的文件不存在或已过期，请重新上传。"))
    draft = Draft(
        str(draft_id),
        raw["identity"],
        raw["person"],
        raw["certificate"],
        raw["name"],
        raw["pages"],
        [(float(w), float(h)) for w, h in raw["sizes"]],
    )
    if not default_storage.exists(draft.path):
        raise NotFound(_("上传的文件不存在或已过期，请重新上传。"))
    return draft


def draft_png(draft: Draft, page: int, *, identity: CurrentIdentity | None = None, ip: str = "") -> bytes:
    """The preview of a page of the draft, rendered under the parsing budget (a run past it is
    audited with the identity's person and `ip`)."""
    acting = Acting(person_actor(identity.person), ip, identity.key) if identity is not None else Acting.system()
    try:
        with audited_overrun(acting, "self_service.preview"):
            return budget.run(inspection.page_png, _draft_source(draft), page)
    except DomainError as exc:
        raise exc.localised()


def _draft_source(draft: Draft) -> inspection.Source:
    try:
        return str(default_storage.path(draft.path))
    except NotImplementedError:  # storage without local files
        return draft_bytes(draft)


def draft_bytes(draft: Draft) -> bytes:
    with default_storage.open(draft.path, "rb") as handle:
        data: bytes = handle.read()
    return data


def _delete_file(path: str) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)


def check_placements(raw: Any, draft: Draft, seals: list[SealChoice]) -> list[dict[str, Any]]:
    """The dragged seals: [{seal_type, page, x, y}] with the centre in points on the displayed page."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw or "[]")
        except ValueError:
            raise SelfSignInvalid(_("签章位置数据有误，请重新拖放印章。"))
    if not isinstance(raw, list) or not raw:
        raise SelfSignInvalid(_("请至少将一枚印章拖放到页面上。"))
    if len(raw) > MAX_PLACEMENTS:
        raise SelfSignInvalid(_("一份文件最多放置 %(n)d 枚印章。") % {"n": MAX_PLACEMENTS})
    types = {choice.seal_type for choice in seals}
    placements = []
    for item in raw:
        if not isinstance(item, dict) or item.get("seal_type") not in types:
            raise SelfSignInvalid(_("只能使用该证书绑定的印章。"))
        page: Any = item.get("page")
        x: Any = item.get("x")
        y: Any = item.get("y")
        if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= len(draft.sizes):
            raise SelfSignInvalid(_("签章页码超出文件页数。"))
        if not (_number(x) and _number(y)):
            raise SelfSignInvalid(_("签章位置数据有误，请重新拖放印章。"))
        placements.append(
            {"seal_type": item["seal_type"], "page": page, "x": round(float(x), 2), "y": round(float(y), 2)}
        )
    return placements


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def do_create_self_sign_task(
    session: SessionBase, identity: CurrentIdentity, draft: Draft, placements_raw: Any, *, acting: Acting
) -> tuple[SignTask, str]:
    """A pending self-service task for the draft with the placed seals, confirmed by the current
    person (their own phone or the certificate's PIN): (task, confirm token). Nothing is created
    when anything is wrong (off-page seal, seal no longer bound, certificate revoked …)."""
    certificate = self_service_certificate(identity, draft.certificate)
    seals = bound_seals(certificate)
    specs = check_placements(placements_raw, draft, seals)
    data = draft_bytes(draft)
    placements, _seals = placements_for(certificate, specs)
    person = identity.person
    with audited_overrun(acting, "self_service.create"):
        pages, overlays = plan_document(data, placements, [p["seal_type"] for p in specs])
    public_id = uuid.uuid4().hex
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        task = SignTask.objects.create(
            public_id=public_id,
            platform=None,
            requested_by=person,
            certificate=certificate,
            confirmer_name=person.name or person.masked_phone,
            confirmer_phone=person.phone,
            spec={"self_service": True, "documents": [{"file": 0, "placements": specs}]},
            pades_level="B-T",
            token_hash=token_hash(token),
            token_enc=encrypt(token, token_purpose(public_id)),
            token_expires_at=timezone.now() + timedelta(seconds=settings.SIGN_CONFIRM_TTL_SECONDS),
        )
        document = SignDocument(
            task=task,
            number=1,
            name=draft.name,
            placements={"specs": specs, "overlays": [o.__dict__ for o in overlays]},
            pages=pages,
            sha256_before=hashlib.sha256(data).hexdigest(),
        )
        document.original.save(f"{public_id}-1.pdf", ContentFile(data), save=False)
        document.save()
        record(
            events.SIGN_TASK_CREATE_SELF_SERVICE,
            **acting.audit(),
            target=f"sign_task:{public_id}",
            data={"serial": certificate.serial, "document": draft.name, "seals": len(specs)},
        )
    drafts = _drafts(session)
    drafts.pop(draft.id, None)
    session[SESSION_KEY] = drafts
    _delete_file(draft.path)
    return task, token


def purge_abandoned_drafts(now: datetime | None = None) -> int:
    """Delete uploaded PDFs never turned into a task (the session holding them ended or was left)
    older than SIGN_DRAFT_RETENTION_HOURS; returns how many. Their session entries then read as
    expired (draft_of: 404, upload again)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.SIGN_DRAFT_RETENTION_HOURS)
    try:
        _dirs, names = default_storage.listdir(DRAFTS_DIR)
    except FileNotFoundError:  # nothing uploaded yet
        return 0
    count = 0
    for name in names:
        path = f"{DRAFTS_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                count += 1
        except FileNotFoundError:  # deleted meanwhile (signed or dropped by its session)
            continue
    return count


def task_of_identity(identity: CurrentIdentity, public_id: str) -> SignTask:
    """A self-service task the identity created (the same person acting as the same party); 404 otherwise."""
    task = (
        SignTask.objects.select_related("certificate")
        .filter(
            platform__isnull=True,
            public_id=str(public_id),
            requested_by=identity.person,
            certificate__holder=identity.party,
        )
        .first()
    )
    if task is None:
        raise NotFound(_("签章任务不存在。"))
    return task


@dataclass(frozen=True)
class SignedFile:
    """The signed file of a self-service record, as 应用详情 offers it to the one who signed it (the
    confirm link that first offered it is single-use)."""

    task: SignTask
    document: SignDocument
    kept_until: datetime  # purge_signed_documents deletes it at its first run after this

    @property
    def deleted_at(self) -> datetime | None:
        return self.document.purged_at

    @property
    def retention_days(self) -> int:
        return int(settings.SIGNED_RETENTION_DAYS)


def signed_file_for(identity: CurrentIdentity, row: SigningRecord) -> SignedFile | None:
    """The record's signed file when `identity` signed it by self-service (the gate of
    task_of_identity: the same person acting as the same party); None for anyone else, for
    platform tasks (the platform has the file) and for refusals."""
    if row.task_id is None or row.document_id is None or row.result != SigningRecord.Result.SUCCESS:
        return None
    try:
        task = task_of_identity(identity, row.task.public_id)  # type: ignore[union-attr]
    except NotFound:
        return None
    if task.completed_at is None:
        return None
    document = row.document
    assert document is not None
    return SignedFile(task, document, task.completed_at + timedelta(days=settings.SIGNED_RETENTION_DAYS))
