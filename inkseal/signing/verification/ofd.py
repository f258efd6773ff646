"""验签 of OFD (GB/T 33190) files for the public page, POST /api/v1/verify and `inkseal verify`:
the pure verifier (`inkseal.signing.core.ofd.verify_ofd`) with the platform's trust, each
signature worded like a PDF one.

Trust is the SES verification's (`seals.ses_verify_services.ses_trust`): seal makers and time
stamps under our active roots, signers also under the enabled trusted roots of other CAs
(CA互信互认), revocation of our certificates from our own records. The package is first read in a
parser process under the parsing budget (entries, sizes, XML: a zip bomb or a parser loop costs
a bounded amount); the signatures are then checked in this process under the budget's CPU time
and wall clock (the chain validators read the database).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.core.errors import DomainError
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.models import Certificate
from inkseal.seals.ses_verify import FAILED
from inkseal.seals.ses_verify_services import STEP_LABELS, failure_message, ses_trust
from inkseal.signing.core.ofd.verify import COSIGNED, MALFORMED, MODIFIED, UNSUPPORTED, VALID, SignatureReport
from inkseal.signing.core.ofd.verify import verify_ofd as verify_package
from inkseal.signing.parsing import budget, inspection

ZIP_LOCAL_HEADER = b"PK\x03\x04"

STATUS_LABELS = {
    VALID: gettext_lazy("签章有效：签章后文件未被修改"),
    COSIGNED: gettext_lazy("签章完好：签章后仅有他人继续签章（追加签章列表），签章范围内的文件未被修改"),
    MODIFIED: gettext_lazy("签章后文件被修改"),
    "invalid": gettext_lazy("签章无效"),
    UNSUPPORTED: gettext_lazy("不支持的签名格式，无法验证"),
    MALFORMED: gettext_lazy("签名数据格式有误，无法验证"),
}
_STANDARDS = {
    "ses": gettext_lazy("电子签章（SES_Signature）"),
    "signed_data": gettext_lazy("GB/T 35275 数字签名（SignedData）"),
}
_UNTRUSTED = gettext_lazy("签章者证书不是由本平台或互信CA签发的。")
_SUMMARY_VALID = gettext_lazy("OFD 文件中的签章全部有效。")
_SUMMARY_MODIFIED = gettext_lazy("OFD 文件在签章后被修改：签章保护的文件与签章时不一致，签章无效。")
_SUMMARY_INVALID = gettext_lazy("验签未通过：至少一个签章无效或不可信。")
_SUMMARY_UNSIGNED = gettext_lazy("该 OFD 文件中没有签章。")


def is_ofd(data: bytes) -> bool:
    """An upload the OFD verifier reads: a ZIP (OFD packages are; the reader then says whether it
    is a good one, with its own `ofd_*` refusal)."""
    return data[:4] == ZIP_LOCAL_HEADER


@dataclass(frozen=True)
class OfdCheckedSignature:
    """One signature of the package, with the CA as we know it."""

    report: SignatureReport
    issued_here: bool
    ca_name: str | None

    @property
    def valid(self) -> bool:
        """Every check passed and every protected file is as signed, and trusted. A `cosigned`
        signature's seal is intact, but a file it protects (Signatures.xml: the signer locked the
        document) changed when someone signed after it: not valid, said as such."""
        return self.report.status == VALID and self.report.trusted

    @property
    def signer_name(self) -> str:
        """The signer certificate's common name (the whole subject when it has none)."""
        signer = self.report.ses.signer if self.report.ses else None
        if signer is not None:
            common_name = signer.asn1.subject.native.get("common_name")
            if common_name:
                return str(common_name)
        return self.report.signer

    @property
    def status_text(self) -> str:
        return str(STATUS_LABELS.get(self.report.status, self.report.status))

    @property
    def messages(self) -> list[str]:
        out = []
        if self.report.status == MODIFIED:
            out.append(_("签章后被修改的文件：%(files)s") % {"files": "、".join(self.report.changed)})
        elif self.report.status == COSIGNED:
            out.append(
                _("签章者锁定了文件，但签章后又有人继续签章，修改了签章保护的文件：%(files)s")
                % {"files": "、".join(self.report.changed)}
            )
        for step in self.report.steps:
            if step.status == FAILED:
                out.append(failure_message(step.code))
        if self.report.intact and not self.report.trusted and not any(s.status == FAILED for s in self.report.steps):
            out.append(str(_UNTRUSTED))
        if self.report.status in (UNSUPPORTED, MALFORMED) and self.report.detail:
            out.append(self.report.detail)
        return list(dict.fromkeys(out))

    @property
    def standard_text(self) -> str:
        report = self.report
        if report.kind == "ses":
            version = f" v{report.version}" if report.version is not None else ""
            return f"{report.standard or _STANDARDS['ses']}{version}"
        return str(_STANDARDS.get(report.kind, report.standard or "—"))

    @property
    def seal(self) -> dict[str, Any] | None:
        ses = self.report.ses
        if ses is None:
            return None
        info = ses.signature.seal.info
        return {
            "name": info.name,
            "es_id": info.es_id,
            "maker": str(ses.maker.subject.human_friendly) if ses.maker else None,
            "valid_start": info.valid_start,
            "valid_end": info.valid_end,
        }

    @property
    def seal_data_url(self) -> str | None:
        ses = self.report.ses
        if ses is None:
            return None
        picture = ses.signature.seal.info.picture
        mime = {"PNG": "image/png", "JPG": "image/jpeg", "JPEG": "image/jpeg", "GIF": "image/gif"}.get(
            picture.type.upper()
        )
        return f"data:{mime};base64,{base64.b64encode(picture.data).decode()}" if mime else None

    @property
    def step_rows(self) -> list[dict[str, str]]:
        rows = []
        for step in self.report.steps:
            label = str(STEP_LABELS.get(step.name, step.name))
            text = failure_message(step.code) if step.status == FAILED else ""
            rows.append({**step.as_dict(), "label": label, "message": text})
        return rows

    def as_dict(self) -> dict[str, Any]:
        signer = self.report.ses.signer if self.report.ses else None
        return {
            **self.report.as_dict(),
            "signer": self.signer_name,
            "valid": self.valid,
            "intact": self.report.intact,
            "status_text": self.status_text,
            "signature_format": self.standard_text,
            "certificate": {
                "subject": str(signer.subject.human_friendly),
                "serial_hex": format(signer.serial, "x"),
                "issuer": str(signer.asn1.issuer.human_friendly),
            }
            if signer
            else None,
            "ca": {
                "name": str(signer.asn1.issuer.human_friendly) if signer else None,
                "organization": self.ca_name,
                "issued_here": self.issued_here,
            },
            "seal_image": self.seal_data_url,
            "steps": self.step_rows,
            "messages": self.messages,
        }


@dataclass(frozen=True)
class OfdVerification:
    """What the page, the API and the CLI show for an OFD file (the PDF's `Verification` shape:
    all_valid, modified_after_signing, summary, sha256, size, signatures, messages)."""

    signatures: tuple[OfdCheckedSignature, ...]
    sha256: str
    size: int
    format: str = "ofd"

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.valid for s in self.signatures)

    @property
    def modified_after_signing(self) -> bool:
        return any(s.report.status == MODIFIED for s in self.signatures)

    @property
    def messages(self) -> list[str]:
        return []

    @property
    def summary(self) -> str:
        if self.modified_after_signing:
            return str(_SUMMARY_MODIFIED)
        if not self.signatures:
            return str(_SUMMARY_UNSIGNED)
        return str(_SUMMARY_VALID if self.all_valid else _SUMMARY_INVALID)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "all_valid": self.all_valid,
            "modified_after_signing": self.modified_after_signing,
            "summary": self.summary,
            "sha256": self.sha256,
            "size": self.size,
            "signatures": [s.as_dict() for s in self.signatures],
            "problems": [],
            "messages": self.messages,
        }


def verify_ofd_document(data: bytes, *, at: datetime | None = None) -> OfdVerification:
    """验签 of an OFD file; OfdError (4xx, in the user's language) when the package cannot be read,
    PdfTooComplex past the parsing budget (the caller audits it)."""
    try:
        budget.run(inspection.check_ofd, data)  # the package read under the parser's memory limit first
        with budget.guarded(budget.settings_budget()):
            report = verify_package(data, trust=ses_trust(), at=at or timezone.now())
    except DomainError as exc:
        raise exc.localised()
    return OfdVerification(
        tuple(_checked(signature) for signature in report.signatures), hashlib.sha256(data).hexdigest(), len(data)
    )


def _checked(report: SignatureReport) -> OfdCheckedSignature:
    signer = report.ses.signer if report.ses else None
    if signer is None:
        return OfdCheckedSignature(report, issued_here=False, ca_name=None)
    ours = (
        Certificate.objects.filter(serial=format(signer.serial, "x"), issuer__isnull=False)
        .select_related("issuer")
        .first()
    )
    if ours is not None and ours.issuer is not None:
        ca_subject = parsed_certificate(bytes(ours.issuer.certificate_der)).subject.human_friendly
        if str(ca_subject) == str(signer.asn1.issuer.human_friendly):
            return OfdCheckedSignature(report, issued_here=True, ca_name=ours.ca_name)
    return OfdCheckedSignature(report, issued_here=False, ca_name=None)
