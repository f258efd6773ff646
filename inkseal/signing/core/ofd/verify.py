"""Verifying every signature of an OFD package (GB/T 33190-2016 section 18, GB/T 38540-2020). Pure.

Per signature listed in Signatures.xml:

- references: SM3 of every protected file against its CheckValue; the report names each file that
  changed or went missing;
- `Type="Seal"`: SignedValue.dat is an SES_Signature (GB/T 38540 v4, or GM/T 0031 v1-3), checked
  by `inkseal.seals.ses_verify` with dataHash against SM3 of the exact Signature.xml bytes: the
  signer's SM2 signature (default ID), the seal lists the signer, the seal maker's signature, the
  time stamp when there is one, and (with a `SesTrust`) the maker's and signer's chains;
- `Type="Sign"`: a GB/T 35275 SignedData over the same digest (`signed_data`);
- anything else (a bare signature value without a certificate) is reported `unsupported`.

Verdicts (`status`): valid; cosigned (every reference intact but the document's Signatures.xml,
which later signatures extended: the seal is intact, the file was only co-signed after it);
modified (files changed after signing, named in `changed`); invalid (a signature, the seal, or
dataHash does not verify; `code` says which); unsupported; malformed. Whether the certificates
chain to a trusted CA is `trusted`, apart from the verdict: the corpus verdicts are about
integrity, and a verifier without the signer's CA must still tell an intact document from a
changed one.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from inkseal.core.errors import DomainError
from inkseal.pki import gm
from inkseal.seals.ses import SesMalformed, SesSignature
from inkseal.seals.ses_chain import CertificateRejected, ChainValidator
from inkseal.seals.ses_parse import parse_signature
from inkseal.seals.ses_verify import FAILED, SesReport, SesTrust, Step, verify_signature
from inkseal.signing.core.ofd.errors import OfdZipBomb
from inkseal.signing.core.ofd.model import Document, SignatureEntry, documents
from inkseal.signing.core.ofd.package import DEFAULT_LIMITS, Limits, OfdPackage, open_package
from inkseal.signing.core.ofd.signature_xml import SM3_OIDS, SignatureFile, read_signature_file
from inkseal.signing.core.ofd.signed_data import NotSignedData, check_signed_data, is_signed_data, lenient_spki

VALID, COSIGNED, MODIFIED, INVALID, UNSUPPORTED, MALFORMED = (
    "valid",
    "cosigned",
    "modified",
    "invalid",
    "unsupported",
    "malformed",
)
INTACT, CHANGED, MISSING = "intact", "modified", "missing"
_INTEGRITY_STEPS = frozenset({"signature", "signer_in_seal", "seal_signature", "data_hash"})
_TRUST_STEPS = frozenset({"maker_certificate", "signer_certificate", "seal_validity"})
_INTEGRITY_TIMESTAMP_CODES = frozenset({"timestamp_invalid", "timestamp_mismatch"})
MAX_SIGNATURES = 200  # per document: each costs several SM2 verifications
_UNTRUSTED = SesTrust(makers=ChainValidator([]), signers=ChainValidator([]))


@dataclass(frozen=True)
class ReferenceCheck:
    location: str
    entry: str
    status: str  # intact, modified, missing

    def as_dict(self) -> dict[str, str]:
        return {"file": self.entry, "status": self.status}


@dataclass(frozen=True)
class SignatureReport:
    id: str
    type: str
    entry: str  # its Signature.xml
    status: str
    code: str = ""
    detail: str = ""
    kind: str = ""  # ses, signed_data, raw, unknown
    standard: str = ""
    version: int | None = None
    check_method: str = ""
    references: tuple[ReferenceCheck, ...] = ()
    steps: tuple[Step, ...] = ()
    trusted: bool = False
    signer: str = ""
    seal_name: str = ""
    signing_time: datetime | None = None
    timestamp_time: datetime | None = None
    stamps: tuple[dict[str, Any], ...] = ()
    ses: SesReport | None = field(default=None, repr=False)

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(r.entry for r in self.references if r.status != INTACT)

    @property
    def intact(self) -> bool:
        """The signed content is as it was signed (co-signing after it included)."""
        return self.status in (VALID, COSIGNED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "file": self.entry,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "kind": self.kind,
            "standard": self.standard,
            "version": self.version,
            "check_method": self.check_method,
            "changed": list(self.changed),
            "references": [r.as_dict() for r in self.references],
            "steps": [s.as_dict() for s in self.steps],
            "trusted": self.trusted,
            "signer": self.signer,
            "seal_name": self.seal_name,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamp_time": self.timestamp_time.isoformat() if self.timestamp_time else None,
            "stamps": list(self.stamps),
            "ses": self.ses.as_dict() if self.ses else None,
        }


@dataclass(frozen=True)
class OfdReport:
    signatures: tuple[SignatureReport, ...]

    @property
    def intact(self) -> bool:
        return bool(self.signatures) and all(s.intact for s in self.signatures)

    def as_dict(self) -> dict[str, Any]:
        return {"intact": self.intact, "signatures": [s.as_dict() for s in self.signatures]}


def verify_ofd(
    data: bytes | OfdPackage,
    *,
    trust: SesTrust | None = None,
    at: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> OfdReport:
    """Every signature of every document in the package. OfdError when the package itself cannot
    be read; a signature that cannot be is reported `malformed`, never raised."""
    package = data if isinstance(data, OfdPackage) else open_package(data, limits)
    at = at or datetime.now(UTC)
    reports: list[SignatureReport] = []
    digests: dict[str, bytes] = {}
    for doc in documents(package):
        if len(doc.signatures) > MAX_SIGNATURES:
            raise OfdZipBomb(f"more than {MAX_SIGNATURES} signatures")
        for position, entry in enumerate(doc.signatures):
            reports.append(_verify_one(package, doc, position, entry, trust, at, digests))
    return OfdReport(tuple(reports))


def _verify_one(
    package: OfdPackage,
    doc: Document,
    position: int,
    entry: SignatureEntry,
    trust: SesTrust | None,
    at: datetime,
    digests: dict[str, bytes],
) -> SignatureReport:
    base: dict[str, Any] = {"id": entry.id, "type": entry.type, "entry": entry.location}
    try:
        signature_file = read_signature_file(package, entry.location)
        value = package.read(signature_file.signed_value_entry)
    except DomainError as exc:
        return SignatureReport(**base, status=MALFORMED, code=exc.code, detail=str(exc))
    references = tuple(
        _reference(package, r.location, r.entry, r.check_value, digests) for r in signature_file.references
    )
    common: dict[str, Any] = dict(
        base,
        check_method=signature_file.check_method,
        references=references,
        stamps=tuple(
            {"id": s.id, "page_ref": s.page_ref, "boundary": s.boundary, "clip": s.clip} for s in signature_file.stamps
        ),
    )
    if is_signed_data(value):
        result = _signed_data(signature_file, value, trust, at, common)
    elif _is_bare_signature(value):
        return SignatureReport(
            **common,
            status=UNSUPPORTED,
            kind="raw",
            code="ofd_signature_unsupported",
            detail="SignedValue.dat is a bare signature value without a certificate: neither an SES_Signature "
            "nor a SignedData, so it cannot be attributed to anyone",
        )
    else:
        try:
            parse_signature(value)
        except SesMalformed as exc:
            detail = f"SignedValue.dat is not a conformant SES_Signature ({exc})"
            if signature_file.check_method not in SM3_OIDS:
                detail += f"; CheckMethod {signature_file.check_method} is not SM3"
            changed = sum(r.status != INTACT for r in references)
            if changed:
                detail += f"; {changed} of {len(references)} check values do not match SM3 of their file"
            return SignatureReport(**common, status=MALFORMED, kind="unknown", code=exc.code, detail=detail)
        result = _ses(package, signature_file, value, trust, at, common)
    if result.status != VALID:
        return result
    return _with_references(result, doc, position, signature_file)


def _is_bare_signature(value: bytes) -> bool:
    """An SM2/ECDSA value: SEQUENCE { INTEGER r, INTEGER s }, or a raw r || s."""
    if len(value) == 64 and value[:1] != b"\x30":
        return True
    try:
        gm.decode_signature(value)
    except DomainError:
        return False
    return True


def _reference(
    package: OfdPackage, location: str, entry: str, check_value: bytes | None, digests: dict[str, bytes]
) -> ReferenceCheck:
    if not package.has(entry):
        return ReferenceCheck(location, entry, MISSING)
    if entry not in digests:  # each file hashed once, however many references name it
        digests[entry] = gm.sm3(package.read(entry))
    intact = check_value is not None and hmac.compare_digest(digests[entry], check_value)
    return ReferenceCheck(location, entry, INTACT if intact else CHANGED)


def _with_references(
    result: SignatureReport, doc: Document, position: int, signature_file: SignatureFile
) -> SignatureReport:
    """The verdict once the signature itself verifies: which references still match."""
    changed = result.changed
    if signature_file.check_method not in SM3_OIDS:
        if not changed:
            return result
        return _replace(
            result,
            status=INVALID,
            code="ofd_check_method_unsupported",
            detail=f"CheckMethod {signature_file.check_method} is not SM3, and the check values do not match "
            f"SM3 of {len(changed)} of {len(result.references)} files",
        )
    if not changed:
        return result
    later = position < len(doc.signatures) - 1
    if changed == (doc.signatures_entry,) and later:
        return _replace(
            result,
            status=COSIGNED,
            code="ofd_cosigned",
            detail="every protected file is intact but Signatures.xml, which a later signature extended: "
            "the document was only co-signed after this seal",
        )
    return _replace(result, status=MODIFIED, code="ofd_modified", detail="changed after signing: " + ", ".join(changed))


def _replace(result: SignatureReport, **changes: Any) -> SignatureReport:
    return replace(result, **changes)


def _ses(
    package: OfdPackage,
    signature_file: SignatureFile,
    value: bytes,
    trust: SesTrust | None,
    at: datetime,
    common: dict[str, Any],
) -> SignatureReport:
    data = signature_file.data
    report = verify_signature(value, data_hash=gm.sm3(data), trust=trust or _UNTRUSTED, at=at)
    ses = report.signature
    steps = [_lenient_signature(step, ses) for step in report.steps]
    if signature_file.seal_entry is not None:
        if not package.has(signature_file.seal_entry):
            steps.append(Step("seal_file", FAILED, "seal_file_missing", f"{signature_file.seal_entry} is missing"))
        elif package.read(signature_file.seal_entry) != ses.seal.der:  # a viewer would show another seal
            steps.append(
                Step(
                    "seal_file",
                    FAILED,
                    "seal_file_mismatch",
                    f"{signature_file.seal_entry} is not the seal inside the signature",
                )
            )
        else:
            steps.append(Step("seal_file", "passed"))
    integrity_failure = next(
        (
            s
            for s in steps
            if s.status == FAILED
            and (s.name in _INTEGRITY_STEPS or s.code in _INTEGRITY_TIMESTAMP_CODES or s.name == "seal_file")
        ),
        None,
    )
    trusted = trust is not None and all(
        s.status != FAILED for s in steps if s.name in _TRUST_STEPS or s.name == "timestamp"
    )
    fields: dict[str, Any] = dict(
        common,
        kind="ses",
        standard=ses.standard,
        version=ses.seal.version,
        steps=tuple(steps),
        trusted=trusted,
        signer=str(report.signer.subject.human_friendly) if report.signer else _subject(ses.signer_certificate),
        seal_name=ses.seal.info.name,
        signing_time=ses.time,
        timestamp_time=report.timestamp_time,
        ses=report,
    )
    if integrity_failure is not None:
        code = integrity_failure.code
        if code == "data_hash_mismatch":
            detail = (
                "dataHash is not SM3 of Signature.xml: Signature.xml changed after signing, or was hashed otherwise"
            )
        else:
            detail = integrity_failure.detail
        return SignatureReport(**fields, status=INVALID, code=code, detail=detail)
    return SignatureReport(**fields, status=VALID)


def _lenient_signature(step: Step, ses: SesSignature) -> Step:
    """The signer's SM2 signature checked with a key read leniently, when the certificate is not
    strict DER (it then still fails `signer_certificate`: it cannot be trusted as it is)."""
    if step.name != "signature" or step.code != "signer_malformed":
        return step
    value = ses.signature
    if len(value) == 64:  # a raw r || s value, as some signers write it
        value = gm.encode_signature(int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big"))
    try:
        gm.Sm2PublicKey.from_spki(lenient_spki(ses.signer_certificate)).verify(value, ses.tbs_der)
    except (DomainError, ValueError) as exc:
        return Step("signature", FAILED, "signature_invalid", f"{exc} (certificate read leniently)")
    return Step("signature", "passed", detail="the signer certificate is not strict DER; its key was read leniently")


def _subject(certificate_der: bytes) -> str:
    from asn1crypto import x509 as asn1_x509

    try:
        return str(asn1_x509.Certificate.load(certificate_der).subject.human_friendly)
    except Exception:  # not readable even leniently
        return ""


def _signed_data(
    signature_file: SignatureFile, value: bytes, trust: SesTrust | None, at: datetime, common: dict[str, Any]
) -> SignatureReport:
    try:
        check = check_signed_data(value, signature_file.data)
    except NotSignedData as exc:
        return SignatureReport(
            **common, kind="signed_data", status=MALFORMED, code="signed_data_malformed", detail=str(exc)
        )
    steps = [
        Step(
            "signature", "passed" if check.signature_ok else FAILED, "" if check.signature_ok else "signature_invalid"
        ),
        Step("data_hash", "passed" if check.digest_ok else FAILED, "" if check.digest_ok else "data_hash_mismatch"),
    ]
    trusted = False
    if trust is not None and check.certificate is None:
        steps.append(Step("signer_certificate", FAILED, "signer_malformed", "the certificate is not strict DER"))
    elif trust is not None and check.certificate is not None:
        try:
            trust.signers.validate(check.certificate, valid_at=check.signing_time or at, revoked_by=at)
            steps.append(Step("signer_certificate", "passed"))
            trusted = True
        except CertificateRejected as rejected:
            steps.append(Step("signer_certificate", FAILED, f"signer_{rejected.reason}", rejected.detail))
    fields: dict[str, Any] = dict(
        common,
        kind="signed_data",
        standard="GB/T 35275-2017",
        steps=tuple(steps),
        trusted=trusted,
        signer=check.subject,
        signing_time=check.signing_time,
    )
    failure = next((s for s in steps[:2] if s.status == FAILED), None)
    if failure is not None:
        return SignatureReport(**fields, status=INVALID, code=failure.code, detail=check.detail)
    return SignatureReport(**fields, status=VALID)
