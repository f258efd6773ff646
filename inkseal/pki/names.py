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

from asn1crypto import x509 as asn1_x509

from inkseal.pki.errors import InvalidSubject

UB_NAME = 64  # RFC 5280 upper bounds: ub-common-name, ub-organization-name, ub-serial-number
_PRINTABLE_EXTRA = set(" '()+,-./:=?")


def hashed_id_serial(id_number: str, key: bytes) -> str:
    """The subject serialNumber of a person: 40 hex characters of HMAC-SHA256(key, ID number)."""
    normalised = id_number.strip().upper().encode()
    return hmac.new(key, b"inkseal subject id|" + normalised, hashlib.sha256).hexdigest()[:40]


def person_subject(name: str, id_serial: str) -> asn1_x509.Name:
    return build_name([("country_name", "CN"), ("common_name", name), ("serial_number", id_serial)])


def enterprise_subject(name: str, uscc: str) -> asn1_x509.Name:
    return build_name(
        [
            ("country_name", "CN"),
            ("organization_name", name),
            ("organization_identifier", uscc),
            ("common_name", name),
        ]
    )


def ca_subject(common_name: str, organization: str) -> asn1_x509.Name:
    return build_name([("country_name", "CN"), ("organization_name", organization), ("common_name", common_name)])


_PRINTABLE_TYPES = {"country_name", "serial_number"}


def build_name(attributes: list[tuple[str, str]]) -> asn1_x509.Name:
    """A Name with one attribute per RDN, in the order given; InvalidSubject for bad values."""
    rdns = [_rdn(kind, _checked(kind, value)) for kind, value in attributes]
    return asn1_x509.Name(name="", value=asn1_x509.RDNSequence(rdns))


def _rdn(kind: str, value: str) -> asn1_x509.RelativeDistinguishedName:
    string_type = "printable_string" if kind in _PRINTABLE_TYPES else "utf8_string"
    typed_value = asn1_x509.DirectoryString(name=string_type, value=value)
    return asn1_x509.RelativeDistinguishedName([asn1_x509.NameTypeAndValue({"type": kind, "value": typed_value})])


def _checked(kind: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > UB_NAME:
        raise InvalidSubject(f"{kind} must be 1-{UB_NAME} characters", field=kind)
    if any(unicodedata.category(c).startswith("C") for c in value):
        raise InvalidSubject(f"{kind} contains control characters", field=kind)
    if kind in _PRINTABLE_TYPES and not all(c.isascii() and (c.isalnum() or c in _PRINTABLE_EXTRA) for c in value):
        raise InvalidSubject(f"{kind} must be printable ASCII", field=kind)
    if kind == "country_name" and len(value) != 2:
        raise InvalidSubject("country must be a two-letter code", field=kind)
    return value
