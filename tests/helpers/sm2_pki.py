"""A throwaway SM2 PKI for tests and benchmarks (国密): never use these keys for anything real.

SM2 root → SM2 issuing CA → {seal signer, OCSP responder, time-stamping authority}, made with
inkseal.pki itself (`cryptography` cannot sign with SM2) in an in-memory soft keystore, plus CRLs
and OCSP responses signed with SM2, so that SM2 PAdES B-T and B-LT signatures can be made and
validated offline. The SM2 counterpart of tests.helpers.signing_pki.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from pyhanko_certvalidator import ValidationContext

from inkseal.pki.algorithms import SM2, SoftKey, new_hash
from inkseal.pki.crl import RevocationReason, RevokedEntry, build_crl
from inkseal.pki.hierarchy import Hierarchy, bootstrap_hierarchy
from inkseal.pki.keystores.soft import KeyEncryptionKey, MemoryBlobStore, SoftKeystore
from inkseal.pki.names import enterprise_subject
from inkseal.pki.ocsp import CertStatus, OcspIssuer, OcspResponder
from inkseal.pki.profiles import ENTERPRISE_SIGNING, Validity
from inkseal.pki.tsa import TimeStampAuthority
from inkseal.pki.x509 import Certificate, CertificateAuthority, PublicUrls, issue_certificate
from inkseal.signing.core.gmcms import SIGNATURE_VALIDATOR
from inkseal.signing.core.signer import SealSigner
from inkseal.signing.tasks.timestamper import InProcessTimeStamper

URLS = PublicUrls("http://pki.inkseal.test")
ORGANIZATION = "Inkseal SM2 Test"
SIGNER_USCC = "91110108MA01A0B2C3"  # names are not checked here; only its shape matters


@dataclass
class Sm2TestPki:
    """Keys and certificates of the throwaway SM2 hierarchy (inkseal.pki objects)."""

    __test__ = False  # not a pytest test class

    keystore: SoftKeystore
    hierarchy: Hierarchy
    signer_key: SoftKey
    signer_cert: Certificate
    _serials: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def root(self) -> Certificate:
        return self.hierarchy.root.certificate

    @property
    def issuing_ca(self) -> CertificateAuthority:
        return self.hierarchy.issuing["sm2"]

    @property
    def issuing(self) -> Certificate:
        return self.issuing_ca.certificate

    def chain(self) -> list[bytes]:
        """Issuing CA then root (DER): what a signer embeds after its own certificate."""
        return [self.issuing.der, self.root.der]

    def seal_signer(self) -> SealSigner:
        return SealSigner(self.signer_key, self.signer_cert.der, self.chain())

    def timestamper(self) -> InProcessTimeStamper:
        """Our RFC 3161 TSA with its SM2 key (SM2 over SM3 of the token's signed attributes)."""
        tsa = self.hierarchy.tsa
        assert tsa is not None
        authority = TimeStampAuthority(
            tsa.certificate,
            self.keystore.signer(tsa.key_id),
            serials=lambda: next(self._serials),
            chain=[self.issuing, self.root],
        )
        return InProcessTimeStamper(authority.respond)

    def crl(self, ca: str = "issuing", revoked: Sequence[Certificate] = ()) -> bytes:
        """An SM2-signed CRL of the root or the issuing CA, listing `revoked` (key compromise)."""
        authority = self.hierarchy.root if ca == "root" else self.issuing_ca
        now = datetime.now(UTC).replace(microsecond=0)
        entries = [
            RevokedEntry(cert.serial, now - timedelta(minutes=1), RevocationReason.KEY_COMPROMISE) for cert in revoked
        ]
        return build_crl(
            authority,
            entries,
            crl_number=next(self._serials),
            this_update=now - timedelta(minutes=5),
            next_update=now + timedelta(days=7),
        )

    def ocsp_response(self, cert: Certificate | None = None, *, revoked: bool = False) -> bytes:
        """An OCSPResponse about `cert` (default: the seal signer) from the SM2 delegated responder."""
        cert = cert or self.signer_cert
        ca = self.issuing_ca
        responder = self.hierarchy.ocsp[ca.ca_id]
        issuer = OcspIssuer(ca.ca_id, ca.certificate, responder.certificate, self.keystore.signer(responder.key_id))
        now = datetime.now(UTC)
        status = CertStatus.revoked(now - timedelta(minutes=1), RevocationReason.KEY_COMPROMISE)
        lookup = (lambda _ca, _serial: status) if revoked else (lambda _ca, _serial: CertStatus.good())
        return OcspResponder([issuer], lookup).respond(ocsp_request(cert, ca.certificate))

    def validation_context(self, *, revoked: bool = False, mode: str = "require") -> ValidationContext:
        """Trust the SM2 root, with the CRLs and OCSP response to check the whole hierarchy offline."""
        revoked_certs = (self.signer_cert,) if revoked else ()
        return ValidationContext(
            trust_roots=[self.root.asn1],
            other_certs=[self.issuing.asn1],
            crls=[
                asn1_crl.CertificateList.load(self.crl("root")),
                asn1_crl.CertificateList.load(self.crl("issuing", revoked_certs)),
            ],
            ocsps=[asn1_ocsp.OCSPResponse.load(self.ocsp_response(revoked=revoked))],
            revocation_mode=mode,
            signature_validator=SIGNATURE_VALIDATOR,
        )


def ocsp_request(cert: Certificate, issuer: Certificate) -> bytes:
    """A one-certificate OCSPRequest, its CertID hashed with SM3."""
    issuer_key = bytes(issuer.asn1.public_key["public_key"])
    cert_id = asn1_ocsp.CertId(
        {
            "hash_algorithm": {"algorithm": "sm3"},
            "issuer_name_hash": new_hash("sm3", issuer.subject_der).digest(),
            "issuer_key_hash": new_hash("sm3", issuer_key).digest(),
            "serial_number": cert.serial,
        }
    )
    request = asn1_ocsp.OCSPRequest({"tbs_request": {"request_list": [{"req_cert": cert_id}]}})
    return bytes(request.dump())


def issue_sm2_signer(issuing_ca: CertificateAuthority, common_name: str) -> tuple[SoftKey, Certificate]:
    """A fresh SM2 key and its enterprise signing certificate (valid from yesterday, one year)."""
    key = SM2.generate_soft_key()
    certificate = issue_certificate(
        issuing_ca,
        subject=enterprise_subject(common_name, SIGNER_USCC),
        public_key=key.public_key,
        profile=ENTERPRISE_SIGNING,
        validity=Validity.starting(datetime.now(UTC) - timedelta(days=1), timedelta(days=365)),
        urls=URLS,
    )
    return key, certificate


def make_sm2_test_pki(signer_name: str = "国密测试科技有限公司") -> Sm2TestPki:
    """The whole SM2 hierarchy (root, issuing CA with OCSP responder, TSA) and a seal signer."""
    keystore = SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())
    hierarchy = bootstrap_hierarchy(
        keystore,
        urls=URLS,
        organization=ORGANIZATION,
        now=datetime.now(UTC) - timedelta(days=2),
        root_algorithm=SM2,
        issuing_algorithms=(SM2,),
        tsa_algorithm=SM2,
    )
    key, certificate = issue_sm2_signer(hierarchy.issuing["sm2"], signer_name)
    return Sm2TestPki(keystore, hierarchy, key, certificate)
