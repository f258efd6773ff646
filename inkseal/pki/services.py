"""Certificate operations: issuance (cloud key or UKEY request), renewal, revocation, the access gate
for portal pages, and what the signing code needs (`signing_key_for`).

Dual certificates (双证书): an enterprise SM2 signing certificate comes with an encryption
certificate over a key that key management makes and escrows (`keystore_config.escrow_keystore`,
its own KEK). The pair is issued, renewed and revoked together; delivery of the encryption key to
a UKEY and its recovery are in `escrow.py`.

check_* validate and raise a DomainError with a translated message; the operations change state in
one transaction with their audit row inside it and lock the certificate row (then its CA) first.
The algorithm is always a parameter: SM2 arrives as another registered `Algorithm`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import EnterpriseState, Party
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core import secretbox
from inkseal.core.acting import Acting
from inkseal.core.crypto import decrypt
from inkseal.core.errors import NotFound, PermissionDenied
from inkseal.pki.algorithms import Algorithm, KeyHandle, PublicKey, get_algorithm
from inkseal.pki.authorities import (
    authority,
    chain_of,
    ensure_hierarchy,
    issuing_ca_for,
    parsed_certificate,
    policy_oids,
    public_urls,
    publish_crl_locked,
)
from inkseal.pki.crl import SUBSCRIBER_REASONS, RevocationReason
from inkseal.pki.csr import CertificateRequest, parse_csr
from inkseal.pki.dual import escrow_new_encryption_key
from inkseal.pki.errors import (
    CaNotReady,
    CertificateAlreadyRevoked,
    CertificateExpired,
    CertificateNotForSigning,
    CertificateRevoked,
    CertificateSuperseded,
    CsrError,
    ExternalCertificate,
    HolderNotEligible,
    InvalidSubject,
    InvalidValidity,
    IssuerExpiresTooSoon,
    PinLocked,
    ProfileNotOffered,
    RenewalNotAllowed,
    RevocationReasonInvalid,
    UkeySerialInvalid,
)
from inkseal.pki.keystore_config import ESCROW_BACKEND, escrow_keystore, keystore
from inkseal.pki.models import REASON_LABELS, Certificate, CertificateAuthority
from inkseal.pki.names import Name, enterprise_subject, hashed_id_serial, person_subject
from inkseal.pki.pem import armor
from inkseal.pki.profiles import (
    END_ENTITY_YEARS,
    ENTERPRISE_ENCRYPTION,
    ENTERPRISE_SIGNING,
    PERSONAL_SIGNING,
    CertificateProfile,
    Validity,
    add_years,
    validity_years,
)
from inkseal.pki.status import USABLE, CertificateStatus, certificate_status, is_superseded
from inkseal.pki.x509 import issue_certificate

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Medium = Certificate.Medium
Usage = Certificate.Usage
SubjectKind = Certificate.SubjectKind

PROFILES: dict[tuple[str, str], CertificateProfile] = {
    (SubjectKind.PERSONAL, Usage.SIGNING): PERSONAL_SIGNING,
    (SubjectKind.ENTERPRISE, Usage.SIGNING): ENTERPRISE_SIGNING,
    (SubjectKind.ENTERPRISE, Usage.ENCRYPTION): ENTERPRISE_ENCRYPTION,
}
# Algorithm families whose certificates come in pairs (signing + escrowed encryption), GM/T 0015.
DUAL_FAMILIES = frozenset({"sm2"})
_UKEY_SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _now(now: datetime | None = None) -> datetime:
    return (now or timezone.now()).replace(microsecond=0)


def reason_choices() -> list[tuple[int, StrOrPromise]]:
    """The revocation reasons a holder or operator may choose (SUBSCRIBER_REASONS), for forms."""
    return [(int(reason), REASON_LABELS[reason]) for reason in SUBSCRIBER_REASONS]


# --- checks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolderSubject:
    """The subject a holder's certificate gets, built from verified data only."""

    name: Name
    kind: str  # Certificate.SubjectKind
    snapshot: dict[str, str]

    @property
    def common_name(self) -> str:
        return self.name.get("common_name") or ""


def _subject_id_key() -> bytes:
    return secretbox.derive_key(settings.FIELD_KEY, "pki-subject-id")


def check_holder(holder: Party) -> HolderSubject:
    """The subject for `holder`: verified persons (name + keyed hash of the ID number) and
    verified enterprises (name + USCC); HolderNotEligible otherwise."""
    try:
        if holder.kind == Party.Kind.ENTERPRISE:
            enterprise = holder.enterprise
            if enterprise.state != EnterpriseState.VERIFIED or not enterprise.uscc:
                raise HolderNotEligible(_("企业尚未完成实名认证，不能办理企业证书。"))
            return HolderSubject(
                enterprise_subject(enterprise.name, enterprise.uscc),
                SubjectKind.ENTERPRISE,
                {"name": enterprise.name, "uscc": enterprise.uscc},
            )
        person = holder.person
        if not person.is_verified or not person.id_number_enc or not person.name:
            raise HolderNotEligible(_("个人尚未完成实名认证，不能办理个人证书。"))
        id_number = decrypt(person.id_number_enc, f"person-id:{person.account_id}")
        return HolderSubject(
            person_subject(person.name, hashed_id_serial(id_number, _subject_id_key())),
            SubjectKind.PERSONAL,
            {"name": person.name, "id": person.id_number_index},
        )
    except InvalidSubject:
        raise HolderNotEligible(_("证书主题信息不符合要求：名称须为 1–64 个字符且不含控制字符。"))


def check_profile(kind: str, usage: str) -> CertificateProfile:
    try:
        return PROFILES[(kind, usage)]
    except KeyError:
        raise ProfileNotOffered(_("不提供该类型的证书（个人证书仅有签名证书）。"))


def check_years(years: int) -> int:
    if years not in END_ENTITY_YEARS:
        raise InvalidValidity(_("证书有效期须为 1、2 或 3 年。"))
    return years


def check_ukey_serial(serial: str) -> str:
    serial = serial.strip()
    if not _UKEY_SERIAL.match(serial):
        raise UkeySerialInvalid(_("UKEY 序列号须为 1–64 位字母、数字、点、横线或下划线。"))
    return serial


def check_csr(data: bytes) -> CertificateRequest:
    """A parsed request with a verified self-signature; the refusal says why in the user's language."""
    try:
        return parse_csr(data)
    except CsrError as exc:
        raise exc.localised()


def check_revocation_reason(reason: Any) -> RevocationReason:
    try:
        value = RevocationReason(int(reason))
    except (TypeError, ValueError):
        value = None
    if value not in SUBSCRIBER_REASONS:
        raise RevocationReasonInvalid(_("请选择吊销原因。"))
    return value


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


def is_dual(subject_kind: str, algorithm: Algorithm) -> bool:
    """Whether a signing certificate of this kind and key comes with an encryption certificate."""
    return algorithm.family in DUAL_FAMILIES and (subject_kind, Usage.ENCRYPTION) in PROFILES


# --- issuance --------------------------------------------------------------------------------


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
    return Certificate.objects.create(
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


def _audit(event: str, certificate: Certificate, acting: Acting, **data: Any) -> None:
    record(
        event,
        **acting.audit(),
        target=f"certificate:{certificate.pk}",
        data={"serial": certificate.serial, "ca": certificate.ca_name, "medium": certificate.medium, **data},
    )


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


# --- revocation ------------------------------------------------------------------------------


def revocation_instant(now: datetime | None = None) -> datetime:
    """The revocation time (`revoked_at`), at full precision, read from the clock while the
    certificate row is locked: every signature committed before the revocation got its time stamp
    before this reading, so each of them is strictly earlier than the instant our verifier and
    OCSP (GeneralizedTime with its fraction) report, and than the CRL's whole second (rounded up,
    inkseal.pki.crl). An explicit `now` (tests) is taken as given."""
    return now or timezone.now()


def check_unrevoked(locked: Certificate) -> None:
    """For the signing transaction, under lock_for_signing's row lock: a revocation that has
    committed refuses the signature whatever its instant (another server's clock may run behind
    or ahead), so no success is ever recorded after a revocation."""
    if locked.revoked_at is not None:
        raise CertificateRevoked(_("证书已吊销，不能签章。"))


def _revoke_locked(certificate: Certificate, reason: RevocationReason, now: datetime) -> None:
    certificate.revoked_at = now
    certificate.revocation_reason = int(reason)
    certificate.save(update_fields=["revoked_at", "revocation_reason"])


def _lock_with_pair(certificate: Certificate) -> list[Certificate]:
    """The certificate's row and its pair's (signing ↔ encryption), locked in primary-key order.
    The link itself is written once, at issuance, so it may be read before locking."""
    pair = Certificate.objects.get(pk=certificate.pk).pair()
    pks = [certificate.pk] if pair is None else [certificate.pk, pair.pk]
    return list(Certificate.objects.select_for_update(no_key=True).filter(pk__in=pks).order_by("pk"))


def revoke_certificate(
    certificate: Certificate,
    *,
    reason: Any,
    acting: Acting,
    now: datetime | None = None,
) -> Certificate:
    """吊销: from this instant the certificate cannot sign, OCSP answers revoked, and the issuing
    CA's CRL is republished in the same transaction. Either certificate of a dual pair revokes
    both, with the same reason and an audit entry each."""
    reason = check_revocation_reason(reason)
    with transaction.atomic():
        rows = _lock_with_pair(certificate)
        now = revocation_instant(now)  # under the lock: after every signature committed before it
        locked = next(row for row in rows if row.pk == certificate.pk)
        if locked.is_external:
            raise ExternalCertificate(_("其他CA签发的证书请向其签发机构申请吊销。"))
        if locked.revoked_at is not None:
            raise CertificateAlreadyRevoked(_("该证书已吊销。"))
        if locked.not_after < now:
            raise CertificateExpired(_("证书已过期，无需吊销。"))
        for row in rows:
            if row.revoked_at is not None:
                continue
            _revoke_locked(row, reason, now)
            pair = {"pair": other.serial} if (other := row.pair()) is not None else {}
            _audit(events.CERTIFICATE_REVOKE, row, acting, reason=reason.name.lower(), revoked_at=now, **pair)
        issuers = {row.issuer_id for row in rows if row.issuer_id is not None}
        for issuer in CertificateAuthority.objects.filter(pk__in=issuers).order_by("pk"):
            publish_crl_locked(issuer, now)
    return locked


# --- the portal's access gate ----------------------------------------------------------------


def certificates_of(identity: CurrentIdentity) -> QuerySet[Certificate]:
    """Every certificate the identity's party holds (the only way portal pages query them)."""
    return Certificate.objects.filter(holder=identity.party).select_related(
        "holder__person",
        "holder__enterprise",
        "issuer",
        "trusted_root",
        "renewed_by",
        "signing_certificate",
        "encryption_certificate",
    )


def certificate_for(identity: CurrentIdentity, certificate_id: Any) -> Certificate:
    """The identity's certificate, or NotFound (404) for anything else, existing or not."""
    try:
        return certificates_of(identity).get(pk=int(certificate_id))
    except (Certificate.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("证书不存在。"))


def check_can_manage(identity: CurrentIdentity, certificate: Certificate | None = None) -> None:
    """Revoking, renewing and PINs of an enterprise's certificates are for its administrators."""
    if not identity.is_admin:
        raise PermissionDenied(_("只有企业管理员（经办人）可以吊销、续期企业证书或设置其 PIN 码。"))


# --- what the signing code needs -------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """A usable cloud key: the handle signs (`sign(data)`), the certificate and chain go in the CMS."""

    certificate: Certificate
    signer: KeyHandle
    certificate_der: bytes
    chain: tuple[bytes, ...]  # issuing CA first, root last


_CHAIN_CACHE_SIZE = 4096
_chains: OrderedDict[tuple[int, str], tuple[bytes, ...]] = OrderedDict()
_chains_lock = threading.Lock()


def certificate_chain(certificate: Certificate) -> tuple[bytes, ...]:
    """DER of the CA certificates above `certificate`, nearest first (root last). Kept per process
    for each certificate (by pk and fingerprint): CA certificates above an issued one never change."""
    key = (certificate.pk, certificate.fingerprint)
    with _chains_lock:
        chain = _chains.get(key)
        if chain is not None:
            _chains.move_to_end(key)
            return chain
    if certificate.trusted_root is not None:
        chain = (bytes(certificate.trusted_root.certificate_der),)
    else:
        assert certificate.issuer is not None
        chain = tuple(bytes(ca.certificate_der) for ca in chain_of(certificate.issuer))
    with _chains_lock:
        _chains[key] = chain
        while len(_chains) > _CHAIN_CACHE_SIZE:
            _chains.popitem(last=False)
    return chain


def check_can_sign(certificate: Certificate, at: datetime) -> None:
    """Raise unless the certificate's cloud key may sign at `at` (revocation, validity, PIN lock)."""
    if certificate.usage != Usage.SIGNING or certificate.medium != Medium.CLOUD or not certificate.key_id:
        raise CertificateNotForSigning(_("该证书不能用于云端签章（仅云签名证书可以）。"))
    if certificate.revoked_at is not None and certificate.revoked_at <= at:
        raise CertificateRevoked(_("证书已吊销，不能签章。"))
    if not certificate.not_before <= at <= certificate.not_after:
        raise CertificateExpired(_("证书不在有效期内，不能签章。"))
    if is_superseded(certificate, at):
        raise CertificateSuperseded(_("证书已续期，请使用续期后的新证书签章。"))
    if certificate.pin_locked_until is not None and certificate.pin_locked_until > at:
        raise PinLocked(
            _("PIN 码错误次数过多，证书已锁定至 %(until)s。")
            % {"until": timezone.localtime(certificate.pin_locked_until).strftime("%Y-%m-%d %H:%M")}
        )


def certificate_for_signing(certificate: Certificate | int, at: datetime) -> Certificate:
    """The certificate row (not locked) checked able to sign at `at`: to prepare a signature
    whose transaction then checks again under lock_for_signing before anything is stored."""
    pk = certificate if isinstance(certificate, int) else certificate.pk
    row = Certificate.objects.select_related("renewed_by").get(pk=pk)
    check_can_sign(row, at)
    return row


def lock_for_signing(certificate: Certificate | int, at: datetime) -> Certificate:
    """The certificate row, locked and checked able to sign at `at`: call it inside the signing
    transaction so that a revocation either waits for it or is seen by it."""
    pk = certificate if isinstance(certificate, int) else certificate.pk
    with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
        locked = (
            Certificate.objects.select_for_update(of=("self",), no_key=True)
            .select_related("renewed_by")  # the superseded check, in the same query
            .get(pk=pk)
        )
    check_can_sign(locked, at)  # a refusal leaves the caller's transaction usable
    return locked


def signing_key(locked: Certificate) -> SigningKey:
    """The key handle, certificate and chain of a certificate `lock_for_signing` returned."""
    signer = keystore(locked.key_backend).signer(locked.key_id)
    return SigningKey(locked, signer, bytes(locked.der), certificate_chain(locked))


def signing_key_for(certificate: Certificate | int, *, at: datetime | None = None) -> SigningKey:
    """The key handle, certificate and chain to sign with, checked under a row lock: call it inside
    the signing transaction so that a revocation either waits for it or is seen by it."""
    with transaction.atomic():
        return signing_key(lock_for_signing(certificate, at or timezone.now()))


# --- downloads -------------------------------------------------------------------------------


def certificate_pem(certificate: Certificate) -> str:
    return armor(bytes(certificate.der), "CERTIFICATE")


def chain_pem(certificate: Certificate) -> str:
    """The certificate followed by its CA certificates up to the root (what `openssl verify` wants)."""
    return certificate_pem(certificate) + "".join(armor(der, "CERTIFICATE") for der in certificate_chain(certificate))
