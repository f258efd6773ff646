"""RFC 3161 time-stamp authority, without HTTP.

`TimeStampAuthority.respond(request_der)` always returns a DER TimeStampResp and never raises:
a request it cannot read gets `rejection` with failInfo badDataFormat, an imprint hashed with an
algorithm outside `accepted_hashes` gets badAlg, a foreign policy unacceptedPolicy, any request
extension unacceptedExtension. Granted replies carry a CMS SignedData over TSTInfo, signed
through a KeyHandle with the ESS signing-certificate-v2 attribute (RFC 5816), the nonce echoed,
the serial from an injected monotonic counter, and the TSA certificate (with `chain`) when the
request sets certReq. SM3 imprints are accepted; an SM2 TSA key signs SM3 over Z_A || the signed
attributes, as GM/T 0010 signers do.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from asn1crypto import tsp as asn1_tsp

from inkseal.pki import der
from inkseal.pki.algorithms import HASH_OIDS, KeyHandle, new_hash
from inkseal.pki.errors import CaKeyMismatch
from inkseal.pki.oids import TSA_POLICY
from inkseal.pki.x509 import Certificate

log = logging.getLogger(__name__)

MAX_REQUEST_SIZE = 16 * 1024

_SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
_TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"
_CONTENT_TYPE_OID = "1.2.840.113549.1.9.3"
_MESSAGE_DIGEST_OID = "1.2.840.113549.1.9.4"
_SIGNING_CERTIFICATE_V2_OID = "1.2.840.113549.1.9.16.2.47"

DEFAULT_ACCEPTED_HASHES = ("sha256", "sha384", "sha512", "sm3")


class FailureInfo(IntEnum):
    """PKIFailureInfo bit numbers (RFC 3161 2.4.2)."""

    BAD_ALG = 0
    BAD_REQUEST = 2
    BAD_DATA_FORMAT = 5
    TIME_NOT_AVAILABLE = 14
    UNACCEPTED_POLICY = 15
    UNACCEPTED_EXTENSION = 16
    ADD_INFO_NOT_AVAILABLE = 17
    SYSTEM_FAILURE = 25


class _Rejected(Exception):
    def __init__(self, failure: FailureInfo, text: str):
        super().__init__(text)
        self.failure = failure
        self.text = text


@dataclass(frozen=True)
class _Request:
    imprint_der: bytes  # MessageImprint, copied verbatim into TSTInfo
    nonce: int | None
    cert_req: bool


def rejection(failure: FailureInfo, text: str) -> bytes:
    """TimeStampResp with status rejection (2), a status string and one failInfo bit."""
    status_string = der.sequence(der.tlv(der.UTF8_STRING, text.encode()))
    return der.sequence(der.sequence(der.integer(2), status_string, _failure_bits(failure)))


def _failure_bits(failure: FailureInfo) -> bytes:
    bit = int(failure)
    size = bit // 8 + 1
    value = (1 << (8 * size - 1 - bit)).to_bytes(size, "big")
    return der.bit_string(value, unused_bits=7 - bit % 8)


class TimeStampAuthority:
    def __init__(
        self,
        certificate: Certificate,
        signer: KeyHandle,
        *,
        serials: Callable[[], int],
        chain: Sequence[Certificate] = (),
        policy_oid: str = TSA_POLICY,
        accuracy: timedelta = timedelta(seconds=1),
        accepted_hashes: Sequence[str] = DEFAULT_ACCEPTED_HASHES,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        if certificate.public_key.spki_der != signer.public_key.spki_der:
            raise CaKeyMismatch("the TSA key does not match the TSA certificate")
        self.certificate = certificate
        self.signer = signer
        self.policy_oid = policy_oid
        self._serials = serials
        self._clock = clock
        self._accuracy = _accuracy(accuracy)
        self._hashes = {HASH_OIDS[h]: new_hash(h).digest_size for h in accepted_hashes}
        self._hash_oids = {der.oid(dotted): size for dotted, size in self._hashes.items()}
        self._certificates = der.implicit_constructed(0, b"".join(c.der for c in (certificate, *chain)))
        self._signing_certificate = _signing_certificate_v2(certificate)
        self._sid = der.sequence(certificate.asn1["tbs_certificate"]["issuer"].dump(), der.integer(certificate.serial))

    def respond(self, request_der: bytes) -> bytes:
        """A DER TimeStampResp for any input; never raises."""
        try:
            request = self._parse(request_der)
            return self._granted(request)
        except _Rejected as rejected:
            return rejection(rejected.failure, rejected.text)
        except Exception:
            log.exception("time-stamp authority failed")
            return rejection(FailureInfo.SYSTEM_FAILURE, "internal error")

    def _parse(self, data: bytes) -> _Request:
        if not data or len(data) > MAX_REQUEST_SIZE:
            raise _Rejected(FailureInfo.BAD_DATA_FORMAT, "request empty or too large")
        try:
            if (common := self._read_common(data)) is not None:
                return common
        except der.DerError:
            pass  # asn1crypto decides
        try:
            request = asn1_tsp.TimeStampReq.load(data, strict=True)
            request.native  # noqa: B018 - parse it all now so bad DER fails here
        except Exception:  # asn1crypto raises ValueError, TypeError, ... on bad input
            raise _Rejected(FailureInfo.BAD_DATA_FORMAT, "not a TimeStampReq")
        return self._checked(request)

    def _read_common(self, data: bytes) -> _Request | None:
        """The request most clients send (v1, an accepted hash with absent or NULL parameters,
        no policy, a non-negative nonce, certReq TRUE or absent, no extensions), read straight
        from its DER; None (or DerError) for anything else, which asn1crypto then reads and
        checks. Whatever this accepts, that path grants the same way (tests/pki/test_tsa.py)."""
        fields = der.read_sequence(data)
        if fields.read(der.INTEGER) != b"\x01":
            return None
        imprint = fields.read_element(der.SEQUENCE)
        parts = der.read_sequence(imprint)
        algorithm = der.Reader(parts.read(der.SEQUENCE))
        size = self._hash_oids.get(algorithm.read_element(der.OID_TAG))
        if size is None or not (algorithm.at_end or algorithm.read_element(der.NULL_TAG) == b"\x05\x00"):
            return None
        algorithm.expect_end()
        if len(parts.read(der.OCTET_STRING)) != size:
            return None
        parts.expect_end()
        nonce = fields.read_unsigned() if fields.next_tag() == der.INTEGER else None
        cert_req = fields.next_tag() == der.BOOLEAN
        if cert_req and fields.read(der.BOOLEAN) != b"\xff":
            return None
        if not fields.at_end:  # a policy, certReq FALSE spelled out, extensions, ...
            return None
        return _Request(imprint, nonce, cert_req)

    def _checked(self, request: Any) -> _Request:
        if request["version"].native != "v1":
            raise _Rejected(FailureInfo.BAD_REQUEST, "unsupported request version")
        imprint = request["message_imprint"]
        size = self._hashes.get(imprint["hash_algorithm"]["algorithm"].dotted)
        if size is None:
            raise _Rejected(FailureInfo.BAD_ALG, "hash algorithm not accepted")
        if len(imprint["hashed_message"].native) != size:
            raise _Rejected(FailureInfo.BAD_DATA_FORMAT, "hashed message has the wrong length")
        policy = request["req_policy"].native
        if policy is not None and request["req_policy"].dotted != self.policy_oid:
            raise _Rejected(FailureInfo.UNACCEPTED_POLICY, "policy not supported")
        if request["extensions"].native:
            raise _Rejected(FailureInfo.UNACCEPTED_EXTENSION, "extensions not supported")
        return _Request(bytes(imprint.dump()), request["nonce"].native, bool(request["cert_req"].native))

    def _granted(self, request: _Request) -> bytes:
        now = self._clock()
        if not self.certificate.not_before <= now <= self.certificate.not_after:
            raise _Rejected(FailureInfo.SYSTEM_FAILURE, "TSA certificate not valid now")
        token = self._token(self._tst_info(request, now), request.cert_req)
        return der.sequence(der.sequence(der.integer(0)), token)

    def _tst_info(self, request: _Request, now: datetime) -> bytes:
        nonce = der.integer(request.nonce) if request.nonce is not None else b""
        return der.sequence(
            der.integer(1),
            der.oid(self.policy_oid),
            request.imprint_der,
            der.integer(self._serials()),
            der.generalized_time(now, fraction=True),
            self._accuracy,
            nonce,
        )

    def _token(self, tst_info: bytes, include_certificates: bool) -> bytes:
        signer = self.signer
        digest = new_hash(signer.algorithm.hash_name, tst_info).digest()
        attributes = [
            _attribute(_CONTENT_TYPE_OID, der.oid(_TST_INFO_OID)),
            _attribute(_MESSAGE_DIGEST_OID, der.octet_string(digest)),
            _attribute(_SIGNING_CERTIFICATE_V2_OID, self._signing_certificate),
        ]
        signed_attributes = der.set_of(*attributes)  # signed as a SET (RFC 5652 5.4)
        signer_info = der.sequence(
            der.integer(1),
            self._sid,
            signer.algorithm.digest_algorithm_der,
            b"\xa0" + signed_attributes[1:],  # the same bytes as [0] IMPLICIT
            signer.algorithm.signature_algorithm_der,
            der.octet_string(signer.sign(signed_attributes)),
        )
        signed_data = der.sequence(
            der.integer(3),
            der.set_of(signer.algorithm.digest_algorithm_der),
            der.sequence(der.oid(_TST_INFO_OID), der.explicit(0, der.octet_string(tst_info))),
            self._certificates if include_certificates else b"",
            der.set_of(signer_info),
        )
        return der.sequence(der.oid(_SIGNED_DATA_OID), der.explicit(0, signed_data))


def _attribute(oid: str, value: bytes) -> bytes:
    return der.sequence(der.oid(oid), der.set_of(value))


def _signing_certificate_v2(certificate: Certificate) -> bytes:
    """SigningCertificateV2 { certs { ESSCertIDv2 { certHash (SHA-256: default, omitted), issuerSerial } } }."""
    issuer = certificate.asn1["tbs_certificate"]["issuer"].dump()
    issuer_serial = der.sequence(der.sequence(der.explicit(4, issuer)), der.integer(certificate.serial))
    cert_id = der.sequence(der.octet_string(hashlib.sha256(certificate.der).digest()), issuer_serial)
    return der.sequence(der.sequence(cert_id))


def _accuracy(accuracy: timedelta) -> bytes:
    micros_total = round(accuracy.total_seconds() * 1_000_000)
    if micros_total <= 0:
        raise ValueError("accuracy must be positive")
    seconds, rest = divmod(micros_total, 1_000_000)
    millis, micros = divmod(rest, 1000)
    parts = [der.integer(seconds) if seconds else b""]
    parts.append(der.implicit_primitive(0, der.integer(millis)[2:]) if millis else b"")
    parts.append(der.implicit_primitive(1, der.integer(micros)[2:]) if micros else b"")
    return der.sequence(*parts)
