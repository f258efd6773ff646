"""Distinguished names for certificate subjects.

- person:     C=CN, CN=<name>, serialNumber=<keyed hash of the ID number>
- enterprise: C=CN, O=<name>, organizationIdentifier=<USCC>, CN=<name>
- CA/service: C=CN, O=<operator>, CN=<name>

The ID number never appears in a certificate: it is replaced by an HMAC under a key of the
platform (`hashed_id_serial`), so the same person keeps the same serialNumber across renewals
without publishing the number. A masked form (110*****234) cannot be used: serialNumber is a
PrintableString, which has no '*'.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from inkseal.pki import der
from inkseal.pki.errors import InvalidSubject

UB_NAME = 64  # RFC 5280 upper bounds: ub-common-name, ub-organization-name, ub-serial-number
_PRINTABLE_EXTRA = set(" '()+,-./:=?")


def hashed_id_serial(id_number: str, key: bytes) -> str:
    """The subject serialNumber of a person: 40 hex characters of HMAC-SHA256(key, ID number)."""
    normalised = id_number.strip().upper().encode()
    return hmac.new(key, b"inkseal subject id|" + normalised, hashlib.sha256).hexdigest()[:40]


# attribute -> (OID, DER string tag)
ATTRIBUTES: dict[str, tuple[str, int]] = {
    "country_name": ("2.5.4.6", der.PRINTABLE_STRING),
    "organization_name": ("2.5.4.10", der.UTF8_STRING),
    "organizational_unit_name": ("2.5.4.11", der.UTF8_STRING),
    "common_name": ("2.5.4.3", der.UTF8_STRING),
    "serial_number": ("2.5.4.5", der.PRINTABLE_STRING),
    "organization_identifier": ("2.5.4.97", der.UTF8_STRING),
}
_SHORT = {
    "country_name": "C",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "common_name": "CN",
    "serial_number": "serialNumber",
    "organization_identifier": "organizationIdentifier",
}


@dataclass(frozen=True)
class Name:
    """A distinguished name with one attribute per RDN, in order; values checked on creation."""

    attributes: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", tuple((k, _checked(k, v)) for k, v in self.attributes))

    @cached_property
    def der(self) -> bytes:
        return der.sequence(*(_rdn(kind, value) for kind, value in self.attributes))

    def get(self, kind: str) -> str | None:
        return next((value for k, value in self.attributes if k == kind), None)

    def __str__(self) -> str:
        return ", ".join(f"{_SHORT[k]}={v}" for k, v in self.attributes)


def person_subject(name: str, id_serial: str) -> Name:
    return Name((("country_name", "CN"), ("common_name", name), ("serial_number", id_serial)))


def enterprise_subject(name: str, uscc: str) -> Name:
    return Name(
        (
            ("country_name", "CN"),
            ("organization_name", name),
            ("organization_identifier", uscc),
            ("common_name", name),
        )
    )


def ca_subject(common_name: str, organization: str) -> Name:
    return Name((("country_name", "CN"), ("organization_name", organization), ("common_name", common_name)))


def _rdn(kind: str, value: str) -> bytes:
    type_oid, string_tag = ATTRIBUTES[kind]
    return der.set_of(der.sequence(der.oid(type_oid), der.tlv(string_tag, value.encode())))


def _checked(kind: str, value: str) -> str:
    if kind not in ATTRIBUTES:
        raise InvalidSubject(f"unsupported name attribute {kind}", field=kind)
    value = value.strip()
    if not value or len(value) > UB_NAME:
        raise InvalidSubject(f"{kind} must be 1-{UB_NAME} characters", field=kind)
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise InvalidSubject(f"{kind} contains control characters", field=kind)
    printable = ATTRIBUTES[kind][1] == der.PRINTABLE_STRING
    if printable and not all(c.isascii() and (c.isalnum() or c in _PRINTABLE_EXTRA) for c in value):
        raise InvalidSubject(f"{kind} must be printable ASCII", field=kind)
    if kind == "country_name" and len(value) != 2:
        raise InvalidSubject("country must be a two-letter code", field=kind)
    return value
