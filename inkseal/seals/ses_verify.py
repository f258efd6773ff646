"""Verifying an electronic signature (SES_Signature) in the order GB/T 38540-2020 gives. Pure.

Steps, with their stable names:

    signature           the signer's SM2 signature over TBS_Sign
    signer_in_seal      the signer's certificate is one the seal lists (itself or its digest)
    seal_signature      the maker's signature over the seal information
    maker_certificate   the maker's certificate: issued under a trusted CA, with the seal-maker
                        policy, valid when the seal was made, not revoked
    seal_validity       the signing time lies within the seal's validStart .. validEnd
    signer_certificate  the signer's chain to a trusted root, valid at the signing time, not revoked
    data_hash           SM3 of the document equals dataHash
    timestamp           the RFC 3161 token over the signature value (skipped when there is none)

Every step runs, whatever an earlier one found, so the report shows each verdict; the first
failure is the reason given. Failure codes are stable (`<step or role>_<reason>`); the Django
layer words them in the user's language. Revocation counts when it happened before the trusted
time: the valid time stamp's time, otherwise the moment of verification.

Certificate paths to the trust anchors are built and checked by `ses_chain.ChainValidator`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asn1crypto import cms as asn1_cms

from inkseal.core.errors import DomainError
from inkseal.pki import gm
from inkseal.pki.algorithms import HASH_OIDS, new_hash
from inkseal.pki.x509 import Certificate, load_certificate
from inkseal.seals.ses import SesSignature, verify_sm2
from inkseal.seals.ses_chain import CertificateRejected, ChainValidator
from inkseal.seals.ses_parse import parse_signature

STEPS = (
    "signature",
    "signer_in_seal",
    "seal_signature",
    "maker_certificate",
    "seal_validity",
    "signer_certificate",
    "data_hash",
    "timestamp",
)
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
CLOCK_SKEW = timedelta(minutes=5)  # a signing time this far past its time stamp is still accepted

_SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
_TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"
_CONTENT_TYPE_OID = "1.2.840.113549.1.9.3"
_MESSAGE_DIGEST_OID = "1.2.840.113549.1.9.4"
_HASH_NAMES = {oid: name for name, oid in HASH_OIDS.items() if name != "sha1"}


@dataclass(frozen=True)
class SesTrust:
    makers: ChainValidator  # seal makers: our CAs, the seal-maker policy
    signers: ChainValidator  # signers: our CAs and the trusted roots of other CAs, with revocation
    timestamps: ChainValidator | None = None  # time-stamp authorities; None: time stamps fail


@dataclass(frozen=True)
class Step:
    name: str
    status: str  # passed, failed, skipped
    code: str = ""  # failure code
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"step": self.name, "status": self.status, "code": self.code, "detail": self.detail}


def _passed(name: str, detail: str = "") -> Step:
    return Step(name, PASSED, detail=detail)


def _failed(name: str, code: str, detail: str) -> Step:
    return Step(name, FAILED, code, detail)


@dataclass(frozen=True)
class SesReport:
    signature: SesSignature
    steps: tuple[Step, ...]
    signer: Certificate | None
    maker: Certificate | None
    timestamp_time: datetime | None

    @property
    def valid(self) -> bool:
        return all(step.status != FAILED for step in self.steps)

    @property
    def failure(self) -> Step | None:
        return next((step for step in self.steps if step.status == FAILED), None)

    def as_dict(self) -> dict[str, Any]:
        signature, info = self.signature, self.signature.seal.info
        failure = self.failure
        return {
            "valid": self.valid,
            "failure": failure.as_dict() if failure else None,
            "steps": [step.as_dict() for step in self.steps],
            "standard": signature.standard,
            "version": signature.seal.version,
            "signing_time": _iso(signature.time),
            "timestamp_time": _iso(self.timestamp_time),
            "property_info": signature.property_info,
            "data_hash": signature.data_hash.hex(),
            "signer": _certificate_dict(self.signer),
            "seal": {
                "es_id": info.es_id,
                "vid": info.vid,
                "name": info.name,
                "type": info.seal_type,
                "created": _iso(info.created),
                "valid_start": _iso(info.valid_start),
                "valid_end": _iso(info.valid_end),
                "picture": {
                    "type": info.picture.type,
                    "width_mm": info.picture.width_mm,
                    "height_mm": info.picture.height_mm,
                },
                "maker": _certificate_dict(self.maker),
            },
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _certificate_dict(certificate: Certificate | None) -> dict[str, str] | None:
    if certificate is None:
        return None
    return {
        "subject": str(certificate.subject.human_friendly),
        "serial": format(certificate.serial, "x"),
        "issuer": str(certificate.asn1.issuer.human_friendly),
    }


def verify_signature(
    ses_der: bytes,
    data: bytes | None = None,
    *,
    data_hash: bytes | None = None,
    trust: SesTrust,
    at: datetime,
) -> SesReport:
    """Check an SES_Signature over `data` (or its SM3 hash) at time `at`; SesMalformed when the
    bytes are not one. Never raises for a signature that does not verify: read the report."""
    signature = parse_signature(ses_der)
    signer = _certificate(signature.signer_certificate)
    maker = _certificate(signature.seal.maker_certificate)
    timestamp_step, timestamp_time = _timestamp(signature, trust.timestamps, at)
    signing_time = signature.time or timestamp_time or at
    steps = (
        _signature(signature, signer),
        _signer_in_seal(signature),
        _seal_signature(signature, maker),
        _maker_certificate(signature, maker, trust.makers, at),
        _seal_validity(signature),
        _signer_certificate(signer, trust.signers, signing_time, timestamp_time or at),
        _data_hash(signature, data, data_hash),
        timestamp_step,
    )
    return SesReport(signature, steps, signer, maker, timestamp_time)


def _certificate(data: bytes) -> Certificate | None:
    try:
        return load_certificate(data)
    except DomainError:
        return None


def _signature(signature: SesSignature, signer: Certificate | None) -> Step:
    if signer is None:
        return _failed("signature", "signer_malformed", "the signer certificate cannot be read")
    if signature.algorithm != gm.SM2_WITH_SM3_OID:
        return _failed("signature", "algorithm_unsupported", f"signature algorithm {signature.algorithm}")
    try:
        verify_sm2(signer, signature.signature, signature.tbs_der, signature.algorithm)
    except DomainError as exc:
        return _failed("signature", "signature_invalid", str(exc))
    return _passed("signature")


def _signer_in_seal(signature: SesSignature) -> Step:
    if not signature.seal.info.lists(signature.signer_certificate):
        return _failed("signer_in_seal", "signer_not_in_seal", "the seal does not list the signer certificate")
    return _passed("signer_in_seal")


def _seal_signature(signature: SesSignature, maker: Certificate | None) -> Step:
    seal = signature.seal
    if maker is None:
        return _failed("seal_signature", "maker_malformed", "the maker certificate cannot be read")
    if seal.algorithm != gm.SM2_WITH_SM3_OID:
        return _failed("seal_signature", "algorithm_unsupported", f"seal signature algorithm {seal.algorithm}")
    for message in seal.maker_messages():
        try:
            verify_sm2(maker, seal.signed_value, message, seal.algorithm)
        except DomainError:
            continue
        return _passed("seal_signature")
    return _failed("seal_signature", "seal_signature_invalid", "the maker's signature does not verify")


def _maker_certificate(
    signature: SesSignature, maker: Certificate | None, makers: ChainValidator, at: datetime
) -> Step:
    if maker is None:
        return _failed("maker_certificate", "maker_malformed", "the maker certificate cannot be read")
    try:
        makers.validate(maker, valid_at=signature.seal.info.created, revoked_by=at)
    except CertificateRejected as rejected:
        return _failed("maker_certificate", f"maker_{rejected.reason}", rejected.detail)
    return _passed("maker_certificate", str(maker.subject.human_friendly))


def _seal_validity(signature: SesSignature) -> Step:
    info, moment = signature.seal.info, signature.time
    if moment is None:
        return _failed("seal_validity", "signing_time_unknown", "the signing time cannot be read")
    if moment < info.valid_start:
        return _failed("seal_validity", "seal_not_yet_valid", f"the seal is valid from {info.valid_start:%Y-%m-%d}")
    if moment > info.valid_end:
        return _failed("seal_validity", "seal_expired", f"the seal expired {info.valid_end:%Y-%m-%d %H:%M:%S}")
    return _passed("seal_validity")


def _signer_certificate(
    signer: Certificate | None, signers: ChainValidator, signing_time: datetime, revoked_by: datetime
) -> Step:
    if signer is None:
        return _failed("signer_certificate", "signer_malformed", "the signer certificate cannot be read")
    try:
        signers.validate(signer, valid_at=signing_time, revoked_by=revoked_by)
    except CertificateRejected as rejected:
        return _failed("signer_certificate", f"signer_{rejected.reason}", rejected.detail)
    return _passed("signer_certificate", str(signer.subject.human_friendly))


def _data_hash(signature: SesSignature, data: bytes | None, data_hash: bytes | None) -> Step:
    if data is None and data_hash is None:
        return _failed("data_hash", "data_missing", "no document to compare with")
    computed = gm.sm3(data) if data is not None else data_hash
    assert computed is not None
    if len(signature.data_hash) != gm.SM3_DIGEST_SIZE or not hmac.compare_digest(computed, signature.data_hash):
        return _failed("data_hash", "data_hash_mismatch", "the document is not the one that was signed")
    return _passed("data_hash")


@dataclass(frozen=True)
class _Token:
    time: datetime
    imprint_hash: str
    imprint: bytes
    certificate: Certificate
    signed_attributes: bytes  # as a SET, the bytes the TSA signed
    signature: bytes
    signature_algorithm: str


def _timestamp(signature: SesSignature, tsas: ChainValidator | None, at: datetime) -> tuple[Step, datetime | None]:
    if signature.timestamp is None:
        return Step("timestamp", SKIPPED, detail="no time stamp"), None
    try:
        token = _read_token(signature.timestamp)
        token.certificate.public_key.verify(
            token.signature, token.signed_attributes, signature_oid=token.signature_algorithm
        )
    except (ValueError, DomainError) as exc:
        return _failed("timestamp", "timestamp_invalid", str(exc)), None
    expected = bytes(new_hash(token.imprint_hash, signature.signature).digest())
    if not hmac.compare_digest(expected, token.imprint):
        return _failed("timestamp", "timestamp_mismatch", "the time stamp is not over this signature"), None
    if signature.time is not None and signature.time > token.time + CLOCK_SKEW:
        return _failed("timestamp", "timestamp_invalid", "the time stamp is older than the signing time"), None
    if tsas is None:
        return _failed("timestamp", "tsa_untrusted", "no time-stamp authority is trusted"), None
    try:
        tsas.validate(token.certificate, valid_at=token.time, revoked_by=at)
    except CertificateRejected as rejected:
        return _failed("timestamp", f"tsa_{rejected.reason}", rejected.detail), None
    return _passed("timestamp", token.time.isoformat()), token.time


def _read_token(token: bytes) -> _Token:
    """The parts of a TimeStampToken to check; ValueError for anything else (the digests of its
    content and signed attributes are compared here, the signature by the caller)."""
    try:
        info = asn1_cms.ContentInfo.load(token, strict=True)
        if info["content_type"].dotted != _SIGNED_DATA_OID:
            raise ValueError("not SignedData")
        signed = info["content"]
        content = signed["encap_content_info"]
        if content["content_type"].dotted != _TST_INFO_OID:
            raise ValueError("not a time-stamp token")
        tst_der = bytes(content["content"].contents)
        tst = content["content"].parsed
        (signer_info,) = signed["signer_infos"]
        attributes = {a["type"].dotted: a["values"][0] for a in signer_info["signed_attrs"]}
        digest_name = _HASH_NAMES[signer_info["digest_algorithm"]["algorithm"].dotted]
        certificate = _tsa_certificate(signed, signer_info)
        parts = _Token(
            time=tst["gen_time"].native,
            imprint_hash=_HASH_NAMES[tst["message_imprint"]["hash_algorithm"]["algorithm"].dotted],
            imprint=bytes(tst["message_imprint"]["hashed_message"].native),
            certificate=certificate,
            signed_attributes=b"\x31" + signer_info["signed_attrs"].dump()[1:],
            signature=bytes(signer_info["signature"].native),
            signature_algorithm=signer_info["signature_algorithm"]["algorithm"].dotted,
        )
        message_digest = bytes(attributes[_MESSAGE_DIGEST_OID].native)
        content_type = attributes[_CONTENT_TYPE_OID].dotted
    except ValueError:
        raise
    except Exception as exc:  # asn1crypto raises TypeError, KeyError, ... on other bytes
        raise ValueError(f"unreadable time-stamp token ({type(exc).__name__})")
    if content_type != _TST_INFO_OID or not hmac.compare_digest(
        message_digest, bytes(new_hash(digest_name, tst_der).digest())
    ):
        raise ValueError("the token's signed attributes do not match its content")
    return parts


def _tsa_certificate(signed: Any, signer_info: Any) -> Certificate:
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        raise ValueError("the token names its signer by key identifier")
    wanted_issuer, wanted_serial = sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native
    for choice in signed["certificates"] or ():
        if choice.name != "certificate":
            continue
        candidate = choice.chosen
        if candidate.issuer.dump() == wanted_issuer and candidate.serial_number == wanted_serial:
            return load_certificate(candidate.dump())
    raise ValueError("the token does not carry the TSA certificate")
