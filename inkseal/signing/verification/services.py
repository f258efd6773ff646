"""验签 for the public page, the API and `inkseal verify`: the pure verifier (verify.py) with what
only the database knows.

Trust anchors are our active root CAs plus the enabled roots of other CAs the operator trusts
(CA互信互认); every CA certificate we ever issued from is offered as an intermediate. Revocation
of certificates we issued is read from our own records (authoritative, no network): revoked when
the revocation happened before the signature's trusted time stamp, or at all when there is none.
Other CAs' certificates keep what the document's DSS says; nothing is fetched, so an uploaded
file cannot make the server call out. The verifier keeps per-certificate results (name
comparisons, validated signer paths) between requests in each parser process, never the document
nor its verdict (signing.core.verify_cache; THREAT_MODEL.md, "Verification caches").

Uploads are size-capped (VERIFY_MAX_BYTES) and rate-limited per client IP (a counter in the
database, core.ratelimit, so that every worker counts against the same limit). Every refusal is
a DomainError with a stable code and a message in the user's language.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.core import ratelimit
from inkseal.core.errors import RateLimited
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.models import Certificate, CertificateAuthority, TrustedRoot
from inkseal.signing.core.errors import PdfEncrypted, PdfError, PdfMalformed, PdfTooComplex, PdfTooLarge
from inkseal.signing.core.ofd.errors import OfdDuplicateEntry, OfdUnsafePath, OfdZipBomb
from inkseal.signing.core.verify import verify_pdf
from inkseal.signing.core.verify_report import SignatureReport, VerificationReport
from inkseal.signing.parsing import budget
from inkseal.signing.verification.ofd import OfdVerification, is_ofd, verify_ofd_document

logger = logging.getLogger(__name__)

Role = CertificateAuthority.Role
MULTIPART_SLACK = 64 * 1024  # form boundaries and the password field around the file

CHANGE_LABELS = {
    "none": gettext_lazy("签名后未做任何修改"),
    "lta_updates": gettext_lazy("签名后仅追加了长期验证数据（DSS、时间戳）"),
    "form_filling": gettext_lazy("签名后有表单填写或追加签名"),
    "annotations": gettext_lazy("签名后添加了批注"),
    "other": gettext_lazy("签名后文档内容被修改"),
    "unknown": gettext_lazy("无法判断签名后的修改"),
}
_PROBLEM_MESSAGES = {
    "the signed content was changed": gettext_lazy("签名后文档内容被修改，签名范围内的数据已不完整。"),
    "the cryptographic signature does not verify": gettext_lazy("签名值校验失败。"),
    "the signer's certificate is revoked": gettext_lazy("签名证书已吊销。"),
    "later changes are not permitted by the document's certification": gettext_lazy(
        "签名后的修改超出了文档认证签名允许的范围。"
    ),
    "the signature time stamp is not valid": gettext_lazy("签名时间戳无效。"),
    "the document has no signature": gettext_lazy("该文档中没有签名。"),
}


_SUMMARY_TAMPERED = gettext_lazy("文件在签名后被修改：签名范围内的内容与签名时不一致，签名无效。")
_SUMMARY_CHANGED = gettext_lazy("文件在签名后被修改：签名后追加的修订改动了文档内容，签名无效。")
_SUMMARY_VALID = gettext_lazy("文件中的签名全部有效。")
_SUMMARY_INVALID = gettext_lazy("验签未通过：至少一个签名无效。")
_SUMMARY_UNSIGNED = gettext_lazy("该文档中没有签名。")


class VerifyRateLimited(RateLimited):
    code = "verify_rate_limited"
    default_message = gettext_lazy("验签请求过于频繁，请稍后再试。")


# --- limits ----------------------------------------------------------------------------------


def check_upload_size(size: int | None, *, body: bool = False) -> None:
    """Refuse a file (or, with `body`, a whole multipart body) over VERIFY_MAX_BYTES."""
    limit = settings.VERIFY_MAX_BYTES + (MULTIPART_SLACK if body else 0)
    if size is not None and size > limit:
        raise PdfTooLarge(
            _("文件过大：验签文件不能超过 %(mb)s MB。") % {"mb": _megabytes(settings.VERIFY_MAX_BYTES)},
            limit=settings.VERIFY_MAX_BYTES,
        )


def check_body_size(content_length: str | None) -> None:
    """Refuse a request body (the multipart form) over the limit from its Content-Length header."""
    try:
        size = int(content_length or 0)
    except ValueError:
        return  # Django refuses a malformed header itself when the body is parsed
    check_upload_size(size, body=True)


def check_rate(ip: str) -> None:
    """At most VERIFY_PER_IP_PER_MINUTE verifications per client IP and minute (0: no limit)."""
    limit = settings.VERIFY_PER_IP_PER_MINUTE
    if limit <= 0:
        return
    count = ratelimit.hit(f"verify:{ip}", 60)
    if count > limit:
        raise VerifyRateLimited(_("验签请求过于频繁，请稍后再试。"))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


# --- trust from the database -----------------------------------------------------------------


@dataclass(frozen=True)
class TrustStore:
    roots: tuple[bytes, ...]
    intermediates: tuple[bytes, ...]


def trust_store() -> TrustStore:
    """Our active roots and the enabled trusted roots of other CAs; all our CA certificates below."""
    ours = CertificateAuthority.objects.filter(role=Role.ROOT, active=True).values_list("certificate_der", flat=True)
    others = TrustedRoot.objects.filter(enabled=True).values_list("certificate_der", flat=True)
    below = CertificateAuthority.objects.exclude(role=Role.ROOT).values_list("certificate_der", flat=True)
    return TrustStore(
        roots=tuple(bytes(der) for der in [*ours, *others]),
        intermediates=tuple(bytes(der) for der in below),
    )


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedSignature:
    """A signature's report, with the CA as we know it and revocation from our own records."""

    report: SignatureReport
    ca_name: str | None  # CA机构: our organization, or the trusted root's registered name
    issued_here: bool
    revoked_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.report.valid

    @property
    def messages(self) -> list[str]:
        return [str(_PROBLEM_MESSAGES.get(p, p)) for p in self.report.problems]

    @property
    def tampered(self) -> bool:
        """The signed bytes no longer match the signature (changed in place)."""
        return self.report.kind == "signature" and not self.report.intact and self.report.certificate is not None

    @property
    def changed_after(self) -> bool:
        """A later revision changed the document's content beyond what signing allows."""
        changes = self.report.changes
        return self.report.intact and (changes.level == "other" or changes.allowed is False)

    @property
    def changes_text(self) -> str:
        level = self.report.changes.level
        return str(CHANGE_LABELS.get(level, CHANGE_LABELS["unknown"]))

    def as_dict(self) -> dict[str, Any]:
        certificate = self.report.certificate
        return {
            **self.report.as_dict(),
            "signer": certificate.subject_cn if certificate else None,
            "ca": {
                "name": certificate.issuer_cn if certificate else None,
                "organization": self.ca_name,
                "issued_here": self.issued_here,
            },
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "changes_text": self.changes_text,
            "messages": self.messages,
        }


@dataclass(frozen=True)
class Verification:
    """What the page, the API and the CLI show: the whole report plus the file's fingerprint."""

    signatures: tuple[CheckedSignature, ...]
    problems: tuple[str, ...]
    sha256: str
    size: int

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.valid for s in self.signatures)

    @property
    def messages(self) -> list[str]:
        return [str(_PROBLEM_MESSAGES.get(p, p)) for p in self.problems]

    @property
    def modified_after_signing(self) -> bool:
        return any(s.tampered or s.changed_after for s in self.signatures)

    @property
    def summary(self) -> str:
        """The verdict in one sentence; a modification after signing is said first, whatever
        else the report finds about certificates."""
        if any(s.tampered for s in self.signatures):
            return str(_SUMMARY_TAMPERED)
        if any(s.changed_after for s in self.signatures):
            return str(_SUMMARY_CHANGED)
        if not self.signatures:
            return str(_SUMMARY_UNSIGNED)
        return str(_SUMMARY_VALID if self.all_valid else _SUMMARY_INVALID)

    def as_dict(self) -> dict[str, Any]:
        return {
            "all_valid": self.all_valid,
            "modified_after_signing": self.modified_after_signing,
            "summary": self.summary,
            "sha256": self.sha256,
            "size": self.size,
            "signatures": [s.as_dict() for s in self.signatures],
            "problems": list(self.problems),
            "messages": self.messages,
        }


def verify_document(
    document: bytes | IO[bytes], *, password: str | None = None, ip: str = ""
) -> Verification | OfdVerification:
    """验签 of an uploaded or local PDF or OFD (told by its content); PdfError or OfdError (4xx,
    translated) when it cannot be read. A file past the parsing budget is audited (`ip`: the
    uploader's)."""
    data = document if isinstance(document, bytes) else document.read()
    check_upload_size(len(data))
    try:
        if is_ofd(data):
            return verify_ofd_document(data)
        report = _verify(data, trust_store(), password or None)
    except PdfTooComplex as exc:
        with transaction.atomic():
            actor = Actor("anonymous") if ip else Actor.system()
            record(events.PDF_BUDGET_EXCEEDED, actor=actor, ip=ip, target="verify", data=dict(exc.details))
        raise
    except (OfdZipBomb, OfdUnsafePath, OfdDuplicateEntry) as exc:  # a package built to attack its reader
        with transaction.atomic():
            actor = Actor("anonymous") if ip else Actor.system()
            details = {"code": exc.code, **exc.details}
            record(events.OFD_HOSTILE_PACKAGE, actor=actor, ip=ip, target="verify", data=details)
        raise
    return Verification(
        signatures=tuple(_checked(signature) for signature in report.signatures),
        problems=report.problems,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def _verify(data: bytes, store: TrustStore, password: str | None) -> VerificationReport:
    try:
        return budget.run(verify_pdf, data, trust_roots=store.roots, other_certs=store.intermediates, password=password)
    except PdfEncrypted:
        if password is None:
            raise PdfEncrypted(_("该 PDF 已加密，请输入打开密码后再验签。"))
        raise PdfEncrypted(_("PDF 打开密码不正确。"))
    except PdfError as exc:
        raise exc.localised()
    except Exception as exc:  # a parser failure on a hostile upload is a bad file, never a 500
        logger.warning("verification failed on an unreadable PDF: %r", exc)
        raise PdfMalformed(detail=type(exc).__name__)


def _checked(signature: SignatureReport) -> CheckedSignature:
    certificate = signature.certificate
    if certificate is None or signature.kind != "signature":
        return CheckedSignature(signature, _ca_name(certificate.issuer if certificate else None), issued_here=False)
    ours = _our_certificate(certificate.issuer, certificate.serial_hex)
    if ours is None:
        return CheckedSignature(signature, _ca_name(certificate.issuer), issued_here=False)
    if ours.revoked_at is not None and ours.revoked_at <= _trusted_time(signature):
        problems = (*signature.problems, "the signer's certificate is revoked")
        signature = dataclasses.replace(signature, revocation="revoked", problems=tuple(dict.fromkeys(problems)))
    elif signature.trusted and signature.revocation != "revoked":
        signature = dataclasses.replace(signature, revocation="good")
    return CheckedSignature(signature, ours.ca_name, issued_here=True, revoked_at=ours.revoked_at)


def _trusted_time(signature: SignatureReport) -> datetime:
    """The moment the signature provably existed: its valid time stamp, otherwise only now."""
    if signature.timestamp is not None and signature.timestamp.valid:
        return signature.timestamp.time
    return timezone.now()


def _our_certificate(issuer: str, serial_hex: str) -> Certificate | None:
    for certificate in Certificate.objects.filter(serial=serial_hex, issuer__isnull=False).select_related("issuer"):
        assert certificate.issuer is not None
        if _subject(bytes(certificate.issuer.certificate_der)) == issuer:
            return certificate
    return None


def _ca_name(issuer: str | None) -> str | None:
    """The CA机构 of a certificate's issuer when it is one of ours (e.g. the TSA's) or a trusted root."""
    if issuer is None:
        return None
    for ca in CertificateAuthority.objects.all():
        if _subject(bytes(ca.certificate_der)) == issuer:
            return ca.organization
    return _trusted_root_name(issuer, TrustedRoot.objects.filter(enabled=True))


def _trusted_root_name(issuer: str, roots: Iterable[TrustedRoot]) -> str | None:
    for root in roots:
        if _subject(bytes(root.certificate_der)) == issuer:
            return root.name
    return None


def _subject(der: bytes) -> str:
    return str(parsed_certificate(der).subject.human_friendly)
