"""A throwaway PKI for tests and benchmarks: never use these keys for anything real.

Root CA → issuing CA → {seal signer, OCSP responder, time-stamping authority}, all made with
`cryptography` in memory, plus a CRL per CA and OCSP responses for the signer, so that PAdES
B-T and B-LT signatures can be made and validated without any network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from inkseal.signing.core.signer import SealSigner

KeyType = Literal["rsa", "ec"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

CRL_BASE = "http://pki.inkseal.test/crl/"
OCSP_URL = "http://pki.inkseal.test/ocsp"


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Inkseal Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass
class _CertRequest:
    subject: str
    key: PrivateKey
    issuer_cert: x509.Certificate | None
    issuer_key: PrivateKey
    ca: bool = False
    key_usage: dict[str, bool] = field(default_factory=dict)
    eku: list[x509.ObjectIdentifier] = field(default_factory=list)
    eku_critical: bool = False
    crl_name: str | None = None
    ocsp: bool = False
    ocsp_nocheck: bool = False


_KU_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _issue(req: _CertRequest, now: dt.datetime) -> x509.Certificate:
    subject = _name(req.subject)
    issuer_name = req.issuer_cert.subject if req.issuer_cert else subject
    ku = {name: req.key_usage.get(name, False) for name in _KU_FIELDS}
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(req.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=req.ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**ku), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(req.key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(req.issuer_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if req.eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(req.eku), critical=req.eku_critical)
    if req.crl_name:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(CRL_BASE + req.crl_name)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if req.ocsp:
        access = x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(OCSP_URL)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    if req.ocsp_nocheck:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    return builder.sign(req.issuer_key, hashes.SHA256())


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class TestPki:
    """Keys and certificates of the throwaway hierarchy (cryptography objects)."""

    __test__ = False  # not a pytest test class

    root_key: PrivateKey
    root: x509.Certificate
    issuing_key: PrivateKey
    issuing: x509.Certificate
    signer_key: PrivateKey
    signer_cert: x509.Certificate
    ocsp_key: PrivateKey
    ocsp_cert: x509.Certificate
    tsa_key: rsa.RSAPrivateKey
    tsa_cert: x509.Certificate

    def chain(self) -> list[x509.Certificate]:
        """Issuing CA then root: what a signer embeds after its own certificate."""
        return [self.issuing, self.root]

    def seal_signer(self) -> SealSigner:
        return SealSigner.from_private_key(self.signer_key, self.signer_cert, self.chain())

    def timestamper(self) -> DummyTimeStamper:
        tsa_key = asn1_keys.PrivateKeyInfo.load(
            self.tsa_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        store = SimpleCertificateStore.from_certs([to_asn1(self.issuing), to_asn1(self.root)])
        return DummyTimeStamper(tsa_cert=to_asn1(self.tsa_cert), tsa_key=tsa_key, certs_to_embed=store)

    def crl(self, ca: Literal["root", "issuing"] = "issuing", revoked: tuple[x509.Certificate, ...] = ()) -> bytes:
        ca_cert, ca_key = (self.root, self.root_key) if ca == "root" else (self.issuing, self.issuing_key)
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=7))
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        for cert in revoked:
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(now - dt.timedelta(minutes=1))
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp_response(self, cert: x509.Certificate | None = None, *, revoked: bool = False) -> bytes:
        """A signed OCSP response about `cert` (default: the seal signer) from the test responder."""
        cert = cert or self.signer_cert
        now = dt.datetime.now(dt.UTC)
        status = ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=cert,
                issuer=self.issuing,
                algorithm=hashes.SHA256(),
                cert_status=status,
                this_update=now - dt.timedelta(minutes=5),
                next_update=now + dt.timedelta(days=1),
                revocation_time=now - dt.timedelta(minutes=1) if revoked else None,
                revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.ocsp_cert)
            .certificates([self.ocsp_cert])
        )
        return builder.sign(self.ocsp_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def validation_context(self, *, revoked: bool = False, mode: str = "require") -> ValidationContext:
        """Trust our root, with every CRL/OCSP response needed to check the whole hierarchy offline."""
        revoked_certs = (self.signer_cert,) if revoked else ()
        return ValidationContext(
            trust_roots=[to_asn1(self.root)],
            other_certs=[to_asn1(self.issuing)],
            crls=[
                asn1_crl.CertificateList.load(self.crl("root")),
                asn1_crl.CertificateList.load(self.crl("issuing", revoked_certs)),
            ],
            ocsps=[asn1_ocsp.OCSPResponse.load(self.ocsp_response(revoked=revoked))],
            revocation_mode=mode,
        )

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def make_test_pki(key_type: KeyType = "rsa", signer_name: str = "测试科技有限公司", ocsp_url: bool = False) -> TestPki:
    """Build the whole hierarchy; the seal signer's key is `key_type` (RSA 2048 or ECDSA P-256).

    The signer's certificate names an OCSP responder only when `ocsp_url` is set: poppler's
    pdfsig tries to reach it and, offline, reports "Unknown issue with Certificate".
    """
    now = dt.datetime.now(dt.UTC)
    root_key = _new_key("rsa")
    ca_usage = {"key_cert_sign": True, "crl_sign": True}
    root = _issue(_CertRequest("Inkseal Test Root CA", root_key, None, root_key, ca=True, key_usage=ca_usage), now)
    issuing_key = _new_key("rsa")
    issuing = _issue(
        _CertRequest("Inkseal Test Issuing CA", issuing_key, root, root_key, True, ca_usage, crl_name="root.crl"), now
    )
    signer_key = _new_key(key_type)
    signer_usage = {"digital_signature": True, "content_commitment": True}
    signer_cert = _issue(
        _CertRequest(
            signer_name, signer_key, issuing, issuing_key, False, signer_usage, crl_name="issuing.crl", ocsp=ocsp_url
        ),
        now,
    )
    ocsp_key = _new_key("rsa")
    ocsp_cert = _issue(
        _CertRequest(
            "Inkseal Test OCSP Responder",
            ocsp_key,
            issuing,
            issuing_key,
            key_usage={"digital_signature": True},
            eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
            ocsp_nocheck=True,
        ),
        now,
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_cert = _issue(
        _CertRequest(
            "Inkseal Test TSA",
            tsa_key,
            issuing,
            issuing_key,
            key_usage={"digital_signature": True, "content_commitment": True},
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
            eku_critical=True,
            crl_name="issuing.crl",
        ),
        now,
    )
    return TestPki(
        root_key, root, issuing_key, issuing, signer_key, signer_cert, ocsp_key, ocsp_cert, tsa_key, tsa_cert
    )
