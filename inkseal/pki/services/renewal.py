"""续期: which certificates may be renewed, and the renewal itself (a new key, the old one superseded)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import get_algorithm
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.errors import ExternalCertificate, RenewalNotAllowed
from inkseal.pki.models import Certificate
from inkseal.pki.profiles import Validity, add_years
from inkseal.pki.services._common import Medium, _audit, _now
from inkseal.pki.services.eligibility import check_csr, check_holder, check_ukey_serial, check_years, is_dual
from inkseal.pki.services.issuance import _issue, _issue_encryption, _new_cloud_key
from inkseal.pki.status import USABLE, CertificateStatus, certificate_status


def check_renewable(certificate: Certificate, now: datetime) -> None:
    """Renewal of our own certificate that is 待续期 (or 待变更: renewal picks up the new data)."""
    if certificate.is_external:
        raise ExternalCertificate(_("其他CA签发的证书请向其签发机构办理续期。"))
    if certificate.is_encryption:
        raise RenewalNotAllowed(_("加密证书随对应的签名证书一起续期，请续期签名证书。"))
    if Certificate.objects.filter(renews=certificate).exists():
        raise RenewalNotAllowed(_("该证书已续期。"))
    status = certificate_status(certificate, now=now)
    if status not in USABLE:
        raise RenewalNotAllowed(_("已吊销或已过期的证书不能续期，请重新申请证书。"))
    if status == CertificateStatus.VALID:
        raise RenewalNotAllowed(_("证书到期前 %(days)d 天内方可续期。") % {"days": settings.PKI_RENEWAL_WINDOW_DAYS})


def renew_certificate(
    certificate: Certificate,
    *,
    years: int,
    acting: Acting,
    csr: bytes | None = None,
    ukey_serial: str | None = None,
    now: datetime | None = None,
) -> Certificate:
    """续期: a new key (cloud: made here; UKEY: a new request from the token), validity from now to
    the old expiry plus `years`, linked to the old certificate, which is superseded (not revoked)
    from the new one's start: it can no longer sign, and it does not appear on the CRL. A dual
    pair is renewed as a pair: a new escrowed encryption key and certificate, superseding the old."""
    now = _now(now)
    check_years(years)
    request = check_csr(csr) if csr is not None else None
    with transaction.atomic():
        old = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
        check_renewable(old, now)
        subject = check_holder(old.holder)
        validity = Validity(now, add_years(old.not_after, years))
        if old.medium == Medium.CLOUD:
            backend, key_id, public_key = _new_cloud_key(get_algorithm(old.algorithm), old.holder)
            new = _issue(
                old.holder,
                subject,
                public_key=public_key,
                usage=old.usage,
                medium=Medium.CLOUD,
                validity=validity,
                key_backend=backend,
                key_id=key_id,
                renews=old,
                pin_hash=old.pin_hash,
            )
        else:
            if request is None:
                raise RenewalNotAllowed(_("UKEY 证书续期需要 UKEY 重新生成的证书请求。"))
            if request.public_key.spki_der == _public_key_der(old):
                raise RenewalNotAllowed(_("续期须更换密钥：请在 UKEY 上生成新的密钥对。"))
            new = _issue(
                old.holder,
                subject,
                public_key=request.public_key,
                usage=old.usage,
                medium=Medium.UKEY,
                validity=validity,
                ukey_serial=check_ukey_serial(ukey_serial or old.ukey_serial),
                renews=old,
            )
        _audit(events.CERTIFICATE_RENEW, new, acting, renews=old.serial, years=years)
        if is_dual(subject.kind, get_algorithm(new.algorithm)):
            old_encryption = old.pair()
            if old_encryption is not None:
                old_encryption = Certificate.objects.select_for_update(no_key=True).get(pk=old_encryption.pk)
            _issue_encryption(new, subject, validity, acting, renews=old_encryption)
    return new


def _public_key_der(certificate: Certificate) -> bytes:
    return parsed_certificate(bytes(certificate.der)).public_key.spki_der
