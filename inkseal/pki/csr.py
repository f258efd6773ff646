"""PKCS#10 certificate requests from UKEY tokens: parse, check, verify the self-signature.

Everything in a request is untrusted: size is bounded before parsing, the whole structure is
parsed up front, and every refusal is a specific CsrError. Only the public key (proof of
possession checked) is used for issuance; the subject of the certificate comes from our own
verified identity data, but an over-long requested subject is still refused as a sign of a
broken or hostile client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import csr as asn1_csr

from inkseal.pki.algorithms import PublicKey, load_public_key
from inkseal.pki.errors import (
    CsrMalformed,
    CsrSignatureInvalid,
    CsrSubjectTooLong,
    CsrTooLarge,
    CsrUnsupportedKey,
    SignatureInvalid,
    UnsupportedAlgorithm,
)
from inkseal.pki.pem import is_pem, unarmor

MAX_CSR_SIZE = 16 * 1024
MAX_SUBJECT_SIZE = 1024  # DER bytes of the requested subject
# RFC 5280 upper bounds (characters); other attributes get the generic bound.
_ATTRIBUTE_BOUNDS = {
    "common_name": 64,
    "organization_name": 64,
    "organizational_unit_name": 64,
    "serial_number": 64,
    "locality_name": 128,
    "state_or_province_name": 128,
    "country_name": 2,
}
_GENERIC_BOUND = 256
_PEM_LABELS = ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")


@dataclass(frozen=True)
class CertificateRequest:
    der: bytes
    public_key: PublicKey
    subject_der: bytes
    subject: dict[str, Any]  # the requested subject, for display and audit only


def parse_csr(data: bytes) -> CertificateRequest:
    """A checked request, or CsrTooLarge / CsrMalformed / CsrSubjectTooLong / CsrUnsupportedKey /
    CsrSignatureInvalid."""
    if len(data) > MAX_CSR_SIZE:
        raise CsrTooLarge(f"certificate request larger than {MAX_CSR_SIZE} bytes")
    request = _parse(data)
    info = request["certification_request_info"]
    subject = _checked_subject(info["subject"])
    public_key = _public_key(info)
    _verify(request, public_key)
    return CertificateRequest(bytes(request.dump()), public_key, bytes(info["subject"].dump()), subject)


def _parse(data: bytes) -> Any:
    try:
        der = unarmor(data, _PEM_LABELS) if is_pem(data) else data
        request = asn1_csr.CertificationRequest.load(der, strict=True)
        request.native  # noqa: B018 - parse it all now so bad DER fails here, not later
        if request["certification_request_info"]["version"].native != "v1":
            raise ValueError("unknown version")
    except Exception:  # asn1crypto raises ValueError, TypeError, ... on bad input
        raise CsrMalformed("not a readable PKCS#10 certificate request")
    return request


def _checked_subject(subject: Any) -> dict[str, Any]:
    if len(subject.dump()) > MAX_SUBJECT_SIZE:
        raise CsrSubjectTooLong(f"requested subject is larger than {MAX_SUBJECT_SIZE} bytes")
    native: dict[str, Any] = dict(subject.native)
    for name, value in native.items():
        bound = _ATTRIBUTE_BOUNDS.get(name, _GENERIC_BOUND)
        for item in value if isinstance(value, list) else [value]:
            if len(str(item)) > bound:
                raise CsrSubjectTooLong(f"{name} is longer than {bound} characters", field=name)
    return native


def _public_key(info: Any) -> PublicKey:
    try:
        return load_public_key(bytes(info["subject_pk_info"].dump()))
    except UnsupportedAlgorithm as exc:
        raise CsrUnsupportedKey(f"key not accepted: {exc.message}")


def _verify(request: Any, public_key: PublicKey) -> None:
    signature_oid = request["signature_algorithm"]["algorithm"].dotted
    signed_bytes = bytes(request["certification_request_info"].dump())
    try:
        public_key.verify(bytes(request["signature"]), signed_bytes, signature_oid=signature_oid)
    except UnsupportedAlgorithm:
        raise CsrSignatureInvalid(f"signature algorithm {signature_oid} is not accepted")
    except SignatureInvalid:
        hint = ""
        if public_key.algorithm.family == "sm2":  # OpenSSL 3 signs with an empty ID unless told
            hint = " (SM2 requests are signed with the ID 1234567812345678, e.g. -sigopt distid:1234567812345678)"
        raise CsrSignatureInvalid(f"the request's self-signature does not verify{hint}")
