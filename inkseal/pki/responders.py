"""The OCSP responder and the time-stamp authority over the database.

Both are built once per process from the CA rows and rebuilt when those change (a renewed OCSP
responder certificate, a new TSA): at once in the process that changed them, within
RECHECK_SECONDS elsewhere (one small query then, not one per request). Certificate status comes
straight from the certificate table on every live answer, so a revocation is visible from the
instant it commits.
Pre-signed answers: a request about one of our certificates (one SHA-1 CertID, as OpenSSL, pyHanko
and RFC 5019 clients send) gets the certificate's `OcspAnswer`, read by primary key with one raw
SQL statement and no signing, if it has PRESIGN_MARGIN left and was signed by the current
responder certificate; otherwise one is signed and stored on demand under the certificate's row
lock. The pki.refresh_ocsp_answers job re-signs those with less than PRESIGN_REFRESH left;
revocation replaces the answer in its own transaction (replace_ocsp_answer), so no server hands
out a stale "good" once the revocation has committed.
TSA serials come from a counter row incremented under a row lock, a block at a time per process
(next_tsa_serial): unique across processes, increasing within one.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from typing import Generic, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from inkseal.pki.authorities import TSA_ALGORITHM, generation, locked_counter, parsed_certificate, policy_oids
from inkseal.pki.authority_setup import active_tsa, ensure_hierarchy, ocsp_signers_due
from inkseal.pki.crl import RevocationReason
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate, CertificateAuthority, OcspAnswer
from inkseal.pki.ocsp import CertStatus, OcspIssuer, OcspResponder
from inkseal.pki.tsa import TimeStampAuthority

Role = CertificateAuthority.Role
T = TypeVar("T")

RECHECK_SECONDS = 5.0

_lock = threading.Lock()


class _Cached(Generic[T]):
    """A value built from CA rows, with the rows' version, the process generation and when checked."""

    def __init__(self, value: T, version: tuple[object, ...], generation: int, checked: float):
        self.value, self.version, self.generation, self.checked = value, version, generation, checked

    def fresh(self) -> bool:
        return self.generation == generation() and time.monotonic() - self.checked < RECHECK_SECONDS

    def still(self, version: tuple[object, ...]) -> bool:
        """Same rows as when built: keep it, checked now."""
        if self.generation != generation() or self.version != version:
            return False
        self.checked = time.monotonic()
        return True


_ocsp: _Cached[OcspResponder] | None = None
_tsa: dict[str, _Cached[TimeStampAuthority]] = {}  # by family: tsa-ecdsa, tsa-sm2


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
    cached = _ocsp
    if cached is not None and cached.fresh():
        return cached.value
    if ocsp_signers_due():
        ensure_hierarchy()
    version = _ocsp_version()
    if cached is not None and cached.still(version):
        return cached.value
    cas = CertificateAuthority.objects.filter(role=Role.ISSUING, active=True).exclude(ocsp_key_id="")
    responder = OcspResponder([_issuer(ca) for ca in cas], certificate_status, presigned=presigned_answer)
    with _lock:
        _ocsp = _Cached(responder, version, generation(), time.monotonic())
    return responder


PRESIGN_REFRESH = 30 * 60  # seconds: the job re-signs answers with less than this left (validity 1 h)
PRESIGN_MARGIN = 5 * 60  # seconds: an answer with less than this left is never handed out


# standard SQL quoting (SQLite and PostgreSQL); the table of models.OcspAnswer
_ANSWER_SQL = 'SELECT "der", "expires", "responder" FROM "pki_ocspanswer" WHERE "key" = %s'


def _answer_key(ca_id: str, serial: int) -> str:
    return f"{ca_id}:{serial:x}"


def _status_of(revoked_at: object, reason: int | None) -> CertStatus:
    if revoked_at is None:
        return CertStatus.good()
    assert isinstance(revoked_at, datetime)
    return CertStatus.revoked(revoked_at, RevocationReason(reason) if reason is not None else None)


def presigned_answer(issuer: OcspIssuer, serial: int) -> bytes | None:
    """The pre-signed answer about `serial` under `issuer` (one raw primary-key read), signed and
    stored now if missing, near expiry or from an older responder certificate; None if `serial` is
    not one of our certificates (the live path answers unknown, or good for a CA's service
    certificate)."""
    with connection.cursor() as cursor:
        cursor.execute(_ANSWER_SQL, [_answer_key(issuer.ca_id, serial)])
        row = cursor.fetchone()
    if row is not None and row[1] - PRESIGN_MARGIN > time.time() and row[2] == issuer.responder_tag:
        return bytes(row[0])
    return refresh_answer(issuer.ca_id, format(serial, "x"))


def refresh_answer(ca_id: str, hex_serial: str) -> bytes | None:
    """Sign and store the answer about our certificate `hex_serial` under `ca_id`, reading its
    status under its row lock (a revocation committing meanwhile waits, then replaces it)."""
    if not Certificate.objects.filter(issuer__ca_id=ca_id, serial=hex_serial).exists():
        return None  # not ours: no write transaction (on SQLite, a database-wide lock) per unknown serial
    with transaction.atomic():
        row = (
            Certificate.objects.select_for_update(no_key=True, of=("self",))
            .filter(issuer__ca_id=ca_id, serial=hex_serial)
            .values_list("revoked_at", "revocation_reason")
            .first()
        )
        if row is None:
            return None
        return _store_answer(ca_id, int(hex_serial, 16), _status_of(*row))


def replace_ocsp_answer(locked: Certificate) -> None:
    """For the revoking transaction, under the certificate's row lock: its answer now says what
    the row says (or, if it cannot be signed here, is removed so the live path answers)."""
    if locked.issuer_id is None:
        return
    ca_id = CertificateAuthority.objects.filter(pk=locked.issuer_id).values_list("ca_id", flat=True).get()
    OcspAnswer.objects.filter(key=_answer_key(ca_id, int(locked.serial, 16))).delete()
    if ca_id in ocsp_responder().issuers:
        _store_answer(ca_id, int(locked.serial, 16), _status_of(locked.revoked_at, locked.revocation_reason))


def _store_answer(ca_id: str, serial: int, status: CertStatus) -> bytes | None:
    responder = ocsp_responder()
    issuer = responder.issuers.get(ca_id)
    if issuer is None:
        return None
    answer, next_update = responder.presign(ca_id, serial, status)
    OcspAnswer.objects.update_or_create(
        key=_answer_key(ca_id, serial),
        defaults={
            "der": answer,
            "expires": int(next_update.timestamp()),
            "responder": issuer.responder_tag,
            "revoked": status.kind == "revoked",
        },
    )
    return answer


def refresh_ocsp_answers() -> int:
    """The periodic job: (re)sign the answers of our unexpired certificates that have none, less
    than PRESIGN_REFRESH left, or an older responder's signature; drop expired answers. Returns
    how many were signed."""
    responder = ocsp_responder()
    soon = time.time() + PRESIGN_REFRESH
    current = {
        key: (expires, tag) for key, expires, tag in OcspAnswer.objects.values_list("key", "expires", "responder")
    }
    due = Certificate.objects.filter(
        issuer__ca_id__in=list(responder.issuers), not_after__gt=timezone.now()
    ).values_list("issuer__ca_id", "serial")
    signed = 0
    for ca_id, hex_serial in due:
        held = current.get(_answer_key(ca_id, int(hex_serial, 16)))
        if held is None or held[0] < soon or held[1] != responder.issuers[ca_id].responder_tag:
            signed += refresh_answer(ca_id, hex_serial) is not None
    OcspAnswer.objects.filter(expires__lt=int(time.time())).delete()
    return signed


SERIAL_BLOCK = 256  # TSA serials reserved per counter update by the HTTP TSA (as the in-process one does)
_serials: list[int] = []  # this process's reserved and committed serials, handed out in order
_serials_owner = [os.getpid()]
_serials_lock = threading.Lock()


def next_tsa_serial() -> int:
    """A TSA serial no other token has or will have (RFC 3161 asks uniqueness, not order across
    processes). Outside a transaction (the HTTP TSA) from this process's block of SERIAL_BLOCK,
    reserved by one committed counter update, so a time stamp costs no database write; inside
    one, a single serial taken in that transaction (if it rolls back, so does the counter)."""
    if transaction.get_connection().in_atomic_block:
        return _take_serials(1)[0]
    with _serials_lock:
        if _serials_owner[0] != os.getpid():  # a forked child never uses its parent's block
            _serials.clear()
            _serials_owner[0] = os.getpid()
        if not _serials:
            _serials.extend(_take_serials(SERIAL_BLOCK))
        return _serials.pop(0)


def _take_serials(count: int) -> list[int]:
    with transaction.atomic():
        counter = locked_counter("tsa_serial")
        first = counter.value + 1
        counter.value += count
        counter.save(update_fields=["value"])
    return list(range(first, first + count))


def time_stamp_authority(family: str = TSA_ALGORITHM.family) -> TimeStampAuthority | None:
    """The TSA of `family` (None before the hierarchy exists, or with SM2 turned off), signing
    with its key, including its CA's certificate (the relying party holds the root)."""
    cached, policy = _tsa.get(family), policy_oids().time_stamping
    if cached is not None and cached.fresh() and cached.value.policy_oid == policy:
        return cached.value
    row = active_tsa(family)
    if row is None:
        return None
    version: tuple[object, ...] = (row.fingerprint, row.key_id, policy)
    if cached is not None and cached.still(version):
        return cached.value
    tsa = TimeStampAuthority(
        parsed_certificate(bytes(row.certificate_der)),
        keystore(row.key_backend).signer(row.key_id),
        serials=next_tsa_serial,
        chain=[parsed_certificate(bytes(row.parent.certificate_der))] if row.parent else [],
        policy_oid=policy,
    )
    with _lock:
        _tsa[family] = _Cached(tsa, version, generation(), time.monotonic())
    return tsa
