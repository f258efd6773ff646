"""The electronic signature (GB/T 38540 SES_Signature) of every SM2 signature, kept with its
应用记录: made by the signing just before its transaction (`make_record_signature`), kept inside it
(`keep_record_signature`), exported from the record page.

The SES_Signature signs the signed PDF as delivered (SM3 of its bytes): whoever holds that file
and the exported .sig can have both checked on the 验签 page (/verify/ses/) or through
POST /api/v1/verify/ses. It carries the seal's electronic seal (the first seal of the document,
placement order) and a time stamp from the platform TSA over the signature value.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from inkseal.core.errors import DomainError, NotFound
from inkseal.pki.algorithms import SM2
from inkseal.pki.models import Certificate
from inkseal.pki.responders import time_stamp_authority
from inkseal.seals import ses
from inkseal.seals.models import Seal
from inkseal.seals.ses_services import electronic_seal_for_signing
from inkseal.signing.models import ElectronicSignature, SigningRecord

FILE_EXTENSION = "sig"  # OFD keeps it as SignedValue.dat; .esl is the usual name of a seal (SES_Seal)


@dataclass(frozen=True)
class RecordSignature:
    """An SES_Signature made for a signing event, to keep with its record."""

    der: bytes
    es_id: str


def make_record_signature(
    event_id: str,
    document: bytes,
    *,
    certificate: Certificate,
    seals: Sequence[Seal],
    at: datetime,
    signer_key: ses.Signer,
    timestamper: Callable[[bytes], bytes] | None,
) -> RecordSignature | None:
    """The SES_Signature of `document` (the signed PDF) for signing event `event_id`; None when the
    certificate is not SM2 or none of the seals is bound to it. Writes nothing: the signing makes
    it before its transaction and keeps it with `keep_record_signature` inside."""
    if certificate.algorithm != SM2.name:
        return None
    electronic = electronic_seal_for_signing(certificate, seals)
    if electronic is None:
        return None
    der = ses.make_signature(
        bytes(electronic.der),
        document,
        signer_certificate=bytes(certificate.der),
        signer_key=signer_key,
        time=at,
        property_info=f"scope=document;hash=sm3;size={len(document)};event={event_id}",
        timestamper=timestamper,
    )
    return RecordSignature(der, electronic.es_id)


def keep_record_signature(record: SigningRecord, made: RecordSignature) -> None:
    ElectronicSignature.objects.update_or_create(record=record, defaults={"der": made.der, "es_id": made.es_id})


def platform_ses_timestamper(respond: Callable[[bytes], bytes] | None = None) -> Callable[[bytes], bytes] | None:
    """Time stamps over signature values from the platform TSA: through `respond` (a TimeStampReq
    to a TimeStampResp, e.g. the signing's own time-stamper with its reserved serials), else
    responders.time_stamp_authority (numbered from the serial counter); None when no TSA is
    configured. SES_Signatures are SM2: their time stamps come from the SM2 TSA under root-sm2."""
    if respond is None:
        authority = time_stamp_authority(SM2.family)
        if authority is None:
            return None
        respond = authority.respond
    responder = respond

    def stamp(signature_value: bytes) -> bytes:
        request = ses.timestamp_request(signature_value, nonce=secrets.randbits(63))
        try:
            return ses.timestamp_token(responder(request))
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
