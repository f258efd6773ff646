"""The electronic signature (GB/T 38540 SES_Signature) of every SM2 signature, kept with its
应用记录: made inside the signing transaction by `sign_for_record`, exported from the record page.

The SES_Signature signs the signed PDF as delivered (SM3 of its bytes): whoever holds that file
and the exported .sig can have both checked on the 验签 page (/verify/ses/) or through
POST /api/v1/verify/ses. It carries the seal's electronic seal (the first seal of the document,
placement order) and a time stamp from the platform TSA over the signature value.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from django.utils.translation import gettext as _

from inkseal.core.errors import DomainError, NotFound
from inkseal.pki.algorithms import SM2
from inkseal.pki.models import Certificate
from inkseal.pki.responders import time_stamp_authority
from inkseal.pki.services import signing_key_for
from inkseal.seals import ses
from inkseal.seals.models import Seal
from inkseal.seals.ses_services import electronic_seal_for_signing
from inkseal.signing.models import ElectronicSignature, SigningRecord

FILE_EXTENSION = "sig"  # OFD keeps it as SignedValue.dat; .esl is the usual name of a seal (SES_Seal)


def sign_for_record(
    record: SigningRecord,
    document: bytes,
    *,
    certificate: Certificate,
    seals: Sequence[Seal],
    at: datetime,
    signer_key: ses.Signer | None = None,
) -> bytes | None:
    """Make and keep the SES_Signature of `document` (the signed PDF) for `record`; None when the
    certificate is not SM2 or none of the seals is bound to it. Call inside the signing
    transaction, after the record is written, with the key the transaction already holds (without
    `signer_key`, the certificate is locked and checked again to get it)."""
    if certificate.algorithm != SM2.name:
        return None
    electronic = electronic_seal_for_signing(certificate, seals)
    if electronic is None:
        return None
    key = signer_key or signing_key_for(certificate, at=at).signer
    der = ses.make_signature(
        bytes(electronic.der),
        document,
        signer_certificate=bytes(certificate.der),
        signer_key=key,
        time=at,
        property_info=f"scope=document;hash=sm3;size={len(document)};event={record.event_id}",
        timestamper=platform_ses_timestamper(),
    )
    ElectronicSignature.objects.update_or_create(record=record, defaults={"der": der, "es_id": electronic.es_id})
    return der


def platform_ses_timestamper() -> Callable[[bytes], bytes] | None:
    """Time stamps over signature values from the platform TSA (responders.time_stamp_authority,
    numbered from its serial counter); None when no TSA is configured."""
    authority = time_stamp_authority()
    if authority is None:
        return None

    def stamp(signature_value: bytes) -> bytes:
        request = ses.timestamp_request(signature_value, nonce=secrets.randbits(63))
        try:
            return ses.timestamp_token(authority.respond(request))
        except ValueError as exc:  # the TSA refused
            raise DomainError(
                _("时间戳服务暂不可用，请稍后重试。"), code="timestamp_failed", status=503, detail=str(exc)
            )

    return stamp


def electronic_signature_of(record: SigningRecord) -> ElectronicSignature:
    """The record's SES_Signature (the caller has checked access to the record); NotFound if none."""
    found = ElectronicSignature.objects.filter(record=record).first()
    if found is None:
        raise NotFound(_("该应用记录没有电子签章数据（仅使用 SM2 证书的签章生成）。"))
    return found
