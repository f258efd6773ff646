"""CA互信互认: operators trust other CAs' roots; users register UKEY certificates those CAs issued."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.errors import ExternalCertificateRejected, HolderNotEligible, TrustedRootInvalid
from inkseal.pki.models import Certificate, TrustedRoot
from inkseal.pki.services import issue_cloud_certificate
from inkseal.pki.status import CertificateStatus, certificate_status
from inkseal.pki.trust import add_trusted_root, register_external_certificate

pytestmark = pytest.mark.django_db

OPERATOR = Actor("operator", "1", "operator")
NOW = datetime.now(UTC)
FOREIGN_CA = "天威诚信测试CA"


def _name(common_name: str, organization: str = "Foreign Trust") -> cx.Name:
    return cx.Name(
        [cx.NameAttribute(NameOID.COMMON_NAME, common_name), cx.NameAttribute(NameOID.ORGANIZATION_NAME, organization)]
    )


def _certificate(
    subject: cx.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: cx.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    not_after: datetime = NOW + timedelta(days=365),
) -> cx.Certificate:
    builder = (
        cx.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(cx.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(cx.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(cx.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(cx.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .add_extension(
            cx.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:  # revocation is checked where the certificate points to (unreachable here: no fetching in tests)
        point = cx.DistributionPoint(
            [cx.UniformResourceIdentifier("http://crl.foreign.test/root.crl")], None, None, None
        )
        builder = builder.add_extension(cx.CRLDistributionPoints([point]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@functools.cache
def foreign_pki() -> dict[str, object]:
    """A foreign root, an intermediate under it, and their keys (made once)."""
    root_key, sub_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name, sub_name = _name("Foreign Root CA"), _name("Foreign Sub CA")
    root = _certificate(root_name, root_key, root_name, root_key, ca=True, not_after=NOW + timedelta(days=3650))
    sub = _certificate(sub_name, sub_key, root_name, root_key, ca=True, not_after=NOW + timedelta(days=3000))
    return {"root": root, "root_key": root_key, "sub": sub, "sub_key": sub_key}


def pem(certificate: cx.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def leaf(common_name: str, *, via_sub: bool = False, not_after: datetime = NOW + timedelta(days=365)) -> cx.Certificate:
    pki = foreign_pki()
    issuer = pki["sub"] if via_sub else pki["root"]
    issuer_key = pki["sub_key"] if via_sub else pki["root_key"]
    key = ec.generate_private_key(ec.SECP256R1())
    return _certificate(
        _name(common_name),
        key,
        issuer.subject,
        issuer_key,
        ca=False,
        not_after=not_after,  # type: ignore[arg-type,attr-defined]
    )


def trust_foreign_root() -> TrustedRoot:
    root = foreign_pki()["root"]
    existing = TrustedRoot.objects.filter(subject__contains="Foreign Root CA").first()
    return existing or add_trusted_root(FOREIGN_CA, pem(root), acting=Acting(OPERATOR))  # type: ignore[arg-type]


def registered_external(person) -> Certificate:  # type: ignore[no-untyped-def]
    trust_foreign_root()
    return register_external_certificate(
        person.party, pem(leaf(person.name)), ukey_serial="FT-1", acting=Acting(OPERATOR)
    )


def test_a_trusted_cas_ukey_certificate_is_registered(verified_person):
    person = verified_person(name="赵六")
    certificate = registered_external(person)
    assert certificate.medium == "ukey" and certificate.ca_name == FOREIGN_CA and certificate.is_external
    assert certificate.issuer is None and certificate.ukey_serial == "FT-1"
    assert certificate_status(certificate) == CertificateStatus.VALID
    assert AuditEntry.objects.filter(event="certificate.register_external").exists()
    assert AuditEntry.objects.filter(event="pki.trusted_root_add").exists()


def test_intermediates_complete_the_chain(verified_person):
    person = verified_person(name="赵六")
    trust_foreign_root()
    certificate = pem(leaf("赵六", via_sub=True))
    with pytest.raises(ExternalCertificateRejected) as refused:
        register_external_certificate(person.party, certificate, ukey_serial="FT-2", acting=Acting(OPERATOR))
    assert "证书链" in str(refused.value.message)
    registered = register_external_certificate(
        person.party,
        certificate,
        ukey_serial="FT-2",
        intermediates=[pem(foreign_pki()["sub"])],
        acting=Acting(OPERATOR),  # type: ignore[arg-type]
    )
    assert registered.trusted_root.name == FOREIGN_CA


def _refusal(person, data: bytes, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ExternalCertificateRejected) as refused:
        register_external_certificate(person.party, data, ukey_serial="FT-3", acting=Acting(OPERATOR), **kwargs)
    return str(refused.value.message)


def test_what_is_refused(verified_person, ca_hierarchy):
    person = verified_person(name="赵六")
    assert "尚未配置互信CA" in _refusal(person, pem(leaf("赵六")))
    root = trust_foreign_root()
    assert "不一致" in _refusal(person, pem(leaf("别人")))
    assert "有效" in _refusal(person, b"not a certificate")
    expired = leaf("赵六", not_after=NOW - timedelta(hours=1))
    assert "验证失败" in _refusal(person, pem(expired))
    own = issue_cloud_certificate(person.party, algorithm=ECDSA_P256, years=1, acting=Acting(OPERATOR))
    assert "本平台" in _refusal(person, bytes(own.der))
    registered = registered_external(person)
    assert "已登记" in _refusal(person, bytes(registered.der))
    root.enabled = False
    root.save()
    assert "尚未配置互信CA" in _refusal(person, pem(leaf("赵六")))
    assert Certificate.objects.filter(trusted_root__isnull=False).count() == 1


def test_a_certificate_its_ca_revoked_is_refused(verified_person):
    person = verified_person(name="赵六")
    trust_foreign_root()
    certificate = leaf("赵六")
    pki = foreign_pki()
    revoked = cx.RevokedCertificateBuilder().serial_number(certificate.serial_number).revocation_date(NOW).build()
    crl = (
        cx.CertificateRevocationListBuilder()
        .issuer_name(pki["root"].subject)  # type: ignore[attr-defined]
        .last_update(NOW - timedelta(hours=1))
        .next_update(NOW + timedelta(days=1))
        .add_revoked_certificate(revoked)
        .add_extension(cx.CRLNumber(1), critical=False)
        .sign(pki["root_key"], hashes.SHA256())  # type: ignore[arg-type]
    )
    assert "吊销" in _refusal(person, pem(certificate), crls=[crl.public_bytes(serialization.Encoding.DER)])


def test_unverified_holders_cannot_register(make_person):
    trust_foreign_root()
    person = make_person(name="赵六")
    with pytest.raises(HolderNotEligible):
        register_external_certificate(person.party, pem(leaf("赵六")), ukey_serial="FT-4", acting=Acting(OPERATOR))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"garbage", "有效"),
        (None, "不是CA证书"),
    ],
    ids=["garbage", "leaf"],
)
def test_a_trusted_root_must_be_a_ca(data, message):
    with pytest.raises(TrustedRootInvalid) as refused:
        add_trusted_root("X", data or pem(leaf("某人")), acting=Acting(OPERATOR))
    assert message in str(refused.value.message)
    assert not TrustedRoot.objects.exists()


def test_a_trusted_root_must_be_self_signed():
    with pytest.raises(TrustedRootInvalid) as refused:
        add_trusted_root("X", pem(foreign_pki()["sub"]), acting=Acting(OPERATOR))  # type: ignore[arg-type]
    assert "自签名" in str(refused.value.message)
