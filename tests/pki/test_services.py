"""Certificate services: issuance (cloud and UKEY), renewal, revocation with its CRL, status, signing keys."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.utils import timezone

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.authority_setup import ensure_hierarchy
from inkseal.pki.crl import RevocationReason
from inkseal.pki.crl_publishing import issue_crl, published_crl, refresh_crls
from inkseal.pki.errors import (
    CertificateAlreadyRevoked,
    CertificateExpired,
    CertificateNotForSigning,
    CertificateRevoked,
    CertificateSuperseded,
    CsrMalformed,
    CsrSignatureInvalid,
    CsrSubjectTooLong,
    CsrTooLarge,
    CsrUnsupportedKey,
    ExternalCertificate,
    HolderNotEligible,
    InvalidValidity,
    ProfileNotOffered,
    RenewalNotAllowed,
    RevocationReasonInvalid,
    UkeySerialInvalid,
)
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate, CertificateAuthority, KeyBlob
from inkseal.pki.services import (
    certificate_chain,
    check_can_sign,
    issue_cloud_certificate,
    issue_from_csr,
    renew_certificate,
    revoke_certificate,
    signing_key_for,
)
from inkseal.pki.status import CertificateStatus, certificate_status, usable_q

pytestmark = pytest.mark.django_db

ACTOR = Actor("person", "L1", "张三")
ACTING = Acting(ACTOR, "10.0.0.1", "person")
_UKEY_KEY = ec.generate_private_key(ec.SECP256R1())


def issue(holder, algorithm=ECDSA_P256, years=1, **kwargs):  # type: ignore[no-untyped-def]
    return issue_cloud_certificate(holder.party, algorithm=algorithm, years=years, acting=ACTING, **kwargs)


def csr(key=_UKEY_KEY, common_name="UKEY 0001", hash_algorithm=None) -> bytes:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():  # over-long names on purpose
        warnings.simplefilter("ignore")
        name = cx.Name([cx.NameAttribute(cx.oid.NameOID.COMMON_NAME, common_name, _validate=False)])
    request = cx.CertificateSigningRequestBuilder().subject_name(name).sign(key, hash_algorithm or hashes.SHA256())
    return request.public_bytes(serialization.Encoding.DER)


def parsed(certificate: Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(bytes(certificate.der))


def test_the_hierarchy_exists_once(ca_hierarchy, settings):
    assert set(ca_hierarchy) == {
        "root-rsa",
        "issuing-rsa",
        "issuing-ecdsa",
        "root-sm2",
        "issuing-sm2",
        "tsa-ecdsa",
        "tsa-sm2",
    }
    assert ensure_hierarchy() == []  # idempotent
    root = parsed_certificate(bytes(ca_hierarchy["root-rsa"].certificate_der))
    for ca_id in ("issuing-rsa", "issuing-ecdsa"):
        ca = ca_hierarchy[ca_id]
        parsed_certificate(bytes(ca.certificate_der)).verify_signed_by(root)
        ocsp = parsed_certificate(bytes(ca.ocsp_certificate_der))
        ocsp.verify_signed_by(parsed_certificate(bytes(ca.certificate_der)))
        assert ocsp.asn1.extended_key_usage_value.native == ["ocsp_signing"]
        assert ca.crl_der is not None and ca.crl_number >= 1
    sm2_root = parsed_certificate(bytes(ca_hierarchy["root-sm2"].certificate_der))
    parsed_certificate(bytes(ca_hierarchy["issuing-sm2"].certificate_der)).verify_signed_by(sm2_root)
    tsa = parsed_certificate(bytes(ca_hierarchy["tsa-ecdsa"].certificate_der))
    assert tsa.asn1.extended_key_usage_value.native == ["time_stamping"]
    assert ca_hierarchy["tsa-ecdsa"].parent.ca_id == "issuing-ecdsa"


def test_a_personal_cloud_certificate(ca_hierarchy, verified_person, settings):
    person = verified_person(name="乔海朋")
    certificate = issue(person)
    assert certificate.medium == "cloud" and certificate.subject_kind == "personal"
    assert certificate.issuer.ca_id == "issuing-ecdsa" and certificate.algorithm == "ecdsa-p256"
    assert certificate.key_backend == "soft" and KeyBlob.objects.filter(key_id=certificate.key_id).exists()
    cert = parsed(certificate)
    subject = cert.subject.native
    assert subject["common_name"] == "乔海朋" and subject["country_name"] == "CN"
    assert len(subject["serial_number"]) == 40  # a keyed hash, never the ID number
    assert set(cert.key_usage_value.native) == {"digital_signature", "non_repudiation"}
    assert cert.crl_distribution_points[0]["distribution_point"].native == [
        f"{settings.PUBLIC_BASE_URL}/pki/crl/issuing-ecdsa.crl"
    ]
    assert cert.ocsp_urls == [f"{settings.PUBLIC_BASE_URL}/pki/ocsp"]
    assert (certificate.not_after - certificate.not_before).days in (364, 365)
    entry = AuditEntry.objects.get(event="certificate.issue")
    assert entry.target == f"certificate:{certificate.pk}" and entry.ip == "10.0.0.1"


def test_the_subject_serial_is_stable_across_certificates_of_one_person(ca_hierarchy, verified_person):
    person = verified_person()
    first, second = issue(person), issue(person, algorithm=RSA_2048)
    assert parsed(first).subject.native["serial_number"] == parsed(second).subject.native["serial_number"]


def test_enterprise_signing_and_encryption_certificates(ca_hierarchy, verified_person, verified_enterprise):
    enterprise = verified_enterprise(verified_person())
    signing = issue(enterprise, algorithm=RSA_2048, years=3)
    subject = parsed(signing).subject.native
    assert subject["organization_name"] == enterprise.name == subject["common_name"]
    assert subject["organization_identifier"] == enterprise.uscc
    assert signing.issuer.ca_id == "issuing-rsa" and signing.subject_kind == "enterprise"
    encryption = issue(enterprise, usage="encryption")
    assert set(parsed(encryption).key_usage_value.native) == {"key_agreement"}


def test_no_database_row_holds_a_usable_private_key(ca_hierarchy, verified_person):
    certificate = issue(verified_person(), algorithm=RSA_2048)
    pkcs8 = keystore().signer(certificate.key_id).to_pkcs8()  # type: ignore[attr-defined]
    key = serialization.load_der_private_key(pkcs8, None)
    secret = key.private_numbers().d.to_bytes(256, "big").lstrip(b"\0")  # type: ignore[union-attr]
    stored = [bytes(blob) for blob in KeyBlob.objects.values_list("blob", flat=True)]
    assert all(pkcs8 not in blob and secret not in blob for blob in stored)
    assert all(secret not in bytes(der) for der in Certificate.objects.values_list("der", flat=True))


def test_personal_encryption_certificates_are_not_offered(ca_hierarchy, verified_person):
    with pytest.raises(ProfileNotOffered):
        issue(verified_person(), usage="encryption")
    assert not Certificate.objects.exists()


def test_unverified_holders_get_nothing(ca_hierarchy, make_person, make_enterprise, verified_person):
    blobs = KeyBlob.objects.count()
    with pytest.raises(HolderNotEligible) as refused:
        issue(make_person())
    assert "实名认证" in str(refused.value.message)
    with pytest.raises(HolderNotEligible):
        issue(make_enterprise(verified_person()))
    assert not Certificate.objects.exists() and KeyBlob.objects.count() == blobs


@pytest.mark.parametrize("years", [0, 4, -1])
def test_validity_is_one_to_three_years(ca_hierarchy, verified_person, years):
    with pytest.raises(InvalidValidity):
        issue(verified_person(), years=years)


def test_a_ukey_certificate_from_a_request(ca_hierarchy, verified_person):
    person = verified_person(name="刘婧妍")
    certificate = issue_from_csr(
        person.party, csr(common_name="whatever the token says"), ukey_serial="TW-0001", years=2, acting=Acting(ACTOR)
    )
    assert certificate.medium == "ukey" and certificate.ukey_serial == "TW-0001"
    assert certificate.key_id == "" and certificate.algorithm == "ecdsa-p256"
    assert parsed(certificate).subject.native["common_name"] == "刘婧妍"  # ours, not the request's
    assert parsed(certificate).public_key.dump() == _UKEY_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _tampered() -> bytes:
    good = bytearray(csr())
    good[-5] ^= 0xFF  # inside the signature
    return bytes(good)


@pytest.mark.parametrize(
    ("request_bytes", "error", "message", "status"),
    [
        (b"garbage", CsrMalformed, "PKCS#10", 400),
        (csr()[:-20], CsrMalformed, "PKCS#10", 400),
        (_tampered(), CsrSignatureInvalid, "自签名", 400),
        (csr(key=ec.generate_private_key(ec.SECP384R1())), CsrUnsupportedKey, "不受支持", 400),
        (csr(key=rsa.generate_private_key(65537, 1024)), CsrUnsupportedKey, "不受支持", 400),
        (csr(common_name="x" * 200), CsrSubjectTooLong, "过长", 400),
        (b"\x30" * 17_000, CsrTooLarge, "过大", 413),
    ],
    ids=["garbage", "truncated", "bad-signature", "p384", "rsa1024", "long-subject", "oversized"],
)
def test_bad_requests_are_refused_with_the_reason(ca_hierarchy, verified_person, request_bytes, error, message, status):
    with pytest.raises(error) as refused:
        issue_from_csr(verified_person().party, request_bytes, ukey_serial="TW-1", years=1, acting=Acting(ACTOR))
    assert message in str(refused.value.message)
    assert refused.value.status == status  # 413 only when the request is too large to read
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("serial", ["", " ", "含中文", "a" * 65, "-leading"])
def test_the_ukey_serial_is_checked(ca_hierarchy, verified_person, serial):
    with pytest.raises(UkeySerialInvalid):
        issue_from_csr(verified_person().party, csr(), ukey_serial=serial, years=1, acting=Acting(ACTOR))


def crl_of(ca_id: str) -> cx.CertificateRevocationList:
    return cx.load_der_x509_crl(published_crl(ca_id))  # type: ignore[arg-type]


def test_revocation_publishes_a_new_crl_in_the_same_transaction(ca_hierarchy, verified_person):
    certificate = issue(verified_person(), algorithm=RSA_2048)
    before = CertificateAuthority.objects.get(ca_id="issuing-rsa").crl_number
    revoked = revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=ACTING)
    assert revoked.revoked_at is not None and revoked.reason is RevocationReason.KEY_COMPROMISE
    crl = crl_of("issuing-rsa")
    entry = crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16))
    assert entry is not None
    assert entry.extensions.get_extension_for_class(cx.CRLReason).value.reason == cx.ReasonFlags.key_compromise
    assert crl.extensions.get_extension_for_class(cx.CRLNumber).value.crl_number == before + 1
    assert crl.is_signature_valid(
        cx.load_der_x509_certificate(bytes(ca_hierarchy["issuing-rsa"].certificate_der)).public_key()  # type: ignore[arg-type]
    )
    assert AuditEntry.objects.filter(event="certificate.revoke", target=f"certificate:{certificate.pk}").exists()
    with pytest.raises(CertificateAlreadyRevoked):
        revoke_certificate(certificate, reason=RevocationReason.SUPERSEDED, acting=Acting(ACTOR))


@pytest.mark.parametrize("reason", [None, "", "abc", 0, 2, 6, 8, 99])
def test_a_revocation_reason_from_the_list_is_required(ca_hierarchy, verified_person, reason):
    certificate = issue(verified_person())
    with pytest.raises(RevocationReasonInvalid):
        revoke_certificate(certificate, reason=reason, acting=Acting(ACTOR))
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert not AuditEntry.objects.filter(event="certificate.revoke").exists()


def test_crls_are_refreshed_when_half_their_life_has_passed(ca_hierarchy, settings):
    ca = CertificateAuthority.objects.get(ca_id="issuing-ecdsa")
    number = ca.crl_number
    assert refresh_crls() == []  # fresh
    later = timezone.now() + timedelta(hours=settings.PKI_CRL_HOURS * 0.6)
    assert set(refresh_crls(now=later)) == {"root-rsa", "issuing-rsa", "issuing-ecdsa", "root-sm2", "issuing-sm2"}
    assert CertificateAuthority.objects.get(pk=ca.pk).crl_number == number + 1
    assert issue_crl(ca).crl_number == number + 2  # forced


def test_status_is_derived_from_the_clock_and_the_holder(ca_hierarchy, verified_person, verified_enterprise, settings):
    person = verified_person(name="王五")
    certificate = issue(person)
    start, end = certificate.not_before, certificate.not_after
    assert certificate_status(certificate, now=start) == CertificateStatus.VALID
    assert certificate_status(certificate, now=end - timedelta(days=31)) == CertificateStatus.VALID
    assert certificate_status(certificate, now=end - timedelta(days=30)) == CertificateStatus.RENEWAL_DUE
    assert certificate_status(certificate, now=end) == CertificateStatus.RENEWAL_DUE
    assert certificate_status(certificate, now=end + timedelta(seconds=1)) == CertificateStatus.EXPIRED
    settings.PKI_RENEWAL_WINDOW_DAYS = 10
    assert certificate_status(certificate, now=end - timedelta(days=20)) == CertificateStatus.VALID

    person.name = "王五五"  # the holder's verified name changed: the subject is out of date
    person.save()
    certificate.refresh_from_db()
    assert certificate_status(certificate, now=start) == CertificateStatus.CHANGE_PENDING
    assert certificate_status(certificate, now=end + timedelta(days=1)) == CertificateStatus.EXPIRED

    revoked_at = start + timedelta(days=100)
    revoke_certificate(
        certificate, reason=RevocationReason.CESSATION_OF_OPERATION, acting=Acting(ACTOR), now=revoked_at
    )
    certificate.refresh_from_db()
    assert certificate_status(certificate, now=revoked_at - timedelta(seconds=1)) == CertificateStatus.CHANGE_PENDING
    assert certificate_status(certificate, now=revoked_at) == CertificateStatus.REVOKED

    enterprise = verified_enterprise(person)
    corporate = issue(enterprise)
    enterprise.uscc = enterprise.uscc[:-1] + ("0" if enterprise.uscc[-1] != "0" else "1")
    enterprise.save()
    corporate.refresh_from_db()
    assert certificate_status(corporate) == CertificateStatus.CHANGE_PENDING


def _due(holder):  # type: ignore[no-untyped-def]
    """A certificate issued 340 days ago: 待续期."""
    return issue(holder, now=timezone.now() - timedelta(days=340))


def test_renewal_rekeys_links_and_supersedes(ca_hierarchy, verified_person):
    old = _due(verified_person())
    old.pin_hash = "$argon2id$kept"
    old.save()
    assert certificate_status(old) == CertificateStatus.RENEWAL_DUE
    new = renew_certificate(old, years=1, acting=ACTING)
    old.refresh_from_db()
    assert new.renews == old and old.renewed_by == new
    assert new.key_id != old.key_id and parsed(new).public_key.dump() != parsed(old).public_key.dump()
    assert new.not_after.date() == (old.not_after + timedelta(days=365)).date()
    assert new.pin_hash == "$argon2id$kept"
    # Superseded, not revoked: off the CRL, no longer usable for signing, counted as unusable.
    assert old.revoked_at is None
    assert crl_of("issuing-ecdsa").get_revoked_certificate_by_serial_number(int(old.serial, 16)) is None
    assert certificate_status(old) == CertificateStatus.SUPERSEDED
    with pytest.raises(CertificateSuperseded):
        check_can_sign(old, timezone.now())
    assert not Certificate.objects.filter(usable_q(), pk=old.pk).exists()
    assert Certificate.objects.filter(usable_q(), pk=new.pk).exists()
    assert certificate_status(new) == CertificateStatus.VALID
    assert AuditEntry.objects.filter(event="certificate.renew", target=f"certificate:{new.pk}").exists()
    with pytest.raises(RenewalNotAllowed):
        renew_certificate(old, years=1, acting=Acting(ACTOR))


def test_renewal_waits_for_the_window(ca_hierarchy, verified_person):
    with pytest.raises(RenewalNotAllowed) as refused:
        renew_certificate(issue(verified_person()), years=1, acting=Acting(ACTOR))
    assert "30" in str(refused.value.message)
    assert Certificate.objects.count() == 1


def test_a_ukey_renewal_needs_a_new_key_from_the_token(ca_hierarchy, verified_person):
    person = verified_person()
    old = issue_from_csr(
        person.party, csr(), ukey_serial="TW-9", years=1, acting=Acting(ACTOR), now=timezone.now() - timedelta(days=340)
    )
    with pytest.raises(RenewalNotAllowed):
        renew_certificate(old, years=1, acting=Acting(ACTOR))
    with pytest.raises(RenewalNotAllowed):
        renew_certificate(old, years=1, acting=Acting(ACTOR), csr=csr())  # same key
    new = renew_certificate(old, years=2, acting=Acting(ACTOR), csr=csr(key=ec.generate_private_key(ec.SECP256R1())))
    assert new.medium == "ukey" and new.ukey_serial == "TW-9" and new.renews == old


def test_the_signing_key_signs_and_comes_with_its_chain(ca_hierarchy, verified_person):
    certificate = issue(verified_person(), algorithm=RSA_2048)
    key = signing_key_for(certificate)
    signature = key.signer.sign(b"document digest input")
    parsed_certificate(key.certificate_der).public_key.verify(signature, b"document digest input")
    assert key.chain == certificate_chain(certificate)
    assert [parsed_certificate(d).subject.native["common_name"] for d in key.chain] == [
        ca_hierarchy["issuing-rsa"].name,
        ca_hierarchy["root-rsa"].name,
    ]


def test_a_revoked_or_expired_certificate_cannot_sign(ca_hierarchy, verified_person):
    certificate = issue(verified_person())
    with pytest.raises(CertificateExpired):
        signing_key_for(certificate, at=certificate.not_after + timedelta(seconds=1))
    revoked_at = certificate.not_before + timedelta(hours=1)
    revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR), now=revoked_at)
    with pytest.raises(CertificateRevoked):
        signing_key_for(certificate.pk, at=revoked_at)
    # a signature made just before the revocation instant is still allowed
    certificate.refresh_from_db()
    assert signing_key_for(certificate, at=certificate.revoked_at - timedelta(seconds=1)).signer


def test_ukey_and_encryption_certificates_have_no_cloud_signing_key(ca_hierarchy, verified_person, verified_enterprise):
    person = verified_person()
    ukey = issue_from_csr(person.party, csr(), ukey_serial="TW-2", years=1, acting=Acting(ACTOR))
    encryption = issue(verified_enterprise(person), usage="encryption")
    for certificate in (ukey, encryption):
        with pytest.raises(CertificateNotForSigning):
            signing_key_for(certificate)


def test_external_certificates_cannot_be_revoked_here(ca_hierarchy, verified_person):
    from tests.pki.test_trust import registered_external

    certificate = registered_external(verified_person(name="赵六"))
    with pytest.raises(ExternalCertificate):
        revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
