"""Creating the CA hierarchy: an offline-style root, issuing CAs per algorithm, OCSP and TSA keys,
and the seal maker (制章者) that signs GB/T 38540 electronic seals under the SM2 issuing CA.

Pure orchestration over a Keystore: every function generates a key in the keystore, issues the
certificate and returns both, for the caller (the `inkseal ca init` command) to persist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from inkseal.pki.algorithms import ECDSA_P256, RSA_3072, SM2, Algorithm
from inkseal.pki.keystores import Keystore
from inkseal.pki.names import ca_subject
from inkseal.pki.oids import DEFAULT_POLICIES, PolicyOids
from inkseal.pki.profiles import ISSUING_CA, OCSP_SIGNING, SEAL_MAKER, TIME_STAMPING, Validity, validity_for_years
from inkseal.pki.x509 import (
    Certificate,
    CertificateAuthority,
    PublicUrls,
    create_root_certificate,
    issue_certificate,
)

ROOT_YEARS = 20
ISSUING_YEARS = 10
OCSP_SIGNER_DAYS = 180  # nocheck responder certificates should be short-lived
TSA_YEARS = 5
SEAL_MAKER_YEARS = 5


@dataclass(frozen=True)
class KeyedCertificate:
    """A certificate and the keystore id of its private key: what the caller persists."""

    key_id: str
    certificate: Certificate


def create_root_ca(
    keystore: Keystore, algorithm: Algorithm, *, ca_id: str, common_name: str, organization: str, now: datetime
) -> CertificateAuthority:
    key_id = keystore.generate_key(algorithm, f"ca:{ca_id}")
    signer = keystore.signer(key_id)
    subject = ca_subject(common_name, organization)
    certificate = create_root_certificate(signer, subject=subject, validity=validity_for_years(ROOT_YEARS, now))
    return CertificateAuthority(ca_id, certificate, signer)


def create_issuing_ca(
    root: CertificateAuthority,
    keystore: Keystore,
    algorithm: Algorithm,
    *,
    ca_id: str,
    common_name: str,
    organization: str,
    urls: PublicUrls,
    now: datetime,
) -> CertificateAuthority:
    key_id = keystore.generate_key(algorithm, f"ca:{ca_id}")
    signer = keystore.signer(key_id)
    certificate = issue_certificate(
        root,
        subject=ca_subject(common_name, organization),
        public_key=signer.public_key,
        profile=ISSUING_CA,
        validity=validity_for_years(ISSUING_YEARS, now),
        urls=urls,
    )
    return CertificateAuthority(ca_id, certificate, signer)


def create_ocsp_signer(
    ca: CertificateAuthority,
    keystore: Keystore,
    *,
    organization: str,
    urls: PublicUrls,
    now: datetime,
    algorithm: Algorithm | None = None,
    key_id: str | None = None,
    policies: PolicyOids = DEFAULT_POLICIES,
) -> KeyedCertificate:
    """The delegated OCSP responder certificate of `ca`; pass `key_id` to recertify an existing key."""
    key_id = key_id or keystore.generate_key(algorithm or ca.algorithm, f"ocsp:{ca.ca_id}")
    certificate = issue_certificate(
        ca,
        subject=ca_subject(f"{ca.certificate.subject.native['common_name']} OCSP Responder", organization),
        public_key=keystore.public_key(key_id),
        profile=OCSP_SIGNING.with_policies(policies),
        validity=Validity.starting(now, timedelta(days=OCSP_SIGNER_DAYS)),
        urls=urls,
    )
    return KeyedCertificate(key_id, certificate)


def create_tsa(
    ca: CertificateAuthority,
    keystore: Keystore,
    algorithm: Algorithm,
    *,
    common_name: str,
    organization: str,
    urls: PublicUrls,
    now: datetime,
    policies: PolicyOids = DEFAULT_POLICIES,
) -> KeyedCertificate:
    key_id = keystore.generate_key(algorithm, f"tsa:{common_name}")
    certificate = issue_certificate(
        ca,
        subject=ca_subject(common_name, organization),
        public_key=keystore.public_key(key_id),
        profile=TIME_STAMPING.with_policies(policies),
        validity=validity_for_years(TSA_YEARS, now),
        urls=urls,
    )
    return KeyedCertificate(key_id, certificate)


def create_seal_maker(
    ca: CertificateAuthority,
    keystore: Keystore,
    *,
    organization: str,
    urls: PublicUrls,
    now: datetime,
    algorithm: Algorithm = SM2,
    policies: PolicyOids = DEFAULT_POLICIES,
) -> KeyedCertificate:
    """The seal-making certificate (制章者证书) of `ca`: GB/T 38540 wants the maker's own certificate
    in every electronic seal, so it is an end-entity certificate with the seal-maker policy."""
    validity = validity_for_years(SEAL_MAKER_YEARS, now)
    if validity.not_after > ca.certificate.not_after:  # late in the CA's life: end with it
        validity = Validity(validity.not_before, ca.certificate.not_after)
    key_id = keystore.generate_key(algorithm, f"seal-maker:{ca.ca_id}")
    certificate = issue_certificate(
        ca,
        subject=ca_subject(f"{organization} Seal Maker", organization),
        public_key=keystore.public_key(key_id),
        profile=SEAL_MAKER.with_policies(policies),
        validity=validity,
        urls=urls,
    )
    return KeyedCertificate(key_id, certificate)


@dataclass
class Hierarchy:
    root: CertificateAuthority
    issuing: dict[str, CertificateAuthority] = field(default_factory=dict)  # by algorithm family
    ocsp: dict[str, KeyedCertificate] = field(default_factory=dict)  # by issuing ca_id
    tsa: KeyedCertificate | None = None
    seal_maker: KeyedCertificate | None = None  # with an SM2 issuing CA only


def bootstrap_hierarchy(
    keystore: Keystore,
    *,
    urls: PublicUrls,
    organization: str,
    now: datetime,
    root_algorithm: Algorithm = RSA_3072,
    issuing_algorithms: Sequence[Algorithm] = (RSA_3072, ECDSA_P256),
    tsa_algorithm: Algorithm | None = ECDSA_P256,
) -> Hierarchy:
    """Root -> one issuing CA per algorithm family (each with its OCSP signer) -> TSA.

    CA ids: root-<family>, issuing-<family>. The TSA is certified by the issuing CA of its own
    algorithm family; `tsa_algorithm=None` makes none. SM2 gets its own root: call again with
    `root_algorithm=SM2, issuing_algorithms=(SM2,), tsa_algorithm=SM2` for root-sm2 -> issuing-sm2,
    which also certifies the seal maker.
    """
    if tsa_algorithm is not None and tsa_algorithm.family not in {a.family for a in issuing_algorithms}:
        raise ValueError(f"the {tsa_algorithm.label} TSA needs an issuing CA of the same family")
    root = create_root_ca(
        keystore,
        root_algorithm,
        ca_id=f"root-{root_algorithm.family}",
        common_name=f"{organization} Root CA ({root_algorithm.label})",
        organization=organization,
        now=now,
    )
    hierarchy = Hierarchy(root)
    for algorithm in issuing_algorithms:
        ca = create_issuing_ca(
            root,
            keystore,
            algorithm,
            ca_id=f"issuing-{algorithm.family}",
            common_name=f"{organization} {algorithm.label} Issuing CA",
            organization=organization,
            urls=urls,
            now=now,
        )
        hierarchy.issuing[algorithm.family] = ca
        hierarchy.ocsp[ca.ca_id] = create_ocsp_signer(ca, keystore, organization=organization, urls=urls, now=now)
    if SM2.family in hierarchy.issuing:
        sm2_ca = hierarchy.issuing[SM2.family]
        hierarchy.seal_maker = create_seal_maker(sm2_ca, keystore, organization=organization, urls=urls, now=now)
    if tsa_algorithm is None:
        return hierarchy
    tsa_ca = hierarchy.issuing[tsa_algorithm.family]
    hierarchy.tsa = create_tsa(
        tsa_ca,
        keystore,
        tsa_algorithm,
        common_name=f"{organization} Time Stamping Authority",
        organization=organization,
        urls=urls,
        now=now,
    )
    return hierarchy
