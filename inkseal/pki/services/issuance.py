"""签发: a cloud certificate (key made in the keystore) or a UKEY one (from the token's request),
with the escrowed encryption certificate of a dual pair."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from inkseal.accounts.models import Party
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.evidence import events as leaves
from inkseal.evidence.services import log_event
from inkseal.pki.algorithms import Algorithm, PublicKey
from inkseal.pki.authorities import authority, issuing_ca_for, policy_oids, public_urls
from inkseal.pki.authority_setup import ensure_hierarchy
from inkseal.pki.dual import escrow_new_encryption_key
from inkseal.pki.errors import CaNotReady, IssuerExpiresTooSoon
from inkseal.pki.keystore_config import ESCROW_BACKEND, escrow_keystore, keystore
from inkseal.pki.models import Certificate, CertificateAuthority
from inkseal.pki.profiles import Validity, validity_years
from inkseal.pki.services._common import Medium, Usage, _audit, _now
from inkseal.pki.services.eligibility import (
    HolderSubject,
    check_csr,
    check_holder,
    check_profile,
    check_ukey_serial,
    check_years,
    is_dual,
)
from inkseal.pki.x509 import issue_certificate


def _issuer_for(algorithm: Algorithm) -> CertificateAuthority:
    try:
        return issuing_ca_for(algorithm)
    except CaNotReady:
        if CertificateAuthority.objects.exists():
            raise
    ensure_hierarchy()  # first run: no CA at all yet
    return issuing_ca_for(algorithm)


def _issue(
    holder: Party,
    subject: HolderSubject,
    *,
    public_key: PublicKey,
    usage: str,
    medium: str,
    validity: Validity,
    key_backend: str = "",
    key_id: str = "",
    ukey_serial: str = "",
    renews: Certificate | None = None,
    pin_hash: str = "",
    signing_certificate: Certificate | None = None,
) -> Certificate:
    profile = check_profile(subject.kind, usage)
    ca = _issuer_for(public_key.algorithm)
    try:
        issued = issue_certificate(
            authority(ca),
            subject=subject.name,
            public_key=public_key,
            profile=profile.with_policies(policy_oids()),
            validity=validity,
            urls=public_urls(),
        )
    except IssuerExpiresTooSoon:
        raise IssuerExpiresTooSoon(_("签发CA的剩余有效期不足以覆盖所选年限，请联系运营人员。"))
    certificate = Certificate.objects.create(
        serial=format(issued.serial, "x"),
        issuer=ca,
        ca_name=ca.organization,
        holder=holder,
        medium=medium,
        subject_kind=subject.kind,
        usage=usage,
        algorithm=public_key.algorithm.name,
        common_name=subject.common_name,
        der=issued.der,
        fingerprint=issued.sha256_fingerprint,
        not_before=issued.not_before,
        not_after=issued.not_after,
        key_backend=key_backend,
        key_id=key_id,
        ukey_serial=ukey_serial,
        renews=renews,
        holder_snapshot=subject.snapshot,
        pin_hash=pin_hash,
        signing_certificate=signing_certificate,
    )
    log_event(*leaves.certificate(events.CERTIFICATE_ISSUE, certificate))  # transparency log, same transaction
    return certificate


def _issue_encryption(
    signing: Certificate,
    subject: HolderSubject,
    validity: Validity,
    acting: Acting,
    *,
    renews: Certificate | None = None,
) -> Certificate:
    """The encryption half of a dual pair: key management makes the key pair and keeps it sealed
    under the escrow KEK; the certificate has the signing certificate's medium, UKEY and validity."""
    escrowed = escrow_new_encryption_key(escrow_keystore(), label=f"enc:party-{signing.holder_id}")
    encryption = _issue(
        signing.holder,
        subject,
        public_key=escrowed.public_key,
        usage=Usage.ENCRYPTION,
        medium=signing.medium,
        validity=validity,
        key_backend=ESCROW_BACKEND,
        key_id=escrowed.key_id,
        ukey_serial=signing.ukey_serial,
        renews=renews,
        signing_certificate=signing,
    )
    event = events.CERTIFICATE_RENEW if renews is not None else events.CERTIFICATE_ISSUE
    extra = {"renews": renews.serial} if renews is not None else {}
    _audit(event, encryption, acting, usage=Usage.ENCRYPTION, pair=signing.serial, key="escrow", **extra)
    return encryption


def _new_cloud_key(algorithm: Algorithm, holder: Party) -> tuple[str, str, PublicKey]:
    store = keystore()
    key_id = store.generate_key(algorithm, f"cert:party-{holder.pk}")
    return store.backend, key_id, store.public_key(key_id)


def issue_cloud_certificate(
    holder: Party,
    *,
    algorithm: Algorithm,
    years: int,
    usage: str = Usage.SIGNING,
    acting: Acting,
    now: datetime | None = None,
) -> Certificate:
    """A cloud certificate (云证书): the key is made in the configured keystore and never leaves it.
    Enterprise SM2 signing certificates come with their escrowed encryption certificate (双证书)."""
    subject = check_holder(holder)
    check_profile(subject.kind, usage)
    validity = validity_years(check_years(years), _now(now))
    with transaction.atomic():
        backend, key_id, public_key = _new_cloud_key(algorithm, holder)
        certificate = _issue(
            holder,
            subject,
            public_key=public_key,
            usage=usage,
            medium=Medium.CLOUD,
            validity=validity,
            key_backend=backend,
            key_id=key_id,
        )
        _audit(events.CERTIFICATE_ISSUE, certificate, acting, algorithm=algorithm.name, usage=usage, years=years)
        if usage == Usage.SIGNING and is_dual(subject.kind, algorithm):
            _issue_encryption(certificate, subject, validity, acting)
    return certificate


def issue_from_csr(
    holder: Party,
    csr: bytes,
    *,
    ukey_serial: str,
    years: int,
    usage: str = Usage.SIGNING,
    acting: Acting,
    now: datetime | None = None,
) -> Certificate:
    """A UKEY certificate for the key in a PKCS#10 request made on the token (self-signature
    verified); the subject comes from our verified data, never from the request. An enterprise
    SM2 signing key gets its encryption certificate too; the token receives that key later as an
    SM2EnvelopedKey sealed to this signing key (`escrow.deliver_encryption_key`)."""
    request = check_csr(csr)
    serial = check_ukey_serial(ukey_serial)
    subject = check_holder(holder)
    check_profile(subject.kind, usage)
    validity = validity_years(check_years(years), _now(now))
    with transaction.atomic():
        certificate = _issue(
            holder,
            subject,
            public_key=request.public_key,
            usage=usage,
            medium=Medium.UKEY,
            validity=validity,
            ukey_serial=serial,
        )
        _audit(
            events.CERTIFICATE_ISSUE,
            certificate,
            acting,
            algorithm=request.public_key.algorithm.name,
            usage=usage,
            years=years,
            ukey_serial=serial,
        )
        if usage == Usage.SIGNING and is_dual(subject.kind, request.public_key.algorithm):
            _issue_encryption(certificate, subject, validity, acting)
    return certificate
