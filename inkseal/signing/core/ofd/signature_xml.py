"""Reading one Signature.xml (GB/T 33190-2016 section 18.2). Pure."""

from __future__ import annotations

import base64
import binascii
import posixpath
from dataclasses import dataclass

from inkseal.signing.core.ofd.errors import OfdMalformed
from inkseal.signing.core.ofd.package import OfdPackage, child, children, text_of

SM3_OIDS = frozenset({"1.2.156.10197.1.401", "SM3", "sm3"})


@dataclass(frozen=True)
class Reference:
    location: str  # FileRef as written
    entry: str  # the package entry it means
    check_value: bytes | None  # None: not Base64


@dataclass(frozen=True)
class StampAnnot:
    id: str
    page_ref: str
    boundary: str
    clip: str | None


@dataclass(frozen=True)
class SignatureFile:
    entry: str
    data: bytes  # the exact bytes of Signature.xml
    provider: str
    method: str
    date_time: str
    check_method: str
    references: tuple[Reference, ...]
    stamps: tuple[StampAnnot, ...]
    seal_entry: str | None
    signed_value_entry: str


def read_signature_file(package: OfdPackage, entry: str) -> SignatureFile:
    """Signature.xml at `entry`; OfdMalformed when it is missing or lacks its parts."""
    data = package.read(entry)
    root = package.xml(entry)
    base = posixpath.dirname(entry)
    info = child(root, "SignedInfo")
    value_location = text_of(child(root, "SignedValue"))
    if info is None or not value_location:
        raise OfdMalformed(f"{entry} has no SignedInfo or SignedValue", entry=entry)
    provider_element = child(info, "Provider")
    provider = ""
    if provider_element is not None:
        provider = provider_element.get("ProviderName") or text_of(child(provider_element, "ProviderName"))
    references_element = child(info, "References")
    references: list[Reference] = []
    check_method = "1.2.156.10197.1.401"
    if references_element is not None:
        check_method = references_element.get("CheckMethod", check_method).strip()
        for element in children(references_element, "Reference"):
            location = element.get("FileRef", "")
            if not location:
                raise OfdMalformed(f"{entry}: a Reference has no FileRef", entry=entry)
            references.append(
                Reference(location, package.resolve(location, base), _base64(text_of(child(element, "CheckValue"))))
            )
    stamps = tuple(
        StampAnnot(s.get("ID", ""), s.get("PageRef", ""), s.get("Boundary", ""), s.get("Clip"))
        for s in children(info, "StampAnnot")
    )
    seal = child(info, "Seal")
    seal_location = text_of(child(seal, "BaseLoc")) if seal is not None else ""
    return SignatureFile(
        entry=entry,
        data=data,
        provider=provider,
        method=text_of(child(info, "SignatureMethod")),
        date_time=text_of(child(info, "SignatureDateTime")),
        check_method=check_method,
        references=tuple(references),
        stamps=stamps,
        seal_entry=package.resolve(seal_location, base) if seal_location else None,
        signed_value_entry=package.resolve(value_location, base),
    )


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
