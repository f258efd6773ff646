"""Verifying signed PDFs (验签): a report per signature, never a bare boolean.

For each signature: who signed (certificate subject, serial, issuing CA), the claimed signing
time and the time-stamp time, the seal picture from its appearance, whether the signed bytes
are intact, what changed afterwards (pyHanko's difference analysis: level, fields, whether
the certification allowed it), trust against the given roots, revocation status (from the
document's DSS, or fetched when allowed), the PAdES level reached and the DocMDP level.
SM2 signatures (GM/T 0010 CMS), SM2 certificates, CRLs and OCSP responses are checked through
inkseal.signing.core.gmcms's hooks and reported exactly like RSA and ECDSA ones.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel, SuspiciousModification
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel, TimestampSignatureStatus
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathError, RevokedError, ValidationError

from inkseal.signing.core import (
    fastparse,  # noqa: F401  (pyHanko reads hex strings a block at a time)
    guards,  # noqa: F401  (xref streams checked before allocation)
    verify_cache,
)
from inkseal.signing.core.document import UNREADABLE
from inkseal.signing.core.errors import PdfEncrypted, PdfMalformed, PdfNotPdf
from inkseal.signing.core.extract import seal_png
from inkseal.signing.core.gmcms import (
    SIGNATURE_VALIDATOR,
    SM2_PDF_FORMAT,
    collect_signatures,
    is_sm2_pdf_signature,
    pdf_subfilter,
)
from inkseal.signing.core.pdfdict import lookup
from inkseal.signing.core.signer import Certificate, as_asn1_certificate
from inkseal.signing.core.verify_report import (
    CertificateInfo,
    Changes,
    Revocation,
    SignatureReport,
    TimestampInfo,
    VerificationReport,
    common_name,
)


def verify_pdf(
    pdf: bytes | BinaryIO,
    *,
    trust_roots: Sequence[Certificate],
    other_certs: Iterable[Certificate] = (),
    allow_fetching: bool = False,
    password: str | None = None,
    extract_seals: bool = True,
) -> VerificationReport:
    return asyncio.run(
        async_verify_pdf(
            pdf,
            trust_roots=trust_roots,
            other_certs=other_certs,
            allow_fetching=allow_fetching,
            password=password,
            extract_seals=extract_seals,
        )
    )


async def async_verify_pdf(
    pdf: bytes | BinaryIO,
    *,
    trust_roots: Sequence[Certificate],
    other_certs: Iterable[Certificate] = (),
    allow_fetching: bool = False,
    password: str | None = None,
    extract_seals: bool = True,
) -> VerificationReport:
    reader = _open_reader(pdf, password)
    dss = _read_dss(reader)
    embedded_revinfo = _EmbeddedRevinfo(_dss_ocsps(dss), _dss_crls(dss))
    roots = [_certificate(c) for c in trust_roots]
    others = [_certificate(c) for c in other_certs] + (list(dss.load_certs()) if dss else [])
    context = ValidationContext(
        trust_roots=roots,
        other_certs=others,
        ocsps=embedded_revinfo.ocsps,
        crls=embedded_revinfo.crls,
        allow_fetching=allow_fetching,
        revocation_mode="soft-fail",
        signature_validator=SIGNATURE_VALIDATOR,
    )
    try:
        embedded = collect_signatures(reader)
    except (PyHankoPdfError, KeyError, TypeError, ValueError) as exc:
        raise PdfMalformed(f"the signatures cannot be read: {exc}") from exc
    with verify_cache.active() as scope:
        verify_cache.bind_document(
            scope,
            context,
            roots,
            others,
            embedded_revinfo.ocsps,
            embedded_revinfo.crls,
            allow_fetching=allow_fetching,
        )
        checker = _Checker(reader, context, embedded_revinfo, embedded, extract_seals, scope)
        reports = [await checker.report(sig) for sig in embedded]
    return VerificationReport(tuple(reports), _document_problems(reader, reports))


@dataclass(frozen=True)
class _EmbeddedRevinfo:
    """OCSP responses and CRLs found in the document's DSS."""

    ocsps: list[asn1_ocsp.OCSPResponse]
    crls: list[asn1_crl.CertificateList]

    def covers(self, cert: asn1_x509.Certificate) -> bool:
        return _has_revocation_info(cert, self.ocsps, self.crls)


class _Checker:
    def __init__(
        self,
        reader: PdfFileReader,
        context: ValidationContext,
        embedded_revinfo: _EmbeddedRevinfo,
        embedded: list[EmbeddedPdfSignature],
        extract_seals: bool,
        cache_scope: verify_cache.Scope,
    ):
        self.cache_scope = cache_scope
        self.reader = reader
        self.context = context
        self.embedded_revinfo = embedded_revinfo
        self.extract_seals = extract_seals
        self.timestamps = [s for s in embedded if s.sig_object_type == "/DocTimeStamp"]

    async def report(self, sig: EmbeddedPdfSignature) -> SignatureReport:
        try:
            if sig.sig_object_type == "/DocTimeStamp":
                verify_cache.unbind_signer(self.cache_scope)
                return await self._timestamp_report(sig)
            return await self._signature_report(sig)
        except (SignatureValidationError, PyHankoPdfError, ValueError, KeyError, TypeError) as exc:
            return SignatureReport(
                field_name=str(sig.field_name),
                kind="document_timestamp" if sig.sig_object_type == "/DocTimeStamp" else "signature",
                certificate=None,
                intact=False,
                trusted=False,
                revocation="unknown",
                changes=Changes(level="other", allowed=None, covers_whole_document=False),
                problems=(f"the signature cannot be validated: {exc}",),
            )

    async def _signature_report(self, sig: EmbeddedPdfSignature) -> SignatureReport:
        verify_cache.bind_signer(self.cache_scope, sig.signer_cert, sig.other_embedded_certs)
        status = await async_validate_pdf_signature(sig, self.context, self.context)
        cert = status.signing_cert
        intact = status.intact and status.valid
        trusted, revoked = (status.trusted, status.revoked) if intact else await self._certificate_path(sig, cert)
        revocation = self._revocation(trusted, revoked, cert)
        docmdp = sig.docmdp_level
        problems = _problems(status)
        if not intact:  # pyHanko does not judge the certificate of a broken signature: we did
            problems = tuple(p for p in problems if not p.startswith("certificate not trusted"))
            if revoked and "the signer's certificate is revoked" not in problems:
                problems = (*problems, "the signer's certificate is revoked")
        signature_format = _signature_format(sig)
        level = self._level(sig, status)
        return SignatureReport(
            field_name=str(sig.field_name),
            kind="signature",
            certificate=CertificateInfo.of(cert),
            intact=intact,
            trusted=trusted,
            revocation=revocation,
            changes=_changes(status),
            signing_time=status.signer_reported_dt,
            timestamp=_timestamp_info(status.timestamp_validity),
            pades_level=level if signature_format == PADES else None,
            signature_format=signature_format,
            level=level,
            certification=_is_certification(sig),
            docmdp=docmdp.name if docmdp is not None else None,
            seal_png=seal_png(sig.sig_field) if self.extract_seals else None,
            problems=problems,
        )

    async def _certificate_path(self, sig: EmbeddedPdfSignature, cert: asn1_x509.Certificate) -> tuple[bool, bool]:
        """(trusted, revoked) of the signer's certificate on its own, for a signature whose signed
        bytes changed: pyHanko stops at the broken signature, but whether the certificate chains
        to a trusted root (and is revoked) does not depend on the document."""
        validator = CertificateValidator(
            cert, intermediate_certs=list(sig.other_embedded_certs), validation_context=self.context
        )
        try:
            await validator.async_validate_path()
        except RevokedError:
            return True, True
        except (PathError, ValidationError, ValueError, TypeError, KeyError):  # no path, or a broken one
            return False, False
        return True, False

    async def _timestamp_report(self, sig: EmbeddedPdfSignature) -> SignatureReport:
        status = await async_validate_pdf_timestamp(sig, self.context)
        return SignatureReport(
            field_name=str(sig.field_name),
            kind="document_timestamp",
            certificate=CertificateInfo.of(status.signing_cert),
            intact=status.intact and status.valid,
            trusted=status.trusted,
            revocation="revoked" if status.revoked else "unknown",
            changes=_changes(status),
            timestamp=_timestamp_info(status),
            problems=_problems(status),
        )

    def _revocation(self, trusted: bool, revoked: bool, cert: asn1_x509.Certificate) -> Revocation:
        if revoked:
            return "revoked"
        if trusted and _has_revocation_info(cert, self.context.ocsps, self.context.crls):
            return "good"
        return "unknown"

    def _level(self, sig: EmbeddedPdfSignature, status: PdfSignatureStatus) -> str:
        """B-B; B-T with a signature (or later document) time stamp; B-LT when the DSS holds
        revocation data for the signer; B-LTA when a document time stamp covers that DSS. The
        tiers of PAdES baseline, which mean the same for an SM2 (GM/T 0010) signature."""
        later_timestamps = [t for t in self.timestamps if t.signed_revision > sig.signed_revision]
        if status.timestamp_validity is None and not later_timestamps:
            return "B-B"
        if not self.embedded_revinfo.covers(status.signing_cert):
            return "B-T"
        archived = any(self._dss_at(t.signed_revision) for t in later_timestamps)
        return "B-LTA" if archived else "B-LT"

    def _dss_at(self, revision: int) -> bool:
        return "/DSS" in self.reader.get_historical_resolver(revision).root


PADES = "PAdES"
_FORMATS = {"/ETSI.CAdES.detached": PADES, "/adbe.pkcs7.detached": "PKCS#7 detached"}


def _signature_format(sig: EmbeddedPdfSignature) -> str | None:
    """What the signature is: SM2 ones by their content (earlier releases labelled them PAdES)."""
    if is_sm2_pdf_signature(sig):
        return SM2_PDF_FORMAT
    return _FORMATS.get(pdf_subfilter(sig.sig_field) or "")


def _document_problems(reader: PdfFileReader, reports: list[SignatureReport]) -> tuple[str, ...]:
    problems = []
    if not reports:
        problems.append("the document has no signature")
    if reader.xrefs.hybrid_xrefs_present:
        problems.append("hybrid-reference file: readers that ignore /XRefStm may show other content")
    return tuple(problems)


def _is_certification(sig: EmbeddedPdfSignature) -> bool:
    references = lookup(sig.sig_object, "/Reference", ())
    return any(lookup(ref.get_object(), "/TransformMethod") == "/DocMDP" for ref in references)


def _changes(status: PdfSignatureStatus | Any) -> Changes:
    level = status.modification_level
    diff = status.diff_result
    fields = tuple(sorted(diff.changed_form_fields)) if isinstance(diff, DiffResult) else ()
    detail = str(diff) if isinstance(diff, SuspiciousModification) else None
    return Changes(
        level=_level_name(level),
        allowed=getattr(status, "docmdp_ok", None),
        covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        fields_changed=fields,
        detail=detail,
    )


def _level_name(level: ModificationLevel | None) -> str:
    return "unknown" if level is None else level.name.lower()


def _timestamp_info(status: TimestampSignatureStatus | None) -> TimestampInfo | None:
    if status is None:
        return None
    return TimestampInfo(
        time=status.timestamp,
        valid=status.intact and status.valid and status.trusted,
        tsa=common_name(status.signing_cert.subject),
    )


def _problems(status: PdfSignatureStatus | Any) -> tuple[str, ...]:
    problems = []
    if not status.intact:
        problems.append("the signed content was changed")
    elif not status.valid:
        problems.append("the cryptographic signature does not verify")
    if status.trust_problem_indic is not None:
        problems.append(f"certificate not trusted: {getattr(status.trust_problem_indic, 'name', 'unknown')}")
    if status.revoked:
        problems.append("the signer's certificate is revoked")
    if getattr(status, "docmdp_ok", None) is False:
        problems.append("later changes are not permitted by the document's certification")
    timestamp = getattr(status, "timestamp_validity", None)
    if timestamp is not None and not (timestamp.intact and timestamp.valid and timestamp.trusted):
        problems.append("the signature time stamp is not valid")
    return tuple(problems)


def _has_revocation_info(
    cert: asn1_x509.Certificate, ocsps: Iterable[asn1_ocsp.OCSPResponse], crls: Iterable[asn1_crl.CertificateList]
) -> bool:
    for response in ocsps:
        try:
            single_responses = response.basic_ocsp_response["tbs_response_data"]["responses"]
        except (KeyError, ValueError, TypeError):
            continue
        if any(single["cert_id"]["serial_number"].native == cert.serial_number for single in single_responses):
            return True
    return any(crl["tbs_cert_list"]["issuer"] == cert.issuer for crl in crls)


def _open_reader(pdf: bytes | BinaryIO, password: str | None) -> PdfFileReader:
    stream = io.BytesIO(pdf) if isinstance(pdf, bytes | bytearray) else pdf
    stream.seek(0)
    if b"%PDF-" not in stream.read(1024):
        raise PdfNotPdf("this file is not a PDF")
    stream.seek(0)
    try:
        reader = PdfFileReader(stream, strict=False)
    except UNREADABLE as exc:
        raise PdfMalformed(f"the PDF cannot be read: {exc!r}"[:300]) from exc
    if reader.encrypted and reader.decrypt(password or "").status is AuthStatus.FAILED:
        raise PdfEncrypted("the PDF is encrypted: a password is needed" if password is None else "wrong password")
    return reader


def _read_dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None


def _dss_ocsps(dss: DocumentSecurityStore | None) -> list[asn1_ocsp.OCSPResponse]:
    if dss is None:
        return []
    return [asn1_ocsp.OCSPResponse.load(ref.get_object().data) for ref in dss.ocsps]


def _dss_crls(dss: DocumentSecurityStore | None) -> list[asn1_crl.CertificateList]:
    if dss is None:
        return []
    return [asn1_crl.CertificateList.load(ref.get_object().data) for ref in dss.crls]


def _certificate(value: Certificate) -> asn1_x509.Certificate:
    if isinstance(value, bytes) and pem.detect(value):
        _, _, value = pem.unarmor(value)
    return as_asn1_certificate(value)
