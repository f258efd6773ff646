"""The electronic signature (GB/T 38540 SES_Signature) of every SM2 signature, kept with its
应用记录: made inside the signing transaction by `sign_for_record`, exported from the record page.

The SES_Signature signs the signed PDF as delivered (SM3 of its bytes): whoever holds that file
and the exported .sig can have both checked on the 验签 page (/verify/ses/) or through
POST /api/v1/verify/ses. It carries the seal's electronic seal (the first seal of the document,
placement order) and a time stamp from the platform TSA over the signature value.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from inkseal.core.errors import DomainError, NotFound
from inkseal.pki.algorithms import SM2
from inkseal.pki.authorities import locked_counter, parsed_certificate
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate, CertificateAuthority, Counter
from inkseal.pki.services import signing_key_for
from inkseal.pki.tsa import TimeStampAuthority
from inkseal.seals import ses
from inkseal.seals.models import Seal
from inkseal.seals.ses_services import electronic_seal_for_signing
from inkseal.signing.models import ElectronicSignature, SigningRecord
from inkseal.signing.timestamper import TSA_SERIAL_COUNTER

FILE_EXTENSION = "sig"  # OFD keeps it as SignedValue.dat; .esl is the usual name of a seal (SES_Seal)


def sign_for_record(
    record: SigningRecord,
    document: bytes,
    *,
    certificate: Certificate,
    seals: Sequence[Seal],
    at: datetime,
) -> bytes | None:
    """Make and keep the SES_Signature of `document` (the signed PDF) for `record`; None when the
    certificate is not SM2 or none of the seals is bound to it. Call inside the signing
    transaction, after the record is written (the certificate row lock is taken again)."""
    if certificate.algorithm != SM2.name:
        return None
    electronic = electronic_seal_for_signing(certificate, seals)
    if electronic is None:
        return None
    key = signing_key_for(certificate, at=at)
    der = ses.make_signature(
        bytes(electronic.der),
        document,
        signer_certificate=bytes(certificate.der),
        signer_key=key.signer,
        time=at,
        property_info=f"scope=document;hash=sm3;size={len(document)};event={record.event_id}",
        timestamper=platform_ses_timestamper(),
    )
    ElectronicSignature.objects.update_or_create(record=record, defaults={"der": der, "es_id": electronic.es_id})
    return der


_authorities: dict[tuple[str, str, str], TimeStampAuthority] = {}  # one per TSA key, built once
_lock = threading.Lock()


def platform_ses_timestamper() -> Callable[[bytes], bytes] | None:
    """Time stamps over signature values from the platform TSA (an SM2 one when there is one),
    numbered from the TSA's serial counter; None when no TSA is configured."""
    rows = CertificateAuthority.objects.filter(role=CertificateAuthority.Role.TSA, active=True).select_related("parent")
    row = rows.filter(family=SM2.family).first() or rows.first()
    if row is None:
        return None
    version = (row.fingerprint, row.key_backend, row.key_id)
    with _lock:
        authority = _authorities.get(version)
        if authority is None:
            authority = TimeStampAuthority(
                parsed_certificate(bytes(row.certificate_der)),
                keystore(row.key_backend).signer(row.key_id),
                serials=_next_serial,
                chain=[parsed_certificate(bytes(row.parent.certificate_der))] if row.parent else [],
            )
            _authorities.clear()
            _authorities[version] = authority

    def stamp(signature_value: bytes) -> bytes:
        request = ses.timestamp_request(signature_value, nonce=secrets.randbits(63))
        try:
            return ses.timestamp_token(authority.respond(request))
        except ValueError as exc:  # the TSA refused
            raise DomainError(
                _("时间戳服务暂不可用，请稍后重试。"), code="timestamp_failed", status=503, detail=str(exc)
            )

    return stamp


def _next_serial() -> int:
    with transaction.atomic(savepoint=False):  # the signing transaction, or one of its own
        locked = Counter.objects.select_for_update(no_key=True).filter(name=TSA_SERIAL_COUNTER).first()
        counter = locked or locked_counter(TSA_SERIAL_COUNTER)
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value


def electronic_signature_of(record: SigningRecord) -> ElectronicSignature:
    """The record's SES_Signature (the caller has checked access to the record); NotFound if none."""
    found = ElectronicSignature.objects.filter(record=record).first()
    if found is None:
        raise NotFound(_("该应用记录没有电子签章数据（仅使用 SM2 证书的签章生成）。"))
    return found
