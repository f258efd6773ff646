"""What the verifier reports (验签报告): per signature, who signed, when, what changed after, trust,
revocation and the levels reached; per document, the problems found. Plain data, JSON-ready."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509

from inkseal.signing.core import (
    fastparse,  # noqa: F401  (pyHanko reads hex strings a block at a time)
    guards,  # noqa: F401  (xref streams checked before allocation)
)

Revocation = Literal["good", "revoked", "unknown"]
Kind = Literal["signature", "document_timestamp"]


@dataclass(frozen=True)
class CertificateInfo:
    subject_cn: str | None
    subject: str
    serial_hex: str
    issuer_cn: str | None
    issuer: str
    not_before: datetime
    not_after: datetime

    @classmethod
    def of(cls, cert: asn1_x509.Certificate) -> CertificateInfo:
        return cls(
            subject_cn=common_name(cert.subject),
            subject=cert.subject.human_friendly,
            serial_hex=format(cert.serial_number, "x"),
            issuer_cn=common_name(cert.issuer),
            issuer=cert.issuer.human_friendly,
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
        )


@dataclass(frozen=True)
class TimestampInfo:
    time: datetime
    valid: bool  # intact, cryptographically valid and issued by a trusted TSA
    tsa: str | None


@dataclass(frozen=True)
class Changes:
    """What happened to the document after this signature (later revisions)."""

    level: str  # none, lta_updates (DSS, time stamps), form_filling (incl. later signatures), annotations, other
    allowed: bool | None  # within what the document's DocMDP permits; None if unknown
    covers_whole_document: bool
    fields_changed: tuple[str, ...] = ()
    detail: str | None = None


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    kind: Kind
    certificate: CertificateInfo | None
    intact: bool  # the signed bytes are unchanged and the cryptographic signature checks out
    trusted: bool
    revocation: Revocation
    changes: Changes
    signing_time: datetime | None = None  # claimed by the signer (/M or signingTime)
    timestamp: TimestampInfo | None = None
    pades_level: str | None = None  # `level` when the signature is PAdES, else None
    signature_format: str | None = None  # PAdES, GM/T 0010 (SM2) detached, PKCS#7 detached
    level: str | None = None  # B-B, B-T, B-LT, B-LTA: time stamp and long-term data, whatever the format
    certification: bool = False  # a certification (author) signature, as opposed to an approval
    docmdp: str | None = None  # modification policy this signature imposes (NO_CHANGES, FILL_FORMS, ANNOTATE)
    seal_png: bytes | None = None
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        changes_ok = self.changes.allowed is not False and self.changes.level != "other"
        timestamp_ok = self.timestamp is None or self.timestamp.valid
        return self.intact and self.trusted and self.revocation != "revoked" and changes_ok and timestamp_ok

    @property
    def seal_data_url(self) -> str | None:
        if self.seal_png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(self.seal_png).decode("ascii")

    def as_dict(self) -> dict[str, Any]:
        return {
            "field_name": self.field_name,
            "kind": self.kind,
            "valid": self.valid,
            "certificate": _jsonable(self.certificate),
            "signing_time": _jsonable(self.signing_time),
            "timestamp": _jsonable(self.timestamp),
            "intact": self.intact,
            "trusted": self.trusted,
            "revocation": self.revocation,
            "changes": _jsonable(self.changes),
            "pades_level": self.pades_level,
            "signature_format": self.signature_format,
            "level": self.level,
            "certification": self.certification,
            "docmdp": self.docmdp,
            "seal_image": self.seal_data_url,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class VerificationReport:
    signatures: tuple[SignatureReport, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def all_valid(self) -> bool:
        """True when there is at least one signature and every signature and time stamp is valid."""
        return bool(self.signatures) and all(s.valid for s in self.signatures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "all_valid": self.all_valid,
            "signatures": [s.as_dict() for s in self.signatures],
            "problems": list(self.problems),
        }


def common_name(name: asn1_x509.Name) -> str | None:
    value = name.native.get("common_name")
    if isinstance(value, list):
        value = value[-1]
    return str(value) if value is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value
