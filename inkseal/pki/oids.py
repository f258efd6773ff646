"""Object identifiers the platform defines: the certificate and time-stamp policies.

PLACEHOLDER_ARC (1.3.6.1.4.1.99999) is NOT registered to this project or to any operator: it is
only the default so that a fresh installation runs. Before production an operator sets
INKSEAL_PKI_POLICY_ARC to their own arc (an IANA private enterprise number,
https://www.iana.org/assignments/enterprise-numbers, or a 2.25.<uuid> arc) or sets single policies
with INKSEAL_PKI_POLICY_<NAME>; the policy OIDs are baked into every certificate issued and every
time stamp granted from then on, so the hierarchy's service certificates are best reissued too.
/pki/ca.json publishes the policies in force, `placeholder: true` while the default arc is used.

Under an arc:
    {arc}.1       certificate policies
    {arc}.1.1       personal signing certificates (个人签名证书)
    {arc}.1.2       enterprise signing certificates (企业签名证书)
    {arc}.1.3       enterprise encryption certificates (企业加密证书)
    {arc}.1.4       the seal-making certificate (制章者证书, GB/T 38540 electronic seals)
    {arc}.1.9       certificates of the platform's own services (OCSP, TSA)
    {arc}.2       time-stamp policies
    {arc}.2.1       the TSAs' policy (every TSTInfo's policy field)
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

PLACEHOLDER_ARC = "1.3.6.1.4.1.99999"

ANY_POLICY = "2.5.29.32.0"

_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")


def is_oid(text: str) -> bool:
    """Dotted decimal with a valid first arc (0, 1 or 2) and at least two arcs, no leading zeros."""
    if not _OID.match(text):
        return False
    first, second = (int(part) for part in text.split(".")[:2])
    return first == 2 or second < 40


@dataclass(frozen=True)
class PolicyOids:
    """The policy OIDs in force (an arc's layout above, each one replaceable)."""

    arc: str
    personal_signing: str
    enterprise_signing: str
    enterprise_encryption: str
    seal_maker: str
    services: str
    time_stamping: str

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not is_oid(value):
                raise ValueError(f"policy {field.name}: {value!r} is not a dotted object identifier")

    @classmethod
    def under(cls, arc: str, **overrides: str) -> PolicyOids:
        """The layout under `arc`, with single policies replaced by `overrides` (by field name)."""
        unknown = set(overrides) - set(POLICY_NAMES)
        if unknown:
            raise ValueError(f"unknown policies: {', '.join(sorted(unknown))}")
        layout = {
            "personal_signing": f"{arc}.1.1",
            "enterprise_signing": f"{arc}.1.2",
            "enterprise_encryption": f"{arc}.1.3",
            "seal_maker": f"{arc}.1.4",
            "services": f"{arc}.1.9",
            "time_stamping": f"{arc}.2.1",
        }
        return cls(arc=arc, **{**layout, **overrides})

    @property
    def placeholder(self) -> bool:
        """Whether any policy still lies under the placeholder arc."""
        return any(
            value == PLACEHOLDER_ARC or value.startswith(PLACEHOLDER_ARC + ".")
            for value in dataclasses.asdict(self).values()
        )

    def as_dict(self) -> dict[str, str | bool]:
        return {**dataclasses.asdict(self), "placeholder": self.placeholder}


POLICY_NAMES = (
    "personal_signing",
    "enterprise_signing",
    "enterprise_encryption",
    "seal_maker",
    "services",
    "time_stamping",
)

DEFAULT_POLICIES = PolicyOids.under(PLACEHOLDER_ARC)

# The defaults by name, for code that has no settings at hand (pure tests, the test PKIs).
POLICY_PERSONAL_SIGNING = DEFAULT_POLICIES.personal_signing
POLICY_ENTERPRISE_SIGNING = DEFAULT_POLICIES.enterprise_signing
POLICY_ENTERPRISE_ENCRYPTION = DEFAULT_POLICIES.enterprise_encryption
POLICY_SEAL_MAKER = DEFAULT_POLICIES.seal_maker
POLICY_SERVICES = DEFAULT_POLICIES.services
TSA_POLICY = DEFAULT_POLICIES.time_stamping
