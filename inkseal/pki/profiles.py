"""Certificate profiles as data: what each kind of certificate carries, and validity rules.

Key usage of encryption certificates depends on the key (RSA transports keys: keyEncipherment;
ECDSA agrees keys: keyAgreement; SM2 does both and encrypts data: keyEncipherment, dataEncipherment
and keyAgreement, GM/T 0015), so it comes from `Algorithm.encryption_key_usage`.
End-entity signing certificates carry no extended key usage on purpose: Adobe Acrobat rejects
signing certificates whose EKU lacks its own or emailProtection purposes, and none is required.
"""

from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from inkseal.pki import oids
from inkseal.pki.algorithms import Algorithm
from inkseal.pki.errors import InvalidValidity

SIGNING_KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})
CA_KEY_USAGE = frozenset({"key_cert_sign", "crl_sign"})
END_ENTITY_YEARS = (1, 2, 3)


@dataclass(frozen=True)
class CertificateProfile:
    name: str
    key_usage: frozenset[str] = frozenset()
    encryption: bool = False  # key usage from the subject key's algorithm
    extended_key_usage: tuple[str, ...] = ()
    extended_key_usage_critical: bool = False
    is_ca: bool = False
    path_length: int | None = None
    policy_oid: str | None = None  # the default (placeholder arc); `with_policies` sets the one in force
    policy: str | None = None  # which of oids.PolicyOids it is, by field name
    crl_distribution_point: bool = True
    ocsp_url: bool = True
    ca_issuers_url: bool = True
    ocsp_no_check: bool = False
    end_entity_validity: bool = True  # 1-3 years chosen by the product

    def key_usage_for(self, algorithm: Algorithm) -> frozenset[str]:
        return frozenset(algorithm.encryption_key_usage) if self.encryption else self.key_usage

    def with_policies(self, policies: oids.PolicyOids) -> CertificateProfile:
        """This profile carrying the operator's policy OID instead of the default."""
        if self.policy is None:
            return self
        return dataclasses.replace(self, policy_oid=getattr(policies, self.policy))


ROOT_CA = CertificateProfile(
    name="root_ca",
    key_usage=CA_KEY_USAGE,
    is_ca=True,
    crl_distribution_point=False,
    ocsp_url=False,
    ca_issuers_url=False,
    end_entity_validity=False,
)
# The root is offline-style: it publishes a CRL but runs no OCSP, so its subordinates point to
# the CRL and the root certificate only.
ISSUING_CA = CertificateProfile(
    name="issuing_ca",
    key_usage=CA_KEY_USAGE,
    is_ca=True,
    path_length=0,
    policy_oid=oids.ANY_POLICY,
    ocsp_url=False,
    end_entity_validity=False,
)
# Delegated responder (RFC 6960 4.2.2.2); id-pkix-ocsp-nocheck because checking the responder's
# own status would loop. Keep its validity short and reissue it on a schedule.
OCSP_SIGNING = CertificateProfile(
    name="ocsp_signing",
    key_usage=frozenset({"digital_signature"}),
    extended_key_usage=("ocsp_signing",),
    policy_oid=oids.POLICY_SERVICES,
    policy="services",
    crl_distribution_point=False,
    ocsp_url=False,
    ca_issuers_url=True,
    ocsp_no_check=True,
    end_entity_validity=False,
)
# RFC 3161 2.3: the TSA certificate has exactly one EKU, id-kp-timeStamping, marked critical.
TIME_STAMPING = CertificateProfile(
    name="time_stamping",
    key_usage=SIGNING_KEY_USAGE,
    extended_key_usage=("time_stamping",),
    extended_key_usage_critical=True,
    policy_oid=oids.POLICY_SERVICES,
    policy="services",
    end_entity_validity=False,
)
# 制章者证书: the platform signs the electronic seals (GB/T 38540 SES_Seal) it makes with this key;
# the policy OID is what verifiers look for to tell it from any other certificate of our CA.
SEAL_MAKER = CertificateProfile(
    name="seal_maker",
    key_usage=SIGNING_KEY_USAGE,
    policy_oid=oids.POLICY_SEAL_MAKER,
    policy="seal_maker",
    end_entity_validity=False,
)
PERSONAL_SIGNING = CertificateProfile(
    name="personal_signing",
    key_usage=SIGNING_KEY_USAGE,
    policy_oid=oids.POLICY_PERSONAL_SIGNING,
    policy="personal_signing",
)
ENTERPRISE_SIGNING = CertificateProfile(
    name="enterprise_signing",
    key_usage=SIGNING_KEY_USAGE,
    policy_oid=oids.POLICY_ENTERPRISE_SIGNING,
    policy="enterprise_signing",
)
ENTERPRISE_ENCRYPTION = CertificateProfile(
    name="enterprise_encryption",
    encryption=True,
    policy_oid=oids.POLICY_ENTERPRISE_ENCRYPTION,
    policy="enterprise_encryption",
)

PROFILES = {
    p.name: p
    for p in (
        ROOT_CA,
        ISSUING_CA,
        OCSP_SIGNING,
        TIME_STAMPING,
        SEAL_MAKER,
        PERSONAL_SIGNING,
        ENTERPRISE_SIGNING,
        ENTERPRISE_ENCRYPTION,
    )
}


@dataclass(frozen=True)
class Validity:
    not_before: datetime
    not_after: datetime

    def __post_init__(self) -> None:
        for moment in (self.not_before, self.not_after):
            if moment.tzinfo is None:
                raise InvalidValidity("validity times must be timezone-aware")
        if self.not_after <= self.not_before:
            raise InvalidValidity("notAfter must be later than notBefore")

    @classmethod
    def starting(cls, start: datetime, duration: timedelta) -> Validity:
        start = _whole_seconds(start)
        return cls(start, start + duration - timedelta(seconds=1))


def validity_years(years: int, start: datetime) -> Validity:
    """Validity of an end-entity certificate bought for 1, 2 or 3 years, ending the second before."""
    if years not in END_ENTITY_YEARS:
        raise InvalidValidity(f"validity must be one of {END_ENTITY_YEARS} years", years=years)
    return validity_for_years(years, start)


def validity_for_years(years: int, start: datetime) -> Validity:
    start = _whole_seconds(start)
    return Validity(start, add_years(start, years) - timedelta(seconds=1))


def add_years(moment: datetime, years: int) -> datetime:
    year = moment.year + years
    day = min(moment.day, calendar.monthrange(year, moment.month)[1])  # 29 Feb -> 28 Feb
    return moment.replace(year=year, day=day)


def _whole_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidValidity("validity times must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)
