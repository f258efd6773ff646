"""`inkseal evidence verify` and the /verify/ page: the offline checks (`offline`, the same code as
tools/verify_evidence.py) with what only the platform knows pinned: its root CAs, its report
certificates and the log's keys, plus pyHanko's analysis of the report's signatures (trust,
revocation, changes after signing) through the platform's verifier."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

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
    for signature in verification.signatures:
        report = signature.report
        detail = f"{report.field_name}: {report.level or report.pades_level or '?'}, {signature.changes_text}"
        if not signature.valid:
            detail += " — " + "; ".join(signature.messages)
        result.add("pades_validation", signature.valid, detail)
