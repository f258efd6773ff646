"""Certificates: the hierarchy, profiles and subjects, checked by OpenSSL and by `cryptography`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as cx
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from inkseal.pki import oids
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048, Algorithm
from inkseal.pki.errors import (
    CaKeyMismatch,
    CertificateMalformed,
    InvalidSubject,
    InvalidValidity,
    IssuerExpiresTooSoon,
    SignatureInvalid,
)
from inkseal.pki.hierarchy import Hierarchy
from inkseal.pki.keystores.soft import SoftKeystore
from inkseal.pki.names import Name, ca_subject, enterprise_subject, hashed_id_serial, person_subject
from inkseal.pki.profiles import (
    ENTERPRISE_ENCRYPTION,
    ENTERPRISE_SIGNING,
    PERSONAL_SIGNING,
    CertificateProfile,
    Validity,
    add_years,
    validity_years,
)
from inkseal.pki.x509 import Certificate, CertificateAuthority, PublicUrls, issue_certificate, load_certificate
from tests.pki.conftest import OpenSSL

ID_NUMBER = "11010519491231002X"
USCC = "91350100M000100Y43"


def issue(
    hierarchy: Hierarchy,
    urls: PublicUrls,
    *,
    family: str = "ecdsa",
    algorithm: Algorithm = ECDSA_P256,
    profile: CertificateProfile = ENTERPRISE_SIGNING,
    subject: Name | None = None,
    years: int = 2,
) -> Certificate:
    return issue_certificate(
        hierarchy.issuing[family],
        subject=subject or enterprise_subject("测试科技有限公司", USCC),
        public_key=algorithm.generate_soft_key().public_key,
        profile=profile,
        validity=validity_years(years, datetime.now(UTC)),
        urls=urls,
    )


def parsed(certificate: Certificate) -> cx.Certificate:
    return cx.load_der_x509_certificate(certificate.der)


@pytest.mark.parametrize("family", ["rsa", "ecdsa"])
@pytest.mark.parametrize("profile", [PERSONAL_SIGNING, ENTERPRISE_SIGNING, ENTERPRISE_ENCRYPTION], ids=lambda p: p.name)
def test_openssl_verifies_issued_chains(
    hierarchy: Hierarchy, urls: PublicUrls, openssl: OpenSSL, family: str, profile: CertificateProfile
) -> None:
    leaf = issue(hierarchy, urls, family=family, profile=profile)
    root = openssl.write_certs("root.pem", hierarchy.root.certificate)
    chain = openssl.write_certs("chain.pem", hierarchy.issuing[family].certificate)
    result = openssl("verify", "-x509_strict", "-CAfile", root, "-untrusted", chain, openssl.write_certs("l.pem", leaf))
    assert result.stdout.strip().endswith(": OK")


def test_ocsp_and_tsa_certificates_verify_too(hierarchy: Hierarchy, openssl: OpenSSL) -> None:
    root = openssl.write_certs("root.pem", hierarchy.root.certificate)
    for family, ca in hierarchy.issuing.items():
        chain = openssl.write_certs("chain.pem", ca.certificate)
        ocsp = openssl.write_certs("ocsp.pem", hierarchy.ocsp[ca.ca_id].certificate)
        openssl("verify", "-x509_strict", "-purpose", "ocsphelper", "-CAfile", root, "-untrusted", chain, ocsp)
        if hierarchy.tsa and family == "rsa":
            tsa = openssl.write_certs("tsa.pem", hierarchy.tsa.certificate)
            openssl("verify", "-x509_strict", "-purpose", "timestampsign", "-CAfile", root, "-untrusted", chain, tsa)


def test_our_der_is_canonical(hierarchy: Hierarchy, urls: PublicUrls) -> None:
    leaf = issue(hierarchy, urls)
    for certificate in (leaf, hierarchy.root.certificate, hierarchy.issuing["rsa"].certificate):
        reparsed = asn1_x509.Certificate.load(certificate.der)
        reparsed.native
        assert reparsed.dump(force=True) == certificate.der


def test_signing_certificates_carry_the_signing_extensions(hierarchy: Hierarchy, urls: PublicUrls) -> None:
    leaf = parsed(issue(hierarchy, urls, profile=ENTERPRISE_SIGNING))
    ca = hierarchy.issuing["ecdsa"]
    key_usage = leaf.extensions.get_extension_for_class(cx.KeyUsage)
    assert key_usage.critical and key_usage.value.digital_signature and key_usage.value.content_commitment
    assert not key_usage.value.key_cert_sign and not key_usage.value.key_encipherment
    assert leaf.extensions.get_extension_for_class(cx.BasicConstraints).value.ca is False
    aki = leaf.extensions.get_extension_for_class(cx.AuthorityKeyIdentifier).value.key_identifier
    assert aki == ca.key_identifier
    ski = leaf.extensions.get_extension_for_class(cx.SubjectKeyIdentifier).value
    assert ski == cx.SubjectKeyIdentifier.from_public_key(leaf.public_key())
    crl = leaf.extensions.get_extension_for_class(cx.CRLDistributionPoints).value
    assert crl[0].full_name[0].value == "https://ca.inkseal.test/pki/crl/issuing-ecdsa.crl"
    aia = {
        d.access_method: d.access_location.value
        for d in leaf.extensions.get_extension_for_class(cx.AuthorityInformationAccess).value
    }
    assert aia[cx.AuthorityInformationAccessOID.OCSP] == "https://ca.inkseal.test/pki/ocsp"
    assert aia[cx.AuthorityInformationAccessOID.CA_ISSUERS] == "https://ca.inkseal.test/pki/ca/issuing-ecdsa.crt"
    policies = leaf.extensions.get_extension_for_class(cx.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == [oids.POLICY_ENTERPRISE_SIGNING]
    with pytest.raises(cx.ExtensionNotFound):
        leaf.extensions.get_extension_for_class(cx.ExtendedKeyUsage)


@pytest.mark.parametrize(
    ("algorithm", "family", "usage"), [(RSA_2048, "rsa", "key_encipherment"), (ECDSA_P256, "ecdsa", "key_agreement")]
)
def test_encryption_key_usage_fits_the_key(
    hierarchy: Hierarchy, urls: PublicUrls, algorithm: Algorithm, family: str, usage: str
) -> None:
    leaf = parsed(issue(hierarchy, urls, family=family, algorithm=algorithm, profile=ENTERPRISE_ENCRYPTION))
    key_usage = leaf.extensions.get_extension_for_class(cx.KeyUsage).value
    assert getattr(key_usage, usage) is True
    assert key_usage.digital_signature is False and key_usage.content_commitment is False


def test_ca_certificates(hierarchy: Hierarchy) -> None:
    root = parsed(hierarchy.root.certificate)
    assert root.issuer == root.subject
    assert root.extensions.get_extension_for_class(cx.BasicConstraints).value.ca is True
    issuing = parsed(hierarchy.issuing["rsa"].certificate)
    constraints = issuing.extensions.get_extension_for_class(cx.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    key_usage = issuing.extensions.get_extension_for_class(cx.KeyUsage).value
    assert key_usage.key_cert_sign and key_usage.crl_sign
    aia = issuing.extensions.get_extension_for_class(cx.AuthorityInformationAccess).value
    assert [d.access_method for d in aia] == [cx.AuthorityInformationAccessOID.CA_ISSUERS]  # offline root: no OCSP


def test_ocsp_signer_certificate(hierarchy: Hierarchy) -> None:
    certificate = parsed(hierarchy.ocsp["issuing-rsa"].certificate)
    eku = certificate.extensions.get_extension_for_class(cx.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert certificate.extensions.get_extension_for_oid(ExtensionOID.OCSP_NO_CHECK)
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc <= timedelta(days=180)


def test_tsa_certificate_has_only_critical_time_stamping(hierarchy: Hierarchy) -> None:
    assert hierarchy.tsa is not None
    eku = parsed(hierarchy.tsa.certificate).extensions.get_extension_for_class(cx.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_person_subject_hides_the_id_number(hierarchy: Hierarchy, urls: PublicUrls) -> None:
    serial = hashed_id_serial(ID_NUMBER, b"platform key")
    leaf = parsed(issue(hierarchy, urls, profile=PERSONAL_SIGNING, subject=person_subject("张三", serial)))
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "张三"
    assert leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == serial
    assert leaf.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "CN"
    assert ID_NUMBER not in leaf.subject.rfc4514_string() and "1949" not in serial
    assert hashed_id_serial(ID_NUMBER.lower(), b"platform key") == serial != hashed_id_serial(ID_NUMBER, b"other")


def test_enterprise_subject(hierarchy: Hierarchy, urls: PublicUrls) -> None:
    leaf = parsed(issue(hierarchy, urls))
    attrs = {a.oid.dotted_string: a.value for a in leaf.subject}
    assert attrs == {"2.5.4.6": "CN", "2.5.4.10": "测试科技有限公司", "2.5.4.97": USCC, "2.5.4.3": "测试科技有限公司"}


def test_serials_are_random_positive_16_bytes(hierarchy: Hierarchy, urls: PublicUrls) -> None:
    serials = {issue(hierarchy, urls).serial for _ in range(20)}
    assert len(serials) == 20
    assert all(1 << 126 <= s < 1 << 127 for s in serials)


@pytest.mark.parametrize("years", [1, 2, 3])
def test_validity_is_whole_years(years: int) -> None:
    start = datetime(2024, 2, 29, 8, 30, 15, 999, tzinfo=UTC)
    validity = validity_years(years, start)
    assert validity.not_before == start.replace(microsecond=0)
    assert validity.not_after == add_years(start.replace(microsecond=0), years) - timedelta(seconds=1)
    assert validity.not_after.month == 2 and validity.not_after.day == 28


@pytest.mark.parametrize("years", [0, 4, 10, -1])
def test_validity_outside_the_products_is_refused(years: int) -> None:
    with pytest.raises(InvalidValidity):
        validity_years(years, datetime.now(UTC))


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidValidity):
        validity_years(1, datetime(2025, 1, 1))


def test_certificates_cannot_outlive_their_issuer(hierarchy: Hierarchy, urls: PublicUrls) -> None:
    ca = hierarchy.issuing["ecdsa"]
    late = Validity(ca.certificate.not_after - timedelta(days=1), ca.certificate.not_after + timedelta(days=1))
    with pytest.raises(IssuerExpiresTooSoon):
        issue_certificate(
            ca,
            subject=ca_subject("x", "y"),
            public_key=ECDSA_P256.generate_soft_key().public_key,
            profile=ENTERPRISE_SIGNING,
            validity=late,
            urls=urls,
        )


def test_a_ca_key_must_match_its_certificate(hierarchy: Hierarchy, keystore: SoftKeystore) -> None:
    with pytest.raises(CaKeyMismatch):
        CertificateAuthority("x", hierarchy.root.certificate, ECDSA_P256.generate_soft_key())


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("common_name", ""),
        ("common_name", "x" * 65),
        ("common_name", "bad\x00name"),
        ("serial_number", "张三"),
        ("country_name", "CHN"),
    ],
)
def test_bad_subject_values_are_refused(kind: str, value: str) -> None:
    with pytest.raises(InvalidSubject) as caught:
        Name((("country_name", "CN") if kind != "country_name" else ("common_name", "x"), (kind, value)))
    assert caught.value.code == "subject_invalid"


def test_signature_check_between_certificates(hierarchy: Hierarchy, urls: PublicUrls) -> None:
    leaf = issue(hierarchy, urls)
    leaf.verify_signed_by(hierarchy.issuing["ecdsa"].certificate)
    with pytest.raises(SignatureInvalid):
        leaf.verify_signed_by(Certificate(hierarchy.ocsp["issuing-ecdsa"].certificate.der))


def test_load_certificate_reads_pem_and_der(hierarchy: Hierarchy) -> None:
    root = hierarchy.root.certificate
    assert load_certificate(root.der).serial == root.serial
    assert load_certificate(root.pem().encode()).der == root.der


@pytest.mark.parametrize(
    "data", [b"", b"garbage", b"\x30\x82\xff\xff", b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----"]
)
def test_unreadable_certificates_are_refused(data: bytes) -> None:
    with pytest.raises(CertificateMalformed):
        load_certificate(data)


def test_truncated_and_oversized_certificates_are_refused(hierarchy: Hierarchy) -> None:
    der = hierarchy.root.certificate.der
    with pytest.raises(CertificateMalformed):
        load_certificate(der[:-10])
    with pytest.raises(CertificateMalformed):
        load_certificate(der + b"\x00")
    with pytest.raises(CertificateMalformed):
        load_certificate(b"\x30" * 70_000)


@pytest.mark.parametrize("family", ["rsa", "ecdsa"])
def test_pyhanko_certvalidator_accepts_signing_certificates(
    hierarchy: Hierarchy, urls: PublicUrls, family: str
) -> None:
    # The validator the PDF signing code relies on, as a second independent path builder.
    leaf = issue(hierarchy, urls, family=family, profile=PERSONAL_SIGNING)
    context = ValidationContext(
        trust_roots=[hierarchy.root.certificate.asn1], other_certs=[hierarchy.issuing[family].certificate.asn1]
    )
    validator = CertificateValidator(leaf.asn1, validation_context=context)
    path = asyncio.run(validator.async_validate_usage({"digital_signature", "non_repudiation"}))
    assert path.pkix_len == 2
