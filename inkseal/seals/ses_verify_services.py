"""验签 of uploaded GB/T 38540 / GM/T 0031 electronic signatures (电子签章) on the platform: the
upload limits, the trust the pure verifier (`ses_verify`) is given (our CAs as trust anchors,
their CRLs for revocation, the trusted roots of other CAs for signers) and its report worded for
the page and the API.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.core.errors import DomainError
from inkseal.pki.authorities import parsed_certificate, policy_oids
from inkseal.pki.models import CertificateAuthority, TrustedRoot
from inkseal.pki.responders import certificate_status
from inkseal.pki.x509 import Certificate as X509Certificate
from inkseal.seals import ses, ses_parse
from inkseal.seals.models import SealMaker
from inkseal.seals.ses_chain import ChainValidator
from inkseal.seals.ses_verify import FAILED, SKIPPED, SesReport, SesTrust
from inkseal.seals.ses_verify import verify_signature as verify_ses_signature

MULTIPART_SLACK = 64 * 1024
Role = CertificateAuthority.Role


class SesTooLarge(DomainError):
    code = "ses_too_large"
    status = 413
    default_message = gettext_lazy("上传的文件过大。")


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
            ses_parse.decode_upload(signature), document, trust=ses_trust(), at=at or timezone.now()
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
