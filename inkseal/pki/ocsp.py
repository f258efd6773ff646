"""OCSP responder logic (RFC 6960), without HTTP.

`OcspResponder.respond(request_der)` always returns a DER OCSPResponse and never raises:
unreadable requests get malformedRequest, issuers we do not serve get unauthorized, a failing
status lookup gets internalError. Responses are signed by each CA's delegated OCSP certificate
(id-kp-OCSPSigning + ocsp-nocheck), which is included in the response; the requester's nonce is
echoed. CertIDs hashed with SHA-1, SHA-256, SHA-384, SHA-512 or SM3 are understood.

The certificate status comes from an injected callable `lookup(ca_id, serial) -> CertStatus`
(the Django layer queries its certificate table; the responder has already matched the issuer
name and key hashes to one of its CAs).

Pre-signed answers (RFC 5019 style, as large CAs serve them): `presign(ca_id, serial, status)`
signs a one-CertID response (SHA-1 CertID, no nonce) ahead of time; an injected
`presigned(issuer, serial) -> bytes | None` lets `respond` hand such an answer out for a request
asking about one certificate with a SHA-1 CertID, without signing. A request's nonce is then not
echoed (RFC 8954 section 2.1 lets a responder ignore it); requests for several certificates, other
CertID hashes, or serials without a pre-signed answer are answered live, nonce echoed.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, Literal
from urllib.parse import unquote

from asn1crypto import ocsp as asn1_ocsp

from inkseal.pki import der
from inkseal.pki.algorithms import KeyHandle, new_hash
from inkseal.pki.crl import RevocationReason, revocation_second
from inkseal.pki.errors import CaKeyMismatch, OcspRequestMalformed
from inkseal.pki.x509 import Certificate

log = logging.getLogger(__name__)

MAX_REQUEST_SIZE = 16 * 1024
MAX_CERTS_PER_REQUEST = 32
MAX_NONCE_SIZE = 32  # RFC 8954

_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")
_BASIC_RESPONSE_OID = "1.3.6.1.5.5.7.48.1.1"
_NONCE_OID = "1.3.6.1.5.5.7.48.1.2"
_CERT_ID_HASHES = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "1.2.156.10197.1.401": "sm3",
}


class ResponseStatus(IntEnum):
    SUCCESSFUL = 0
    MALFORMED_REQUEST = 1
    INTERNAL_ERROR = 2
    TRY_LATER = 3
    SIG_REQUIRED = 5
    UNAUTHORIZED = 6


@dataclass(frozen=True)
class CertStatus:
    kind: Literal["good", "revoked", "unknown"]
    revoked_at: datetime | None = None
    reason: RevocationReason | None = None

    @classmethod
    def good(cls) -> CertStatus:
        return cls("good")

    @classmethod
    def unknown(cls) -> CertStatus:
        return cls("unknown")

    @classmethod
    def revoked(cls, revoked_at: datetime, reason: RevocationReason | None = None) -> CertStatus:
        return cls("revoked", revoked_at, reason)


StatusLookup = Callable[[str, int], CertStatus]
PresignedLookup = Callable[["OcspIssuer", int], "bytes | None"]
_SHA1_ALGORITHM = der.sequence(der.oid("1.3.14.3.2.26"), b"\x05\x00")  # with NULL parameters, as OpenSSL writes it


def error_response(status: ResponseStatus) -> bytes:
    return der.sequence(der.enumerated(int(status)))


@dataclass(frozen=True)
class OcspIssuer:
    """A CA this responder answers for, and its delegated responder certificate and key."""

    ca_id: str
    ca_certificate: Certificate
    responder_certificate: Certificate
    responder_signer: KeyHandle

    def __post_init__(self) -> None:
        self.responder_certificate.verify_signed_by(self.ca_certificate)
        if self.responder_certificate.public_key.spki_der != self.responder_signer.public_key.spki_der:
            raise CaKeyMismatch(f"the OCSP key of CA {self.ca_id} does not match its responder certificate")

    @property
    def responder_tag(self) -> str:
        """Names the responder certificate a pre-signed answer was signed under (its SHA-256)."""
        return self.responder_certificate.sha256_fingerprint

    def sha1_cert_id(self, serial: int) -> bytes:
        """The CertID (SHA-1, RFC 5019) of `serial` under this CA, as a pre-signed answer names it."""
        name = new_hash("sha1", self.ca_certificate.subject_der).digest()
        key = new_hash("sha1", bytes(self.ca_certificate.asn1.public_key["public_key"])).digest()
        return der.sequence(_SHA1_ALGORITHM, der.octet_string(name), der.octet_string(key), der.integer(serial))

    def cert_id_keys(self) -> list[tuple[str, bytes, bytes]]:
        """(hash, issuer name hash, issuer key hash) for every CertID hash we accept."""
        name = self.ca_certificate.subject_der
        key = bytes(self.ca_certificate.asn1.public_key["public_key"])
        return [
            (h, new_hash(h, name).digest(), new_hash(h, key).digest()) for h in sorted(set(_CERT_ID_HASHES.values()))
        ]


@dataclass(frozen=True)
class _Request:
    issuer_keys: list[tuple[str, bytes, bytes]]  # (hash name or "" if unsupported, name hash, key hash)
    cert_ids: list[bytes]  # DER, echoed verbatim
    serials: list[int]
    nonce_extension: bytes | None


class OcspResponder:
    def __init__(
        self,
        issuers: Sequence[OcspIssuer],
        lookup: StatusLookup,
        *,
        next_update: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        presigned: PresignedLookup | None = None,
    ):
        self._lookup = lookup
        self._presigned = presigned
        self.issuers = {issuer.ca_id: issuer for issuer in issuers}
        self._next_update = next_update
        self._clock = clock
        self._issuers: dict[tuple[str, bytes, bytes], OcspIssuer] = {}
        for issuer in issuers:
            for key in issuer.cert_id_keys():
                self._issuers[key] = issuer

    def respond(self, request_der: bytes) -> bytes:
        """A DER OCSPResponse for any input; never raises."""
        try:
            return self._respond(request_der)
        except Exception:
            log.exception("OCSP responder failed")
            return error_response(ResponseStatus.INTERNAL_ERROR)

    def respond_to_get(self, encoded_request: str) -> bytes:
        """The GET form: the path segment after /ocsp/ (URL-encoded base64 of the DER request)."""
        try:
            request_der = decode_get_request(encoded_request)
        except OcspRequestMalformed:
            return error_response(ResponseStatus.MALFORMED_REQUEST)
        return self.respond(request_der)

    def _respond(self, request_der: bytes) -> bytes:
        request = _parse_request(request_der)
        if request is None:
            return error_response(ResponseStatus.MALFORMED_REQUEST)
        issuer = self._single_issuer(request)
        if issuer is None:
            return error_response(ResponseStatus.UNAUTHORIZED)
        if self._presigned is not None and len(request.serials) == 1 and request.issuer_keys[0][0] == "sha1":
            answer = self._presigned(issuer, request.serials[0])
            if answer is not None:
                return answer
        now = self._clock().replace(microsecond=0)
        responses = [
            self._single_response(cert_id, self._lookup(issuer.ca_id, serial), now)
            for cert_id, serial in zip(request.cert_ids, request.serials, strict=True)
        ]
        return _signed_response(issuer, responses, request.nonce_extension, now)

    def presign(self, ca_id: str, serial: int, status: CertStatus) -> tuple[bytes, datetime]:
        """A signed answer about `serial` under CA `ca_id` for any requester (SHA-1 CertID, no
        nonce), and its nextUpdate. KeyError if this responder does not serve `ca_id`."""
        issuer = self.issuers[ca_id]
        now = self._clock().replace(microsecond=0)
        single = self._single_response(issuer.sha1_cert_id(serial), status, now)
        return _signed_response(issuer, [single], None, now), now + self._next_update

    def _single_issuer(self, request: _Request) -> OcspIssuer | None:
        # One delegated responder signs the whole response, so every CertID must name its CA.
        found = {self._issuers.get(key) for key in request.issuer_keys}
        return found.pop() if len(found) == 1 else None

    def _single_response(self, cert_id: bytes, status: CertStatus, now: datetime) -> bytes:
        return der.sequence(
            cert_id,
            _cert_status(status),
            der.generalized_time(now),
            der.explicit(0, der.generalized_time(now + self._next_update)),
        )


def _cert_status(status: CertStatus) -> bytes:
    if status.kind == "good":
        return b"\x80\x00"  # [0] IMPLICIT NULL
    if status.kind == "revoked" and status.revoked_at is not None:
        reason = b""
        if status.reason is not None and status.reason is not RevocationReason.UNSPECIFIED:
            reason = der.explicit(0, der.enumerated(int(status.reason)))
        # whole seconds, rounded up as in the CRL: never earlier than the recorded instant
        revoked = der.generalized_time(revocation_second(status.revoked_at))
        return der.implicit_constructed(1, revoked + reason)
    return b"\x82\x00"  # [2] IMPLICIT NULL: unknown


def _signed_response(issuer: OcspIssuer, responses: list[bytes], nonce_extension: bytes | None, now: datetime) -> bytes:
    responder_id = der.explicit(2, der.octet_string(issuer.responder_certificate.public_key.key_identifier))
    extensions = der.explicit(1, der.sequence(nonce_extension)) if nonce_extension else b""
    response_data = der.sequence(responder_id, der.generalized_time(now), der.sequence(*responses), extensions)
    signer = issuer.responder_signer
    basic = der.sequence(
        response_data,
        signer.algorithm.signature_algorithm_der,
        der.bit_string(signer.sign(response_data)),
        der.explicit(0, der.sequence(issuer.responder_certificate.der)),
    )
    response_bytes = der.sequence(der.oid(_BASIC_RESPONSE_OID), der.octet_string(basic))
    return der.sequence(der.enumerated(ResponseStatus.SUCCESSFUL), der.explicit(0, response_bytes))


def _parse_request(data: bytes) -> _Request | None:
    """The parts of an OCSPRequest we use, or None if it is not a well-formed request."""
    if not data or len(data) > MAX_REQUEST_SIZE:
        return None
    try:
        if (common := _read_common_request(data)) is not None:
            return common
    except der.DerError:
        pass  # asn1crypto decides
    try:
        return _read_request(asn1_ocsp.OCSPRequest.load(data, strict=True))
    except Exception:  # asn1crypto raises ValueError, TypeError, KeyError, ... on bad input
        return None


_HASH_OIDS = {der.oid(dotted): name for dotted, name in _CERT_ID_HASHES.items()}
_NONCE_OID_DER = der.oid(_NONCE_OID)


def _read_common_request(data: bytes) -> _Request | None:
    """The request most clients send (one CertID with a known hash, no signature, version or
    requestor name, non-critical extensions at most), read straight from its DER, about ten
    times faster than asn1crypto; None (or DerError) for anything else, which asn1crypto then
    reads. Whatever this accepts, asn1crypto reads the same way (tests/pki/test_ocsp.py)."""
    outer = der.read_sequence(data)
    tbs = der.Reader(outer.read(der.SEQUENCE))
    outer.expect_end()  # no optionalSignature
    request_list = der.Reader(tbs.read(der.SEQUENCE))  # DerError if a version or requestorName comes first
    single = der.Reader(request_list.read(der.SEQUENCE))
    cert_id = single.read_element(der.SEQUENCE)
    if not (request_list.at_end and single.at_end):  # several CertIDs, or singleRequestExtensions
        return None
    fields = der.read_sequence(cert_id)
    algorithm = der.Reader(fields.read(der.SEQUENCE))
    hash_name = _HASH_OIDS.get(algorithm.read_element(der.OID_TAG))
    if hash_name is None or not (algorithm.at_end or algorithm.read_element(der.NULL_TAG) == b"\x05\x00"):
        return None
    algorithm.expect_end()
    name_hash, key_hash = fields.read(der.OCTET_STRING), fields.read(der.OCTET_STRING)
    serial = fields.read_unsigned()
    fields.expect_end()
    nonce = None
    if not tbs.at_end:
        wrapper = der.Reader(tbs.read(0xA2))  # [2] EXPLICIT Extensions
        extensions = der.Reader(wrapper.read(der.SEQUENCE))
        wrapper.expect_end()
        if extensions.at_end:
            return None
        while not extensions.at_end:
            extension = extensions.read_element(der.SEQUENCE)
            parts = der.read_sequence(extension)
            oid = parts.read_element(der.OID_TAG)
            if parts.next_tag() == der.BOOLEAN:
                return None  # critical (or a non-DER explicit FALSE): asn1crypto decides
            value = parts.read(der.OCTET_STRING)
            parts.expect_end()
            if oid != _NONCE_OID_DER or nonce is not None or not 1 <= len(value) <= MAX_NONCE_SIZE + 2:
                return None
            inner = der.Reader(value)  # asn1crypto reads the value as the OCTET STRING RFC 6960 says
            inner.read(der.OCTET_STRING)
            inner.expect_end()
            nonce = extension
    tbs.expect_end()
    return _Request([(hash_name, name_hash, key_hash)], [cert_id], [serial], nonce)


def _read_request(request: Any) -> _Request:
    """Raises ValueError (or asn1crypto's errors) for anything that is not a valid request."""
    tbs = request["tbs_request"]
    if tbs["version"].native != "v1":
        raise ValueError("unsupported OCSP request version")
    items = list(tbs["request_list"])
    if not 1 <= len(items) <= MAX_CERTS_PER_REQUEST:
        raise ValueError("bad number of CertIDs")
    issuer_keys, cert_ids, serials = [], [], []
    for item in items:
        cert_id = item["req_cert"]
        hash_name = _CERT_ID_HASHES.get(cert_id["hash_algorithm"]["algorithm"].dotted, "")
        issuer_keys.append((hash_name, bytes(cert_id["issuer_name_hash"]), bytes(cert_id["issuer_key_hash"])))
        serials.append(int(cert_id["serial_number"].native))
        cert_ids.append(bytes(cert_id.dump()))
    return _Request(issuer_keys, cert_ids, serials, _nonce_extension(tbs["request_extensions"]))


def _nonce_extension(extensions: Any) -> bytes | None:
    """The nonce extension's DER, to echo verbatim; None if absent."""
    nonce = None
    for extension in extensions if extensions.native is not None else []:
        if extension["extn_id"].dotted == _NONCE_OID:
            # Measured on the raw extnValue (OCTET STRING wrapped or not: clients differ).
            if not 1 <= len(extension["extn_value"].contents) <= MAX_NONCE_SIZE + 2:
                raise ValueError("nonce length out of range")
            nonce = bytes(extension.dump())
        elif extension["critical"].native:
            raise ValueError("critical request extension not understood")
    return nonce


def decode_get_request(encoded: str) -> bytes:
    """RFC 6960 A.1: URL-decoding then base64 of the DER request; OcspRequestMalformed if not."""
    if len(encoded) > MAX_REQUEST_SIZE * 2:
        raise OcspRequestMalformed("OCSP request too large")
    text = "".join(unquote(encoded).split()).translate(_URLSAFE_TO_STANDARD)
    text += "=" * (-len(text) % 4)  # some clients drop the padding
    try:
        request = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise OcspRequestMalformed("OCSP GET request is not base64")
    if not request:
        raise OcspRequestMalformed("empty OCSP request")
    return request
