"""The evidence report (签署报告) of a sign task, a document or an 应用记录: gather the evidence
from the database and the transparency log into a plain dict, typeset it (`report_pdf`, pure),
sign it (`report_signing`) and log the issue (a `evidence.report` leaf, an audit entry and an
`EvidenceReport` row, in one transaction).

Who may ask is decided by the callers' access gates (the portal's `record_for`, the API's task
lookup by platform, the back office's staff check); this module trusts the subject it is given.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.audit import events
from inkseal.audit.services import record as audit
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.core.masking import mask_id_number, mask_name, mask_phone
from inkseal.evidence import services
from inkseal.evidence.models import EvidenceReport, LogCheckpoint, LogLeaf
from inkseal.evidence.report_pdf import FORMAT, build_report_pdf
from inkseal.evidence.report_signing import sign_report
from inkseal.pki.authorities import chain_of
from inkseal.pki.models import Certificate
from inkseal.signing.models import IntentMethod, SignDocument, SigningRecord, SignTask


class ReportUnavailable(DomainError):
    code = "evidence_report_unavailable"
    status = 409
    default_message = gettext_lazy("该对象没有可出具报告的应用记录。")


class RecordNotLogged(DomainError):
    code = "evidence_record_not_logged"
    status = 409
    default_message = gettext_lazy("该应用记录早于存证日志，没有日志叶子，无法出具签署报告。")


@dataclass(frozen=True)
class Subject:
    kind: str  # task, document, record
    id: str
    records: tuple[SigningRecord, ...]


def subject_of_task(task: SignTask) -> Subject:
    return Subject("task", task.public_id, _records(SigningRecord.objects.filter(task=task)))


def subject_of_document(document: SignDocument) -> Subject:
    return Subject("document", f"{document.task.public_id}/{document.number}", _records(document.records.all()))


def subject_of_record(record: SigningRecord) -> Subject:
    return Subject("record", record.event_id, (record,))


def _records(rows: Any) -> tuple[SigningRecord, ...]:
    return tuple(
        rows.select_related("task__platform", "task__certificate__issuer", "document", "holder").order_by("at", "pk")
    )


@dataclass(frozen=True)
class IssuedReport:
    report_id: str
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"signing-report-{self.report_id}.pdf"


LANGUAGES = ("zh-hans", "en")


def issue_report(subject: Subject, *, acting: Acting, language: str = "zh-hans") -> IssuedReport:
    """Make, sign and log a report on `subject` in `language` (zh-hans or en)."""
    if not subject.records:
        raise ReportUnavailable()
    language = language if language in LANGUAGES else "zh-hans"
    leaves = [_leaf_of(row) for row in subject.records]
    checkpoint = _checkpoint_covering(leaves)
    report_id = secrets.token_hex(8)
    with translation.override(language):
        evidence = evidence_of(subject, leaves, checkpoint, report_id=report_id, language=language)
        pdf = build_report_pdf(evidence, translate=_)
    signed = sign_report(pdf)
    digest = hashlib.sha256(signed.pdf).hexdigest()
    with transaction.atomic():
        leaf = services.log_event(
            "evidence.report",
            {
                "report_id": report_id,
                "subject": {"kind": subject.kind, "id": subject.id},
                "records": [row.event_id for row in subject.records],
                "sha256": digest,
                "checkpoint_size": checkpoint.size,
                "signers": [row.fingerprint for row in signed.signers],
                "requested_by": acting.actor.kind,
            },
        )
        EvidenceReport.objects.create(
            report_id=report_id,
            subject_kind=subject.kind,
            subject_id=subject.id,
            requested_by=f"{acting.actor.kind}:{acting.actor.id}"[:128],
            language=language,
            sha256=digest,
            checkpoint_size=checkpoint.size,
            leaf=leaf,
        )
        audit(
            events.EVIDENCE_REPORT_ISSUE,
            **acting.audit(),
            target=f"{subject.kind}:{subject.id}",
            data={"report_id": report_id, "sha256": digest, "checkpoint_size": checkpoint.size},
        )
    return IssuedReport(report_id, signed.pdf)


def _leaf_of(row: SigningRecord) -> LogLeaf:
    leaf = LogLeaf.objects.filter(kind="signing.record", subject=row.event_id).order_by("id").first()
    if leaf is None:
        raise RecordNotLogged()
    return leaf


def _checkpoint_covering(leaves: Sequence[LogLeaf]) -> LogCheckpoint:
    """The latest checkpoint if it covers every leaf, else a new one (issued on demand)."""
    latest = LogCheckpoint.objects.order_by("-size").first()
    if latest is not None and all(leaf.index is not None and leaf.index < latest.size for leaf in leaves):
        return latest
    return services.issue_checkpoint()


# --- the evidence dict -----------------------------------------------------------------------------


def evidence_of(
    subject: Subject, leaves: Sequence[LogLeaf], checkpoint: LogCheckpoint, *, report_id: str, language: str
) -> dict[str, Any]:
    """Everything the report states, as JSON-ready values (strings, integers, lists, dicts): the
    pages are typeset from it and it is embedded as the machine-readable evidence."""
    first = subject.records[0]
    return {
        "format": FORMAT,
        "report": {
            "id": report_id,
            "issued_at": _iso(timezone.now()),
            "issuer": _issuer_name(),
            "language": language,
            "subject": {"kind": subject.kind, "id": subject.id},
            "subject_label": {"task": _("签章任务"), "document": _("签章文件"), "record": _("应用记录")}[subject.kind],
        },
        "log": {
            "origin": services.log_origin(),
            "hash": "sha256",
            "verifier_keys": [v.text() for v in services.verifiers()],
            "checkpoint": {
                "size": checkpoint.size,
                "root_hash": checkpoint.root_hash,
                "note": checkpoint.note,
                "timestamp_token": base64.b64encode(bytes(checkpoint.tsa_token)).decode(),
                "stamped_at": _iso(checkpoint.stamped_at),
            },
        },
        "parties": _parties(first),
        "authorisation": _authorisation(first),
        "records": [_record(row, leaf, checkpoint) for row, leaf in zip(subject.records, leaves, strict=True)],
    }


def _issuer_name() -> str:
    from django.conf import settings

    return str(settings.PKI_ORGANIZATION)


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def _parties(row: SigningRecord) -> list[dict[str, Any]]:
    """The certificate's holder (person or enterprise) and the person who confirmed the signing."""
    from inkseal.accounts.models import Person

    parties = [_holder(row)]
    task = row.task
    confirmer = Person.objects.filter(phone=task.confirmer_phone).first() if task is not None else None
    holder_person = getattr(row.holder, "person", None)
    if task is not None and (confirmer is None or holder_person is None or confirmer.pk != holder_person.pk):
        parties.append(
            {
                "role": "confirmer",
                "role_label": _("签署操作人（被授权人）"),
                "kind_label": _("个人"),
                "name": mask_name(task.confirmer_name),
                "verification": _person_verification(confirmer)
                if confirmer
                else {"phone_masked": mask_phone(task.confirmer_phone)},
            }
        )
    return parties


def _holder(row: SigningRecord) -> dict[str, Any]:
    person = getattr(row.holder, "person", None)
    if person is not None:
        return {
            "role": "holder",
            "role_label": _("签署方（证书持有人）"),
            "kind_label": _("个人"),
            "name": mask_name(person.name),
            "verification": _person_verification(person),
        }
    enterprise = row.holder.enterprise
    from inkseal.identity.models import AttemptState, VerificationAttempt

    attempt = (
        VerificationAttempt.objects.filter(enterprise=enterprise, state=AttemptState.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    return {
        "role": "holder",
        "role_label": _("签署方（证书持有人）"),
        "kind_label": _("企业"),
        "name": enterprise.name,
        "verification": {
            "state_label": str(enterprise.get_state_display()),
            "method_label": str(attempt.get_method_display()) if attempt else None,
            "verified_at": _iso(attempt.finished_at) if attempt else None,
            "id_number_masked": (enterprise.uscc[:4] + "*" * 10 + enterprise.uscc[-4:]) if enterprise.uscc else None,
            "legal_representative": mask_name(enterprise.legal_rep_name),
        },
    }


def _person_verification(person: Any) -> dict[str, Any]:
    from inkseal.identity.models import PERSONAL_METHODS, AttemptState, VerificationAttempt

    attempt = (
        VerificationAttempt.objects.filter(
            person=person, enterprise__isnull=True, state=AttemptState.SUCCEEDED, method__in=PERSONAL_METHODS
        )
        .order_by("-finished_at", "-pk")
        .first()
    )
    return {
        "state_label": str(person.get_verification_state_display()),
        "method_label": str(attempt.get_method_display()) if attempt else None,
        "verified_at": _iso(person.verified_at),
        "id_number_masked": person.id_number_masked or (mask_id_number(attempt.id_number_masked) if attempt else None),
        "phone_masked": mask_phone(person.phone),
    }


def _authorisation(row: SigningRecord) -> dict[str, Any]:
    task = row.task
    if task is None:
        return {"note": _("签章任务已删除，授权信息不可得。")}
    base = {"platform": row.platform_label, "business_type": task.business_type, "business_id": task.business_id}
    if task.is_self_service:
        return {**base, "note": _("证书持有人在门户中自助签署，无需授权。")}
    from inkseal.platforms.models import CertificateAuthorization

    grant = (
        CertificateAuthorization.objects.filter(
            certificate=task.certificate, platform=task.platform, grantee_phone=task.confirmer_phone
        )
        .order_by("-valid_from")
        .first()
    )
    if grant is None:
        return {**base, "note": _("未找到该平台对该证书的授权记录。")}
    return {
        **base,
        "grantee": mask_name(grant.grantee_name),
        "grantee_phone": mask_phone(grant.grantee_phone),
        "valid": f"{_iso(grant.valid_from)} — {_iso(grant.valid_until)}",
        "revoked_at": _iso(grant.revoked_at),
        "note": _("证书持有人授权该交易平台上的被授权人使用此证书签章。"),
    }


def _record(row: SigningRecord, leaf: LogLeaf, checkpoint: LogCheckpoint) -> dict[str, Any]:
    proof = services.inclusion_proof(leaf.leaf_hash, checkpoint.size)
    task = row.task
    certificate = _certificate_of(row)
    sms = row.intent_method == IntentMethod.SMS
    return {
        "event_id": row.event_id,
        "file_name": row.file_name,
        "platform": row.platform_label,
        "business_type": row.business_type,
        "at": _iso(row.at),
        "result": row.result,
        "result_label": str(row.get_result_display()),
        "reason": row.reason,
        "pades_level": row.pades_level,
        "document": {"sha256_before": row.sha256_before, "sha256_after": row.sha256_after},
        "intent": {
            "method": row.intent_method,
            "method_label": str(row.get_intent_method_display()),
            "phone_masked": mask_phone(task.confirmer_phone) if sms and task is not None else None,
            "confirmed_at": _iso(task.confirmed_at) if task is not None else None,
        },
        "certificate": _certificate(certificate),
        "seals": _seals(row),
        "signatures": _signatures(row, certificate),
        "timestamp_note": _("PAdES B-T 及以上级别的签名含平台时间戳服务签发的时间戳（见已签署文件）。"),
        "log": {
            "index": proof.leaf.index,
            "leaf_hash": leaf.leaf_hash,
            "body": leaf.body,
            "tree_size": proof.size,
            "proof": [h.hex() for h in proof.hashes],
        },
    }


def _certificate_of(row: SigningRecord) -> Certificate | None:
    if row.task is not None and row.task.certificate.serial == row.certificate_serial:
        return row.task.certificate
    return Certificate.objects.filter(serial=row.certificate_serial, holder=row.holder).select_related("issuer").first()


def _certificate(certificate: Certificate | None) -> dict[str, Any]:
    if certificate is None:
        return {}
    parsed = asn1_x509.Certificate.load(bytes(certificate.der))
    chain = chain_of(certificate.issuer) if certificate.issuer is not None else []
    return {
        "subject": parsed.subject.human_friendly,
        "serial": certificate.serial,
        "issuer": parsed.issuer.human_friendly,
        "algorithm": certificate.algorithm,
        "sha256": certificate.fingerprint,
        "not_before": _iso(certificate.not_before),
        "not_after": _iso(certificate.not_after),
        "pem": _pem(bytes(certificate.der)),
        "chain_pem": [_pem(bytes(ca.certificate_der)) for ca in chain],
        "chain_subjects": [parsed.subject.native.get("common_name", "")]
        + [asn1_x509.Certificate.load(bytes(ca.certificate_der)).subject.native.get("common_name", "") for ca in chain],
    }


def _pem(der: bytes) -> str:
    return pem.armor("CERTIFICATE", der).decode("ascii")


def _seals(row: SigningRecord) -> list[dict[str, Any]]:
    from inkseal.seals.models import SealUsage

    out = []
    for usage in SealUsage.objects.filter(event_id=row.event_id).select_related("seal").order_by("pk"):
        seal = usage.seal
        image = b""
        try:
            with seal.image.open("rb") as handle:
                image = handle.read()
        except (OSError, ValueError):  # the picture's file is gone: its hash is still evidence
            image = b""
        out.append(
            {
                "id": seal.pk,
                "kind_label": str(seal.get_kind_display()),
                "name": mask_name(seal.name) if seal.kind in ("name_square", "name_strip", "personal") else seal.name,
                "image_sha256": seal.image_sha256,
                "image_png": base64.b64encode(image).decode() if image else None,
            }
        )
    return out


def _signatures(row: SigningRecord, certificate: Certificate | None) -> list[dict[str, Any]]:
    """Each signature in the signed file as our verifier reads it (time stamp, level); [] when the
    file was purged or the record failed."""
    document = row.document
    if document is None or not document.signed or document.purged_at is not None:
        return []
    from inkseal.signing.verification.services import verify_document

    with document.signed.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != row.sha256_after:
        return []  # a later signing of the same document: this record's file is not it
    from inkseal.signing.verification.ofd import OfdVerification

    try:
        checked = verify_document(data)
    except DomainError:  # past the verifier's size or parsing budget: the report says less, not nothing
        return []
    if isinstance(checked, OfdVerification):  # an OFD's seals: SES signatures inside the package
        return [
            {
                "field": s.report.id,
                "signer": s.signer_name,
                "timestamp_time": _iso(s.report.timestamp_time) if s.report.timestamp_time else None,
                "tsa": None,
                "level": f"{s.report.standard} v{s.report.version}" if s.report.version else s.report.standard,
                "valid": s.valid,
            }
            for s in checked.signatures
        ]
    return [
        {
            "field": s.report.field_name,
            "signer": s.report.certificate.subject if s.report.certificate else None,
            "timestamp_time": _iso(s.report.timestamp.time) if s.report.timestamp else None,
            "tsa": s.report.timestamp.tsa if s.report.timestamp else None,
            "level": s.report.level,
            "valid": s.valid,
        }
        for s in checked.signatures
    ]
