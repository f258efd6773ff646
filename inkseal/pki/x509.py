"""Certificates: write the TBSCertificate as DER and sign it through a KeyHandle.

`cryptography`'s builders need an in-memory private key; building the TBS ourselves lets CA keys
stay in a PKCS#11 token (or, later, be SM2) with one code path for every key. Extensions are
encoded with asn1crypto once per profile and CA (cached), the rest is written with `der`, which
keeps issuance near the speed of the signature itself. Parsing stays with asn1crypto.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from asn1crypto import x509 as asn1_x509

from inkseal.pki import der
from inkseal.pki.algorithms import Algorithm, KeyHandle, PublicKey, load_public_key
from inkseal.pki.errors import CaKeyMismatch, CertificateMalformed, IssuerExpiresTooSoon
from inkseal.pki.names import Name
from inkseal.pki.pem import armor, is_pem, unarmor
from inkseal.pki.profiles import ROOT_CA, CertificateProfile, Validity

MAX_CERTIFICATE_SIZE = 64 * 1024


@dataclass(frozen=True)
class PublicUrls:
    """Where relying parties fetch what they need, built from the configured public base URL."""

    base_url: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def crl(self, ca_id: str) -> str:
        return f"{self.base_url}/pki/crl/{ca_id}.crl"

    def ocsp(self) -> str:
        return f"{self.base_url}/pki/ocsp"

    def ca_certificate(self, ca_id: str) -> str:
        return f"{self.base_url}/pki/ca/{ca_id}.crt"


def random_serial() -> int:
    """A positive 127-bit serial (126 random bits): always 16 bytes of DER INTEGER content."""
    return secrets.randbits(126) | (1 << 126)


class Certificate:
    """A parsed certificate (DER), with the fields the PKI code reads."""

    def __init__(self, der: bytes):
        self.der = der
        self.asn1: asn1_x509.Certificate = asn1_x509.Certificate.load(der, strict=True)

    @cached_property
    def public_key(self) -> PublicKey:
        return load_public_key(self.asn1.public_key.dump())

    @property
    def serial(self) -> int:
        return int(self.asn1.serial_number)

    @property
    def subject(self) -> asn1_x509.Name:
        return self.asn1.subject

    @cached_property
    def subject_der(self) -> bytes:
        return bytes(self.asn1["tbs_certificate"]["subject"].dump())

    @property
    def not_before(self) -> datetime:
        return self.asn1.not_valid_before  # type: ignore[no-any-return]

    @property
    def not_after(self) -> datetime:
        return self.asn1.not_valid_after  # type: ignore[no-any-return]

    @cached_property
    def key_identifier(self) -> bytes:
        ski = self.asn1.key_identifier
        return bytes(ski) if ski is not None else self.public_key.key_identifier

    @cached_property
    def sha256_fingerprint(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    def pem(self) -> str:
        return armor(self.der, "CERTIFICATE")

    def verify_signed_by(self, issuer: Certificate) -> None:
        """Raise SignatureInvalid unless `issuer`'s key signed this certificate."""
        signature_oid = self.asn1["signature_algorithm"]["algorithm"].dotted
        tbs = self.asn1["tbs_certificate"].dump()
        issuer.public_key.verify(bytes(self.asn1.signature), tbs, signature_oid=signature_oid)

    def __repr__(self) -> str:
        return f"<Certificate {self.subject.human_friendly} serial={self.serial:x}>"


def load_certificate(data: bytes) -> Certificate:
    """Parse an untrusted DER or PEM certificate; CertificateMalformed for anything else."""
    if len(data) > MAX_CERTIFICATE_SIZE:
        raise CertificateMalformed("certificate is too large")
    try:
        raw = unarmor(data, ("CERTIFICATE",)) if is_pem(data) else data
        certificate = Certificate(raw)
        certificate.asn1.native  # noqa: B018 - parse everything now, not lazily later
    except Exception:  # asn1crypto raises ValueError, TypeError, ... on bad input
        raise CertificateMalformed("not a readable X.509 certificate")
    return certificate


class CertificateAuthority:
    """A CA that can sign: its certificate, its id in URLs, and a handle on its private key."""

    def __init__(self, ca_id: str, certificate: Certificate, signer: KeyHandle):
        if certificate.public_key.spki_der != signer.public_key.spki_der:
            raise CaKeyMismatch(f"the key of CA {ca_id} does not match its certificate")
        self.ca_id = ca_id
        self.certificate = certificate
        self.signer = signer

    @property
    def algorithm(self) -> Algorithm:
        return self.signer.algorithm

    @property
    def key_identifier(self) -> bytes:
        return self.certificate.key_identifier

    @property
    def subject_der(self) -> bytes:
        """The CA's subject, byte for byte, for the issuer field of what it signs."""
        return self.certificate.subject_der


def create_root_certificate(
    signer: KeyHandle, *, subject: Name, validity: Validity, serial: int | None = None
) -> Certificate:
    """A self-signed root: no AIA or CRL pointers, the trust anchor relying parties install."""
    tbs = _tbs(
        serial=serial or random_serial(),
        algorithm=signer.algorithm,
        issuer_der=subject.der,
        subject_der=subject.der,
        validity=validity,
        public_key=signer.public_key,
        extensions=_profile_extensions(ROOT_CA, signer.algorithm) + _subject_key_identifier(signer.public_key),
    )
    return Certificate(signed_structure(tbs, signer))


def issue_certificate(
    ca: CertificateAuthority,
    *,
    subject: Name,
    public_key: PublicKey,
    profile: CertificateProfile,
    validity: Validity,
    urls: PublicUrls,
    serial: int | None = None,
) -> Certificate:
    """Sign a certificate for `public_key` (from the keystore or a verified CSR) under `profile`."""
    if validity.not_after > ca.certificate.not_after:
        raise IssuerExpiresTooSoon(f"CA {ca.ca_id} expires before {validity.not_after:%Y-%m-%d}")
    extensions = (
        _profile_extensions(profile, public_key.algorithm)
        + _subject_key_identifier(public_key)
        + _issuer_extensions(profile, ca.key_identifier, ca.ca_id, urls)
    )
    tbs = _tbs(
        serial=serial or random_serial(),
        algorithm=ca.algorithm,
        issuer_der=ca.subject_der,
        subject_der=subject.der,
        validity=validity,
        public_key=public_key,
        extensions=extensions,
    )
    return Certificate(signed_structure(tbs, ca.signer))


def signed_structure(tbs_der: bytes, signer: KeyHandle) -> bytes:
    """SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }: certificates and CRLs alike."""
    signature = signer.sign(tbs_der)
    return der.sequence(tbs_der, signer.algorithm.signature_algorithm_der, der.bit_string(signature))


def _tbs(
    *,
    serial: int,
    algorithm: Algorithm,
    issuer_der: bytes,
    subject_der: bytes,
    validity: Validity,
    public_key: PublicKey,
    extensions: bytes,
) -> bytes:
    return der.sequence(
        der.explicit(0, der.integer(2)),  # v3
        der.integer(serial),
        algorithm.signature_algorithm_der,
        issuer_der,
        der.sequence(der.x509_time(validity.not_before), der.x509_time(validity.not_after)),
        subject_der,
        public_key.spki_der,
        der.explicit(3, der.sequence(extensions)),
    )


def _subject_key_identifier(public_key: PublicKey) -> bytes:
    return der.sequence(der.oid("2.5.29.14"), der.octet_string(der.octet_string(public_key.key_identifier)))


# Extensions that depend only on the profile (and key algorithm) or on the issuing CA are the
# same for thousands of certificates: encode them once.
@lru_cache(maxsize=256)
def _profile_extensions(profile: CertificateProfile, algorithm: Algorithm) -> bytes:
    extensions = [
        _ext("basic_constraints", _basic_constraints(profile), critical=True),
        _ext("key_usage", set(profile.key_usage_for(algorithm)), critical=True),
    ]
    if profile.extended_key_usage:
        eku = list(profile.extended_key_usage)
        extensions.append(_ext("extended_key_usage", eku, critical=profile.extended_key_usage_critical))
    if profile.policy_oid:
        extensions.append(_ext("certificate_policies", [{"policy_identifier": profile.policy_oid}]))
    if profile.ocsp_no_check:
        extensions.append(_ext("ocsp_no_check", None))
    return b"".join(extensions)


@lru_cache(maxsize=256)
def _issuer_extensions(profile: CertificateProfile, issuer_key_id: bytes, ca_id: str, urls: PublicUrls) -> bytes:
    extensions = [_ext("authority_key_identifier", {"key_identifier": issuer_key_id})]
    if profile.crl_distribution_point:
        point_name = asn1_x509.DistributionPointName(name="full_name", value=[_uri(urls.crl(ca_id))])
        extensions.append(_ext("crl_distribution_points", [{"distribution_point": point_name}]))
    access = []
    if profile.ocsp_url:
        access.append({"access_method": "ocsp", "access_location": _uri(urls.ocsp())})
    if profile.ca_issuers_url:
        access.append({"access_method": "ca_issuers", "access_location": _uri(urls.ca_certificate(ca_id))})
    if access:
        extensions.append(_ext("authority_information_access", access))
    return b"".join(extensions)


def _basic_constraints(profile: CertificateProfile) -> dict[str, Any]:
    value: dict[str, Any] = {"ca": profile.is_ca}
    if profile.is_ca and profile.path_length is not None:
        value["path_len_constraint"] = profile.path_length
    return value


def _uri(url: str) -> asn1_x509.GeneralName:
    return asn1_x509.GeneralName(name="uniform_resource_identifier", value=url)


def _ext(name: str, value: Any, *, critical: bool = False) -> bytes:
    return bytes(asn1_x509.Extension({"extn_id": name, "critical": critical, "extn_value": value}).dump())
