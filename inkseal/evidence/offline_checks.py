"""`inkseal evidence verify` and the /verify/ page: the offline checks (`offline`, the same code as
tools/verify_evidence.py) with what only the platform knows pinned: its root CAs, its report
certificates and the log's keys, plus pyHanko's analysis of the report's signatures (trust,
revocation, changes after signing) through the platform's verifier."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from inkseal.evidence import offline
from inkseal.evidence.models import ReportSigner
from inkseal.evidence.services import verifiers
from inkseal.pki.models import CertificateAuthority


def is_evidence_report(pdf: bytes) -> bool:
    """Whether `pdf` carries our evidence attachment (the /verify/ page then adds the report's checks)."""
    try:
        offline.embedded_evidence(pdf)
    except ValueError:
        return False
    return offline.EVIDENCE_FILE_NAME.encode() in pdf


def verify_report_here(
    pdf: bytes, *, document: bytes | None = None, checkpoints: Sequence[str] = (), deep: bool = True
) -> offline.Result:
    roots = CertificateAuthority.objects.filter(role=CertificateAuthority.Role.ROOT).values_list(
        "certificate_der", flat=True
    )
    result = offline.verify_report(
        pdf,
        document=document,
        log_keys=[v.text() for v in verifiers()],
        trust_roots=[bytes(der) for der in roots],
        checkpoints=checkpoints,
    )
    _check_report_signers(pdf, result)
    if deep:
        _check_with_pyhanko(pdf, result)
    return result


def _check_report_signers(pdf: bytes, result: offline.Result) -> None:
    """Every signature on a report must be by one of our report certificates: any other holder of
    a certificate from our CA could otherwise sign a made-up report."""
    ours = set(ReportSigner.objects.values_list("fingerprint", flat=True))
    try:
        signatures = offline.pdf_signatures(pdf)
    except (ValueError, offline.DerError):
        return  # already reported by the offline checks
    for number, signature in enumerate(signatures, start=1):
        checked = offline.check_cms(signature.cms, signature.signed_bytes(pdf))
        fingerprint = hashlib.sha256(checked.signer.der).hexdigest() if checked.signer else ""
        mine = fingerprint in ours
        result.add(
            "report_signer",
            mine,
            f"signature {number} is by the platform's report certificate"
            if mine
            else f"signature {number} is not by a report certificate of this platform (SHA-256 {fingerprint or '?'})",
        )


def _check_with_pyhanko(pdf: bytes, result: offline.Result) -> None:
    from inkseal.core.errors import DomainError
    from inkseal.signing.verification.services import verify_document

    try:
        verification = verify_document(pdf)
    except DomainError as exc:
        result.add("pades_validation", False, f"the report cannot be validated: {exc.message}")
        return
    from inkseal.signing.verification.ofd import OfdVerification

    if isinstance(verification, OfdVerification):  # a report is a PDF; an OFD package is not one
        result.add("pades_validation", False, "the report is not a PDF")
        return
    for signature in verification.signatures:
        report = signature.report
        detail = f"{report.field_name}: {report.level or report.pades_level or '?'}, {signature.changes_text}"
        if not signature.valid:
            detail += " — " + "; ".join(signature.messages)
        result.add("pades_validation", signature.valid, detail)


CHECK_LABELS: dict[str, Promise] = {
    "report_signature": _("报告签名"),
    "report_root": _("报告证书链"),
    "report_complete": _("签名覆盖范围"),
    "report_signer": _("报告签名证书"),
    "pades_validation": _("PAdES 验证"),
    "evidence_embedded": _("内嵌存证数据"),
    "evidence_signed": _("存证数据受签名保护"),
    "evidence_malformed": _("存证数据格式"),
    "checkpoint_signature": _("检查点签名"),
    "checkpoint_matches": _("检查点内容"),
    "leaf_hash": _("日志叶子哈希"),
    "leaf_matches_record": _("日志叶子与应用记录"),
    "inclusion_proof": _("包含证明"),
    "document_hash": _("签署文件哈希"),
    "fork": _("日志分叉"),
}


@dataclass(frozen=True)
class PageCheck:
    code: str
    label: str
    ok: bool | None
    detail: str


@dataclass(frozen=True)
class PageChecks:
    ok: bool
    checks: tuple[PageCheck, ...]
    report_id: str


def checks_for_page(result: offline.Result) -> PageChecks:
    """The checks with a title in the reader's language (the detail stays the verifier's own text)."""
    checks = tuple(PageCheck(c.code, str(CHECK_LABELS.get(c.code, c.code)), c.ok, c.detail) for c in result.checks)
    report_id = str((result.evidence or {}).get("report", {}).get("id", ""))
    return PageChecks(result.ok, checks, report_id)
