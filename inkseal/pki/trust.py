"""CA互信互认: roots of other CAs that the operator trusts, and UKEY certificates issued under them
that users register so they show in their lists (and, later, sign).

A registered certificate must chain to an enabled trusted root (pyhanko-certvalidator, with the
intermediates the user supplies), be valid now, name the holder, and not be revoked: revocation
is checked through the certificate's CRL/OCSP pointers when settings.PKI_FETCH_REVOCATION allows
network access and the CA answers (soft-fail otherwise), or against CRLs passed in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.models import Party
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.errors import (
    CertificateMalformed,
    ExternalCertificateRejected,
    SignatureInvalid,
    TrustedRootInvalid,
    UnsupportedAlgorithm,
)
from inkseal.pki.models import Certificate, CertificateAuthority, TrustedRoot
from inkseal.pki.services import check_holder, check_ukey_serial
from inkseal.pki.x509 import Certificate as X509Certificate
from inkseal.pki.x509 import load_certificate

MAX_INTERMEDIATES = 5
T = TypeVar("T")


def _load(data: bytes, error: type[ExternalCertificateRejected] | type[TrustedRootInvalid]) -> X509Certificate:
    try:
        certificate = load_certificate(data)
        certificate.public_key  # noqa: B018 - refuse algorithms we cannot verify now, not later
    except CertificateMalformed:
        raise error(_("不是有效的 X.509 证书（PEM 或 DER）。"))
    except UnsupportedAlgorithm:
        raise error(_("证书的密钥算法不受支持。"))
    return certificate


def check_trusted_root(data: bytes, now: datetime | None = None) -> X509Certificate:
    """A self-signed CA certificate, valid now."""
    now = now or timezone.now()
    certificate = _load(data, TrustedRootInvalid)
    if not certificate.asn1.ca:
        raise TrustedRootInvalid(_("该证书不是CA证书。"))
    try:
        certificate.verify_signed_by(certificate)
    except (SignatureInvalid, UnsupportedAlgorithm):
        raise TrustedRootInvalid(_("互信根证书须为自签名的根证书。"))
    if not certificate.not_before <= now <= certificate.not_after:
        raise TrustedRootInvalid(_("该根证书不在有效期内。"))
    if TrustedRoot.objects.filter(fingerprint=certificate.sha256_fingerprint).exists():
        raise TrustedRootInvalid(_("该根证书已登记。"))
    return certificate


def add_trusted_root(name: str, data: bytes, *, acting: Acting) -> TrustedRoot:
    name = name.strip()
    if not 1 <= len(name) <= 128:
        raise TrustedRootInvalid(_("请填写CA机构名称（1–128个字）。"))
    certificate = check_trusted_root(data)
    with transaction.atomic():
        root = TrustedRoot.objects.create(
            name=name,
            certificate_der=certificate.der,
            fingerprint=certificate.sha256_fingerprint,
            subject=certificate.subject.human_friendly[:255],
            not_after=certificate.not_after,
        )
        record(
            events.PKI_TRUSTED_ROOT_ADD,
            **acting.audit(),
            target=f"trusted_root:{root.pk}",
            data={"name": name, "fingerprint": root.fingerprint, "subject": root.subject},
        )
    return root


def _names_holder(certificate: X509Certificate, holder_name: str) -> bool:
    native = certificate.subject.native
    values = [native.get("common_name"), native.get("organization_name")]
    return any(holder_name in (v if isinstance(v, list) else [v]) for v in values if v)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run pyhanko-certvalidator's coroutine from sync code, also when this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _validate_chain(
    certificate: X509Certificate,
    roots: Sequence[TrustedRoot],
    intermediates: Sequence[X509Certificate],
    crls: Sequence[bytes],
    now: datetime,
) -> TrustedRoot:
    # pyhanko-certvalidator is imported here, not at Django setup (the CLI starts without it).
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, RevokedError, ValidationError

    by_fingerprint = {root.fingerprint: root for root in roots}
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(bytes(root.certificate_der)) for root in roots],
        other_certs=[c.asn1 for c in intermediates],
        moment=now,
        allow_fetching=settings.PKI_FETCH_REVOCATION,
        crls=list(crls),
        revocation_mode="soft-fail",
    )
    validator = CertificateValidator(certificate.asn1, [c.asn1 for c in intermediates], validation_context=context)
    try:
        path = _run(validator.async_validate_path())
    except RevokedError:
        raise ExternalCertificateRejected(_("该证书已被其签发CA吊销。"))
    except PathBuildingError:
        raise ExternalCertificateRejected(
            _("无法构建到互信根证书的证书链：请确认签发CA已由运营人员登记，并上传中级CA证书。")
        )
    except ValidationError as exc:
        raise ExternalCertificateRejected(_("证书链验证失败。"), detail=str(exc)[:200])
    anchor = path.trust_anchor.authority
    anchor_der = anchor.certificate.dump() if hasattr(anchor, "certificate") else b""
    root = by_fingerprint.get(X509Certificate(bytes(anchor_der)).sha256_fingerprint) if anchor_der else None
    if root is None:
        raise ExternalCertificateRejected(_("证书链验证失败。"))
    return root


def register_external_certificate(
    holder: Party,
    data: bytes,
    *,
    ukey_serial: str,
    intermediates: Sequence[bytes] = (),
    crls: Sequence[bytes] = (),
    acting: Acting,
    now: datetime | None = None,
) -> Certificate:
    """Register a UKEY certificate issued by a trusted other CA to `holder` (CA互信互认)."""
    now = now or timezone.now()
    certificate = _load(data, ExternalCertificateRejected)
    if len(intermediates) > MAX_INTERMEDIATES:
        raise ExternalCertificateRejected(_("中级CA证书过多。"))
    chain = [_load(item, ExternalCertificateRejected) for item in intermediates]
    serial = check_ukey_serial(ukey_serial)
    subject = check_holder(holder)
    if not _names_holder(certificate, subject.snapshot["name"]):
        raise ExternalCertificateRejected(
            _("证书主题与当前主体“%(name)s”不一致。") % {"name": subject.snapshot["name"]}
        )
    if _issued_by_us(certificate):
        raise ExternalCertificateRejected(_("本平台签发的证书无需登记。"))
    if Certificate.objects.filter(fingerprint=certificate.sha256_fingerprint).exists():
        raise ExternalCertificateRejected(_("该证书已登记。"))
    roots = list(TrustedRoot.objects.filter(enabled=True))
    if not roots:
        raise ExternalCertificateRejected(_("尚未配置互信CA，请联系运营人员。"))
    root = _validate_chain(certificate, roots, chain, crls, now)
    try:
        with transaction.atomic():
            row = Certificate.objects.create(
                serial=format(certificate.serial, "x"),
                trusted_root=root,
                ca_name=root.name,
                holder=holder,
                medium=Certificate.Medium.UKEY,
                subject_kind=subject.kind,
                usage=Certificate.Usage.SIGNING,
                algorithm=certificate.public_key.algorithm.name,
                common_name=str(certificate.subject.native.get("common_name", ""))[:128],
                der=certificate.der,
                fingerprint=certificate.sha256_fingerprint,
                not_before=certificate.not_before,
                not_after=certificate.not_after,
                ukey_serial=serial,
                holder_snapshot=subject.snapshot,
            )
            record(
                events.CERTIFICATE_REGISTER_EXTERNAL,
                **acting.audit(),
                target=f"certificate:{row.pk}",
                data={"serial": row.serial, "ca": root.name, "ukey_serial": serial},
            )
    except IntegrityError:  # registered concurrently
        raise ExternalCertificateRejected(_("该证书已登记。"))
    return row


def _issued_by_us(certificate: X509Certificate) -> bool:
    issuer = certificate.asn1.issuer.dump()
    return any(
        parsed_certificate(bytes(der)).subject_der == issuer
        for der in CertificateAuthority.objects.values_list("certificate_der", flat=True)
    )
