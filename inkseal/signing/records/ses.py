"""The electronic signatures (GB/T 38540 SES_Signature) of every SM2 signature, kept with its
应用记录: made by the signing just before its transaction (`make_record_signatures`), kept inside
it (`keep_record_signatures`), exported from the record page one file per seal.

Each seal the document was sealed with gets its own SES_Signature (公章 + 法定代表人章 make two):
an SES_Signature carries exactly one electronic seal (SES_Seal), so one per seal is the only way
every seal applied can be checked. Each signs the signed PDF as delivered (SM3 of its bytes):
whoever holds that file and an exported .sig can have both checked on the 验签 page
(/verify/ses/) or through POST /api/v1/verify/ses. Each has a time stamp from the platform TSA
over its signature value.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from inkseal.core.errors import NotFound
from inkseal.pki.algorithms import SM2
from inkseal.pki.models import Certificate
from inkseal.pki.responders import time_stamp_authority
from inkseal.seals import ses, ses_make, ses_parse
from inkseal.seals.models import Seal
from inkseal.seals.ses_services import electronic_seals_for_signing
from inkseal.signing.core.errors import TimestampFailed
from inkseal.signing.models import ElectronicSignature, SigningRecord

FILE_EXTENSION = "sig"  # OFD keeps it as SignedValue.dat; .esl is the usual name of a seal (SES_Seal)


@dataclass(frozen=True)
class RecordSignature:
    """An SES_Signature made for a signing event, to keep with its record."""

    der: bytes
    es_id: str
    seal_id: int


def make_record_signatures(
    event_id: str,
    document: bytes,
    *,
    certificate: Certificate,
    seals: Sequence[Seal],
    at: datetime,
    signer_key: ses.Signer,
    timestamper: Callable[[bytes], bytes] | None,
) -> tuple[RecordSignature, ...]:
    """The SES_Signatures of `document` (the signed PDF) for signing event `event_id`, one per seal
    bound to the certificate (placement order); () when the certificate is not SM2 or no seal is
    bound to it. Writes nothing: the signing makes them before its transaction and keeps them
    with `keep_record_signatures` inside."""
    if certificate.algorithm != SM2.name:
        return ()
    electronic_seals = electronic_seals_for_signing(certificate, seals)
    made = []
    for number, electronic in enumerate(electronic_seals, start=1):
        der = ses_make.make_signature(
            bytes(electronic.der),
            document,
            signer_certificate=bytes(certificate.der),
            signer_key=signer_key,
            time=at,
            property_info=(
                f"scope=document;hash=sm3;size={len(document)};event={event_id};seal={number}/{len(electronic_seals)}"
            ),
            timestamper=timestamper,
        )
        made.append(RecordSignature(der, electronic.es_id, electronic.seal_id))
    return tuple(made)


def keep_record_signatures(record: SigningRecord, made: Sequence[RecordSignature]) -> None:
    for signature in made:
        ElectronicSignature.objects.update_or_create(
            record=record, es_id=signature.es_id, defaults={"der": signature.der, "seal_id": signature.seal_id}
        )


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
        request = ses_make.timestamp_request(signature_value, nonce=secrets.randbits(63))
        try:
            return ses_parse.timestamp_token(responder(request))
        except ValueError as exc:  # the TSA refused
            raise TimestampFailed(detail=str(exc))

    return stamp


def electronic_signatures_of(record: SigningRecord) -> list[ElectronicSignature]:
    """The record's SES_Signatures, one per seal in placement order (the caller has checked
    access to the record)."""
    return list(ElectronicSignature.objects.filter(record=record).select_related("seal").order_by("pk"))


def electronic_signature_of(record: SigningRecord, es_id: str | None = None) -> ElectronicSignature:
    """The record's SES_Signature carrying electronic seal `es_id` (without one: the first seal's);
    NotFound if none."""
    rows = ElectronicSignature.objects.filter(record=record).select_related("seal").order_by("pk")
    found = rows.filter(es_id=str(es_id)[:64]).first() if es_id is not None else rows.first()
    if found is None:
        raise NotFound(_("该应用记录没有电子签章数据（仅使用 SM2 证书的签章生成）。"))
    return found


def export_name(record: SigningRecord, signature: ElectronicSignature) -> str:
    """The .sig file name: the event, the seal type and the electronic seal's id."""
    kind = signature.seal.kind if signature.seal is not None else "seal"
    return f"{record.event_id}-{kind}-{signature.es_id}.{FILE_EXTENSION}"
