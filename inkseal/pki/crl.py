"""Certificate revocation lists (RFC 5280 section 5), written straight to DER.

A CRL with 100k entries is ~4 MB of DER; building it through asn1crypto objects takes tens of
seconds, so entries are encoded by hand (`der`), with the per-reason extensions encoded once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from inkseal.pki import der
from inkseal.pki.reasons import RevocationReason
from inkseal.pki.x509 import CertificateAuthority, signed_structure

# Labels for the revocation form (kept as data here; the templates translate the UI around them).
REASON_LABELS_ZH: dict[RevocationReason, str] = {
    RevocationReason.UNSPECIFIED: "未指定原因",
    RevocationReason.KEY_COMPROMISE: "密钥泄露",
    RevocationReason.CA_COMPROMISE: "CA 密钥泄露",
    RevocationReason.AFFILIATION_CHANGED: "从属关系变更",
    RevocationReason.SUPERSEDED: "证书已被替换",
    RevocationReason.CESSATION_OF_OPERATION: "停止使用",
    RevocationReason.CERTIFICATE_HOLD: "证书冻结",
    RevocationReason.REMOVE_FROM_CRL: "从 CRL 中删除",
    RevocationReason.PRIVILEGE_WITHDRAWN: "权限撤销",
    RevocationReason.AA_COMPROMISE: "属性机构密钥泄露",
}

# What a certificate holder or operator may pick when revoking an end-entity certificate.
SUBSCRIBER_REASONS: tuple[RevocationReason, ...] = (
    RevocationReason.KEY_COMPROMISE,
    RevocationReason.AFFILIATION_CHANGED,
    RevocationReason.SUPERSEDED,
    RevocationReason.CESSATION_OF_OPERATION,
    RevocationReason.PRIVILEGE_WITHDRAWN,
)


@dataclass(frozen=True)
class RevokedEntry:
    serial: int
    revoked_at: datetime
    reason: RevocationReason = RevocationReason.UNSPECIFIED


def _reason_extensions(reason: RevocationReason) -> bytes:
    # RFC 5280: the reasonCode extension is absent rather than "unspecified".
    if reason is RevocationReason.UNSPECIFIED:
        return b""
    extension = der.sequence(der.oid("2.5.29.21"), der.octet_string(der.enumerated(int(reason))))
    return der.sequence(extension)


_REASON_EXTENSIONS = {reason: _reason_extensions(reason) for reason in RevocationReason}


def revocation_second(moment: datetime) -> datetime:
    """The revocation time as CRLs and OCSP answers write it, in whole seconds (RFC 5280 forbids
    fractions, and common parsers such as pyca/cryptography refuse them in OCSP too): a revocation
    at 12:00:00.4 is written 12:00:01, never 12:00:00, which would date it before signatures that
    were made (and recorded as successes) before the revocation."""
    return moment if not moment.microsecond else moment.replace(microsecond=0) + timedelta(seconds=1)


def _entry(entry: RevokedEntry) -> bytes:
    # Inlined der.sequence(der.integer(...), der.x509_time(...), ...): this runs once per entry.
    serial = entry.serial
    serial_bytes = serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=True)
    body = b"".join(
        (
            b"\x02",
            der.length(len(serial_bytes)),
            serial_bytes,
            der.x509_time(revocation_second(entry.revoked_at)),
            _REASON_EXTENSIONS[entry.reason],
        )
    )
    return b"\x30" + der.length(len(body)) + body


def build_crl(
    ca: CertificateAuthority,
    entries: Iterable[RevokedEntry],
    *,
    crl_number: int,
    this_update: datetime,
    next_update: datetime,
) -> bytes:
    """A signed v2 CRL (DER) with AKI and CRL number; `crl_number` must grow with every CRL."""
    if not 0 <= crl_number < 1 << 159:
        raise ValueError("CRL number must be a non-negative integer of at most 20 octets")
    if next_update <= this_update:
        raise ValueError("nextUpdate must be later than thisUpdate")
    revoked = b"".join(_entry(e) for e in entries)
    authority_key_id = der.sequence(der.implicit_primitive(0, ca.key_identifier))
    extensions = der.sequence(
        der.sequence(der.oid("2.5.29.35"), der.octet_string(authority_key_id)),
        der.sequence(der.oid("2.5.29.20"), der.octet_string(der.integer(crl_number))),
    )
    tbs = der.sequence(
        der.integer(1),  # v2
        ca.algorithm.signature_algorithm_der,
        ca.subject_der,
        der.x509_time(this_update),
        der.x509_time(next_update),
        der.tlv(der.SEQUENCE, revoked) if revoked else b"",
        der.explicit(0, extensions),
    )
    return signed_structure(tbs, ca.signer)
