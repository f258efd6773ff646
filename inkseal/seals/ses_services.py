"""Electronic seals and signatures of GB/T 38540 (电子印章 / 电子签章) on the platform.

- the seal maker (制章者): our SM2 seal-making certificate, made at bootstrap (a setup step) or
  when first needed, renewed before it runs out (`ensure_seal_maker`);
- an electronic seal (SES_Seal) for every seal bound to an SM2 certificate
  (`do_make_electronic_seal`, called by `services.do_bind_seal` in the binding's transaction);
- what a signature needs (`electronic_seals_for_signing`: one per seal) and what checks one (`verify_ses`):
  our CAs as trust anchors, their CRLs for revocation, the trusted roots of other CAs for signers.

The signing app keeps the SES_Signature of each 应用记录 (inkseal.signing.records.ses).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.pki import hierarchy
from inkseal.pki.algorithms import SM2
from inkseal.pki.authorities import (
    authority,
    issuing_ca_for,
    locked_counter,
    parsed_certificate,
    policy_oids,
    public_urls,
)
from inkseal.pki.errors import CaNotReady
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate, CertificateAuthority, TrustedRoot
from inkseal.pki.responders import certificate_status
from inkseal.pki.x509 import Certificate as X509Certificate
from inkseal.seals import ses
from inkseal.seals.models import ENTERPRISE_TYPES, ElectronicSeal, Seal, SealBinding, SealMaker, SealType
from inkseal.seals.ses_verify import FAILED, SKIPPED, ChainValidator, SesReport, SesTrust
from inkseal.seals.ses_verify import verify_signature as verify_ses_signature

logger = logging.getLogger(__name__)

MAKER_RENEW_BEFORE = timedelta(days=30)
MULTIPART_SLACK = 64 * 1024
Role = CertificateAuthority.Role


class SesTooLarge(DomainError):
    code = "ses_too_large"
    status = 413
    default_message = gettext_lazy("上传的文件过大。")


# --- the seal maker ----------------------------------------------------------------------------


def _current_maker(now: datetime) -> SealMaker | None:
    return SealMaker.objects.filter(active=True, not_before__lte=now, not_after__gt=now).order_by("-not_after").first()


def _fresh(maker: SealMaker | None, now: datetime) -> bool:
    return maker is not None and maker.not_after - now > MAKER_RENEW_BEFORE


def ensure_seal_maker(*, acting: Acting | None = None, now: datetime | None = None) -> SealMaker:
    """The active seal maker, made (under the SM2 issuing CA) when there is none or it runs out
    within MAKER_RENEW_BEFORE; CaNotReady without an SM2 issuing CA. Safe from several processes."""
    now = (now or timezone.now()).replace(microsecond=0)
    maker = _current_maker(now)
    if maker is not None and _fresh(maker, now):
        return maker
    with transaction.atomic():
        locked_counter("seal_maker")
        maker = _current_maker(now)
        if maker is not None and _fresh(maker, now):
            return maker
        issuing = issuing_ca_for(SM2)
        if maker is not None and maker.not_after >= issuing.not_after:
            return maker  # it ends with the CA: a new one would not last longer
        store = keystore()
        keyed = hierarchy.create_seal_maker(
            authority(issuing),
            store,
            organization=settings.PKI_ORGANIZATION,
            urls=public_urls(),
            now=now,
            policies=policy_oids(),
        )
        SealMaker.objects.filter(active=True).update(active=False)
        certificate = keyed.certificate
        maker = SealMaker.objects.create(
            issuer=issuing,
            certificate_der=certificate.der,
            serial=format(certificate.serial, "x"),
            fingerprint=certificate.sha256_fingerprint,
            not_before=certificate.not_before,
            not_after=certificate.not_after,
            key_backend=store.backend,
            key_id=keyed.key_id,
        )
        record(
            events.SEAL_MAKER_CREATED,
            **(acting or Acting.system()).audit(),
            target=f"seal_maker:{maker.serial}",
            data={"issuer": issuing.ca_id, "not_after": maker.not_after},
        )
    return maker


def setup_seal_maker() -> None:
    """The `inkseal bootstrap` step: a seal maker as soon as there is an SM2 issuing CA."""
    try:
        ensure_seal_maker()
    except CaNotReady:
        logger.info("no SM2 issuing CA: electronic seals (GB/T 38540) are not made")


# --- electronic seals --------------------------------------------------------------------------


def do_make_electronic_seal(
    seal: Seal,
    certificate: Certificate,
    *,
    acting: Acting,
    now: datetime | None = None,
) -> ElectronicSeal | None:
    """The SES_Seal of `seal` for its SM2 `certificate` (made once per pair); None for other
    algorithms. The seal maker signs the picture, the size in mm, the name and the certificate."""
    if certificate.algorithm != SM2.name:
        return None
    existing = ElectronicSeal.objects.filter(seal=seal, certificate=certificate).first()
    if existing is not None:
        return existing
    now = (now or timezone.now()).replace(microsecond=0)
    maker = ensure_seal_maker(now=now)
    es_id = uuid.uuid4().hex.upper()
    der = ses.make_seal(
        maker_certificate=bytes(maker.certificate_der),
        maker_key=keystore(maker.key_backend).signer(maker.key_id),
        es_id=es_id,
        seal_type=ses.SEAL_TYPE_UNIT if seal.kind in ENTERPRISE_TYPES else ses.SEAL_TYPE_PERSONAL,
        name=_seal_name(seal),
        signer_certificates=[bytes(certificate.der)],
        picture=_picture(seal),
        created=now,
        valid_start=certificate.not_before,
        valid_end=certificate.not_after,
    )
    try:
        with transaction.atomic():
            electronic = ElectronicSeal.objects.create(
                seal=seal,
                certificate=certificate,
                maker=maker,
                es_id=es_id,
                der=der,
                valid_start=certificate.not_before,
                valid_end=certificate.not_after,
            )
            record(
                events.SEAL_ELECTRONIC_SEAL,
                **acting.audit(),
                target=f"seal:{seal.pk}",
                data={"es_id": es_id, "certificate": certificate.serial, "maker": maker.serial},
            )
    except IntegrityError:  # made concurrently for the same binding
        return ElectronicSeal.objects.get(seal=seal, certificate=certificate)
    return electronic


def _seal_name(seal: Seal) -> str:
    """印章名称 as the seal says it, e.g. 北京示范科技有限公司合同专用章 (always in Chinese)."""
    with translation.override("zh-hans"):
        label = str(SealType(seal.kind).label)
    return seal.name if seal.name.endswith(label) else f"{seal.name}{label}"


_PICTURE_MAGIC = ((b"\x89PNG", "PNG"), (b"\xff\xd8", "JPG"), (b"GIF8", "GIF"), (b"BM", "BMP"))


def _picture(seal: Seal) -> ses.Picture:
    with seal.image.open("rb") as handle:
        data = handle.read()
    kind = next((name for magic, name in _PICTURE_MAGIC if data.startswith(magic)), "SVG")
    return ses.Picture(kind, data, max(1, round(seal.width_mm)), max(1, round(seal.height_mm)))


def electronic_seals_for_signing(
    certificate: Certificate, seals: Sequence[Seal], *, acting: Acting | None = None
) -> list[ElectronicSeal]:
    """The electronic seals an SM2 signature with these seals carries, one per seal bound to the
    certificate, in placement order (a seal placed twice counts once); each made now if its
    binding predates electronic seals. [] for other algorithms."""
    if certificate.algorithm != SM2.name:
        return []
    bound = set(SealBinding.objects.filter(certificate=certificate, seal__in=seals).values_list("seal_id", flat=True))
    ordered = list({seal.pk: seal for seal in seals if seal.pk in bound}.values())
    made = [do_make_electronic_seal(seal, certificate, acting=acting or Acting.system()) for seal in ordered]
    return [electronic for electronic in made if electronic is not None]


# --- verification --------------------------------------------------------------------------------

STEP_LABELS = {
    "signature": gettext_lazy("电子签章签名值"),
    "signer_in_seal": gettext_lazy("签章者证书与电子印章匹配"),
    "seal_signature": gettext_lazy("制章者对电子印章的签名"),
    "maker_certificate": gettext_lazy("制章者证书"),
    "seal_validity": gettext_lazy("电子印章有效期"),
    "signer_certificate": gettext_lazy("签章者证书（证书链与吊销状态）"),
    "data_hash": gettext_lazy("原文杂凑值"),
    "timestamp": gettext_lazy("时间戳"),
}
_UNTRUSTED_MAKER = gettext_lazy("制章者证书不是本平台CA签发的，电子印章不可信。")
_MAKER_TIME = gettext_lazy("制章时制章者证书不在有效期内。")
_SIGNER_TIME = gettext_lazy("签章时签章者证书不在有效期内。")
_TSA_UNTRUSTED = gettext_lazy("时间戳服务的证书不可信。")
FAILURE_MESSAGES = {
    "signature_invalid": gettext_lazy("电子签章签名值验证失败：签章数据被篡改或不是该证书签署的。"),
    "algorithm_unsupported": gettext_lazy("签名算法不受支持（仅支持 SM2/SM3）。"),
    "signer_malformed": gettext_lazy("签章者证书无法解析。"),
    "signer_not_in_seal": gettext_lazy("签章者证书不在电子印章的证书列表中。"),
    "seal_signature_invalid": gettext_lazy("制章者对电子印章的签名验证失败：印章数据（如印章图像）被篡改。"),
    "maker_malformed": gettext_lazy("制章者证书无法解析。"),
    "maker_untrusted": _UNTRUSTED_MAKER,
    "maker_wrong_usage": gettext_lazy("该印章的签名证书不是制章者证书。"),
    "maker_expired": _MAKER_TIME,
    "maker_not_yet_valid": _MAKER_TIME,
    "maker_revoked": gettext_lazy("制章者证书已吊销。"),
    "seal_expired": gettext_lazy("签章时电子印章已过有效期。"),
    "seal_not_yet_valid": gettext_lazy("签章时电子印章尚未生效。"),
    "signing_time_unknown": gettext_lazy("无法读取签章时间。"),
    "signer_untrusted": gettext_lazy("签章者证书不是由本平台或互信CA签发的。"),
    "signer_expired": _SIGNER_TIME,
    "signer_not_yet_valid": _SIGNER_TIME,
    "signer_revoked": gettext_lazy("签章者证书已吊销。"),
    "signer_wrong_usage": gettext_lazy("签章者证书不能用于数字签名。"),
    "data_hash_mismatch": gettext_lazy("原文杂凑值不一致：上传的文件不是签章时的原文，或已被篡改。"),
    "data_missing": gettext_lazy("缺少签章原文。"),
    "timestamp_invalid": gettext_lazy("时间戳无效。"),
    "timestamp_mismatch": gettext_lazy("时间戳不是对本签名值签发的。"),
    "tsa_untrusted": _TSA_UNTRUSTED,
    "tsa_expired": _TSA_UNTRUSTED,
    "tsa_not_yet_valid": _TSA_UNTRUSTED,
    "tsa_revoked": _TSA_UNTRUSTED,
    "tsa_wrong_usage": _TSA_UNTRUSTED,
}
_PASSED = gettext_lazy("通过")
_NO_TIMESTAMP = gettext_lazy("未包含时间戳")
_FAILED = gettext_lazy("未通过")
_SEAL_TYPES = {ses.SEAL_TYPE_UNIT: gettext_lazy("单位印章"), ses.SEAL_TYPE_PERSONAL: gettext_lazy("个人印章")}


@dataclass(frozen=True)
class SesVerification:
    """What the page and the API show: the validator's report, worded, and the document's digest."""

    report: SesReport
    sha256: str
    size: int

    @property
    def valid(self) -> bool:
        return self.report.valid

    @property
    def message(self) -> str:
        failure = self.report.failure
        if failure is None:
            return _("电子签章有效：签章数据、电子印章、证书和原文均验证通过。")
        return _("电子签章无效：%(reason)s") % {"reason": failure_message(failure.code)}

    @property
    def steps(self) -> list[dict[str, Any]]:
        rows = []
        for step in self.report.steps:
            if step.status == FAILED:
                text = failure_message(step.code)
            else:
                text = str(_NO_TIMESTAMP if step.status == SKIPPED else _PASSED)
            rows.append({**step.as_dict(), "label": str(STEP_LABELS[step.name]), "message": text})
        return rows

    @property
    def seal_type_label(self) -> str:
        seal_type = self.report.signature.seal.info.seal_type
        return str(_SEAL_TYPES.get(seal_type, seal_type))

    @property
    def picture_data_url(self) -> str | None:
        """The seal picture for an <img> (raster types only; an SVG from an upload is not shown)."""
        picture = self.report.signature.seal.info.picture
        mime = {"PNG": "image/png", "JPG": "image/jpeg", "GIF": "image/gif", "BMP": "image/bmp"}.get(picture.type)
        if mime is None:
            return None
        return f"data:{mime};base64,{base64.b64encode(picture.data).decode()}"

    def as_dict(self) -> dict[str, Any]:
        body = self.report.as_dict()
        failure = self.report.failure
        if failure is not None:
            body["failure"]["message"] = failure_message(failure.code)
        return {**body, "message": self.message, "steps": self.steps, "sha256": self.sha256, "size": self.size}


def failure_message(code: str) -> str:
    return str(FAILURE_MESSAGES.get(code, _FAILED))


def check_ses_body_size(content_length: str | None) -> None:
    """Refuse a multipart body larger than a document and an SES_Signature could be."""
    try:
        size = int(content_length or 0)
    except ValueError:
        return
    if size > settings.VERIFY_MAX_BYTES + ses.MAX_SIZE + MULTIPART_SLACK:
        raise SesTooLarge(_("上传的文件过大。"))


def check_ses_upload_sizes(signature_size: int | None, document_size: int | None) -> None:
    """Refuse uploads over the limits before they are read (uploads spool to disk)."""
    if (signature_size or 0) > ses.MAX_SIZE:
        raise SesTooLarge(_("电子签章数据过大：不能超过 %(mb)s MB。") % {"mb": ses.MAX_SIZE // (1024 * 1024)})
    if (document_size or 0) > settings.VERIFY_MAX_BYTES:
        limit = settings.VERIFY_MAX_BYTES / (1024 * 1024)
        raise SesTooLarge(_("原文文件过大：不能超过 %(mb)s MB。") % {"mb": f"{limit:g}"})


def verify_ses(signature: bytes, document: bytes, *, at: datetime | None = None) -> SesVerification:
    """验签 of an uploaded SES_Signature (DER, Base64 or PEM) against the original document."""
    check_ses_upload_sizes(len(signature), len(document))
    try:
        report = verify_ses_signature(
            ses.decode_upload(signature), document, trust=ses_trust(), at=at or timezone.now()
        )
    except ses.SesMalformed as exc:
        raise exc.localised()
    return SesVerification(report, hashlib.sha256(document).hexdigest(), len(document))


def ses_trust() -> SesTrust:
    """Makers and time-stamp authorities under our active roots; signers also under the trusted
    roots of other CAs. Every CA certificate we ever issued from is offered as an intermediate."""
    cas = CertificateAuthority.objects.values_list("role", "active", "certificate_der")
    ours = [parsed_certificate(bytes(der)) for role, active, der in cas if role == Role.ROOT and active]
    below = [parsed_certificate(bytes(der)) for role, _active, der in cas if role != Role.ROOT]
    others = [
        parsed_certificate(bytes(der))
        for der in TrustedRoot.objects.filter(enabled=True).values_list("certificate_der", flat=True)
    ]
    return SesTrust(
        makers=ChainValidator(ours, below, revocation=crl_revocation, policy=seal_maker_policies()),
        signers=ChainValidator(ours + others, below, revocation=crl_revocation),
        timestamps=ChainValidator(ours, below, revocation=crl_revocation, extended_key_usage="time_stamping"),
    )


def seal_maker_policies() -> set[str]:
    """The seal-maker policy in force, and those of our earlier seal makers: seals made before the
    operator set their own policy arc stay verifiable (their maker certificates chain to our roots)."""
    policies = {policy_oids().seal_maker}
    for der in SealMaker.objects.values_list("certificate_der", flat=True):
        found = parsed_certificate(bytes(der)).asn1.certificate_policies_value
        policies.update(p["policy_identifier"].dotted for p in found or ())
    return policies


def crl_revocation(certificate: X509Certificate, issuer: X509Certificate) -> datetime | None:
    """When `certificate` was revoked by `issuer` (one of our CAs), from the certificate table our
    CRLs and OCSP answers are made from (responders.certificate_status); None when it is not
    revoked, or when the issuer is another CA's (we hold no revocation data of theirs)."""
    ca_id = CertificateAuthority.objects.filter(fingerprint=issuer.sha256_fingerprint).values_list("ca_id", flat=True)
    status = certificate_status(ca_id[0], certificate.serial) if ca_id else None
    return status.revoked_at if status is not None and status.kind == "revoked" else None
