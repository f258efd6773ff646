"""The OCSP responder and the time-stamp authority over the database.

Both are built once per process from the CA rows and rebuilt when those change (a renewed OCSP
responder certificate, a new TSA): each request costs one small query to notice that. Status
comes straight from the certificate table, so a revocation is visible from the instant it commits.
TSA serials come from a counter row incremented under a row lock: monotonic across processes.
"""

from __future__ import annotations

import threading

from django.db import transaction

from inkseal.pki.authorities import ensure_hierarchy, locked_counter, ocsp_signers_due, parsed_certificate
from inkseal.pki.crl import RevocationReason
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate, CertificateAuthority
from inkseal.pki.ocsp import CertStatus, OcspIssuer, OcspResponder
from inkseal.pki.tsa import TimeStampAuthority

Role = CertificateAuthority.Role

_lock = threading.Lock()
_ocsp: tuple[tuple[object, ...], OcspResponder] | None = None
_tsa: tuple[tuple[object, ...], TimeStampAuthority] | None = None


def certificate_status(ca_id: str, serial: int) -> CertStatus:
    """What OCSP says about `serial` under CA `ca_id`: our end-entity certificates, and the TSA and
    other service certificates the CA issued (they carry an OCSP pointer too)."""
    hex_serial = format(serial, "x")
    row = (
        Certificate.objects.filter(issuer__ca_id=ca_id, serial=hex_serial)
        .values_list("revoked_at", "revocation_reason")
        .first()
    )
    if row is not None:
        revoked_at, reason = row
        if revoked_at is None:
            return CertStatus.good()
        return CertStatus.revoked(revoked_at, RevocationReason(reason) if reason is not None else None)
    if CertificateAuthority.objects.filter(parent__ca_id=ca_id, serial=hex_serial).exists():
        return CertStatus.good()
    return CertStatus.unknown()


def _ocsp_version() -> tuple[object, ...]:
    return tuple(
        CertificateAuthority.objects.filter(role=Role.ISSUING, active=True)
        .exclude(ocsp_key_id="")
        .order_by("pk")
        .values_list("ca_id", "fingerprint", "ocsp_key_id")
    )


def _issuer(ca: CertificateAuthority) -> OcspIssuer:
    assert ca.ocsp_certificate_der is not None
    return OcspIssuer(
        ca.ca_id,
        parsed_certificate(bytes(ca.certificate_der)),
        parsed_certificate(bytes(ca.ocsp_certificate_der)),
        keystore(ca.ocsp_key_backend).signer(ca.ocsp_key_id),
    )


def ocsp_responder() -> OcspResponder:
    """The responder for every active issuing CA, renewing responder certificates that are due."""
    global _ocsp
    version = _ocsp_version()
    cached = _ocsp
    if cached is not None and cached[0] == version:
        return cached[1]
    if ocsp_signers_due():
        ensure_hierarchy()
        version = _ocsp_version()
    cas = CertificateAuthority.objects.filter(role=Role.ISSUING, active=True).exclude(ocsp_key_id="")
    responder = OcspResponder([_issuer(ca) for ca in cas], certificate_status)
    with _lock:
        _ocsp = (version, responder)
    return responder


def next_tsa_serial() -> int:
    with transaction.atomic():
        counter = locked_counter("tsa_serial")
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value


def _tsa_row() -> CertificateAuthority | None:
    return CertificateAuthority.objects.filter(role=Role.TSA, active=True).select_related("parent").first()


def time_stamp_authority() -> TimeStampAuthority | None:
    """The TSA (None before the hierarchy exists), signing with its key, including its CA's certificate."""
    global _tsa
    row = _tsa_row()
    if row is None:
        return None
    version: tuple[object, ...] = (row.fingerprint, row.key_id)
    cached = _tsa
    if cached is not None and cached[0] == version:
        return cached[1]
    chain = [parsed_certificate(bytes(row.parent.certificate_der))] if row.parent else []
    tsa = TimeStampAuthority(
        parsed_certificate(bytes(row.certificate_der)),
        keystore(row.key_backend).signer(row.key_id),
        serials=next_tsa_serial,
        chain=chain,
    )
    with _lock:
        _tsa = (version, tsa)
    return tsa
