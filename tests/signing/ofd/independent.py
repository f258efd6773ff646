"""An independent check of OFD seals, written from the standards for the tests, sharing no code
with inkseal's verifier: the package read with zipfile and ElementTree, SM3 from GmSSL
(gmssl_pyx; production hashes with OpenSSL through hashlib), DER walked with asn1crypto's
generic types, SM2 verified by snowland-smx (pysmx, pure Python; production uses GmSSL) with the
default user ID 1234567812345678 (GM/T 0009).

GB/T 33190-2016 section 18: each Reference's CheckValue is the hash of the file it names, and the
signature covers the exact bytes of Signature.xml. GB/T 38540-2020: SES_Signature { TBS_Sign,
cert, signatureAlgID, signature, timeStamp? }, TBS_Sign { version, SES_Seal, timeInfo, dataHash,
propertyInfo, ... }, dataHash = SM3(Signature.xml), the signer signs the DER of TBS_Sign; SES_Seal
{ SES_SealInfo, cert, signAlgID, signedValue } where the maker signs the DER of SES_SealInfo.
"""

from __future__ import annotations

import base64
import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

import gmssl_pyx
from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from pysmx.SM2 import Verify

DEFAULT_ID = b"1234567812345678"


def sm3(data: bytes) -> bytes:
    return bytes(gmssl_pyx.sm3_hash(data))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def _resolve(names: set[str], location: str, base: str) -> str:
    if location.startswith("/"):
        return location.lstrip("/")
    joined = posixpath.normpath(posixpath.join(base, location))
    return joined if joined in names else posixpath.normpath(location)


@dataclass(frozen=True)
class _Tlv:
    tag: int
    contents: bytes
    encoded: bytes

    def dump(self) -> bytes:
        return self.encoded


def _tlv(data: bytes, offset: int = 0) -> _Tlv:
    """One DER element (X.690 8.1: tag, definite length, contents)."""
    tag, length, start = data[offset], data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(data[start : start + count], "big"), start + count
    return _Tlv(tag & 0x1F if tag < 0xA0 else tag, data[start : start + length], data[offset : start + length])


def _children(der: bytes) -> list[_Tlv]:
    contents, children, offset = _tlv(der).contents, [], 0
    while offset < len(contents):
        child = _tlv(contents, offset)
        children.append(child)
        offset += len(child.encoded)
    return children


def _bits(value: _Tlv) -> bytes:
    assert value.contents[0] == 0
    return value.contents[1:]


def sm2_verify(certificate_der: bytes, signature_der: bytes, message: bytes) -> bool:
    point = bytes(
        asn1_x509.Certificate.load(certificate_der)["tbs_certificate"]["subject_public_key_info"]["public_key"]
    )
    assert point[0] == 4
    if len(signature_der) == 64:
        r, s = int.from_bytes(signature_der[:32], "big"), int.from_bytes(signature_der[32:], "big")
    else:
        parsed = algos.DSASignature.load(signature_der)
        r, s = parsed["r"].native, parsed["s"].native
    return bool(Verify(r.to_bytes(32, "big") + s.to_bytes(32, "big"), message, point[1:], 64, uid=DEFAULT_ID))


@dataclass
class SignatureCheck:
    base_loc: str
    changed: list[str] = field(default_factory=list)
    kind: str = ""
    data_hash_ok: bool | None = None
    signature_ok: bool | None = None
    maker_ok: bool | None = None

    @property
    def signature_intact(self) -> bool:
        return bool(self.data_hash_ok and self.signature_ok and self.maker_ok is not False)


def check(package: bytes) -> list[SignatureCheck]:
    archive = zipfile.ZipFile(io.BytesIO(package))
    names = {n for n in archive.namelist() if not n.endswith("/")}
    ofd = ElementTree.fromstring(archive.read("OFD.xml"))
    results = []
    for signatures_element in _find(ofd, "Signatures"):
        listing_name = _resolve(names, (signatures_element.text or "").strip(), "")
        listing = ElementTree.fromstring(archive.read(listing_name))
        for entry in [e for e in listing if _local(e.tag) == "Signature"]:
            location = _resolve(names, entry.get("BaseLoc", ""), posixpath.dirname(listing_name))
            results.append(_check_signature(archive, names, location))
    return results


def _check_signature(archive: zipfile.ZipFile, names: set[str], location: str) -> SignatureCheck:
    signature_xml = archive.read(location)
    root = ElementTree.fromstring(signature_xml)
    base = posixpath.dirname(location)
    result = SignatureCheck(location)
    for reference in _find(root, "Reference"):
        name = _resolve(names, reference.get("FileRef", ""), base)
        expected = base64.b64decode("".join((_find(reference, "CheckValue")[0].text or "").split()))
        if name not in names or sm3(archive.read(name)) != expected:
            result.changed.append(name)
    value_name = _resolve(names, (_find(root, "SignedValue")[0].text or "").strip(), base)
    value = archive.read(value_name)
    outer = _children(value)
    if len(outer) >= 4 and outer[1].tag == 4:  # SES_Signature of GB/T 38540
        result.kind = "ses"
        tbs, certificate, signature = outer[0], outer[1].contents, _bits(outer[3])
        tbs_fields = _children(tbs.dump())
        result.data_hash_ok = _bits(tbs_fields[3]) == sm3(signature_xml)
        result.signature_ok = sm2_verify(certificate, signature, tbs.dump())
        seal = _children(tbs_fields[1].dump())
        seal_info, maker_certificate, maker_signature = seal[0].dump(), seal[1].contents, _bits(seal[3])
        result.maker_ok = sm2_verify(maker_certificate, maker_signature, seal_info)
    elif outer and outer[0].tag == 6 and outer[0].contents in _SIGNED_DATA:
        result.kind = "signed_data"
        _check_signed_data(result, _tlv(outer[1].contents).encoded, signature_xml)
    else:
        result.kind = "other"
    return result


_SIGNED_DATA = {bytes.fromhex("2a811ccf550601040202"), bytes.fromhex("2a864886f70d010702")}
_MESSAGE_DIGEST = bytes.fromhex("2a864886f70d010904")


def _check_signed_data(result: SignatureCheck, signed_data: bytes, signature_xml: bytes) -> None:
    """RFC 5652 / GM/T 0010 SignedData { version, digestAlgorithms, encapContentInfo,
    certificates [0], crls [1]?, signerInfos } with one SignerInfo { version, sid, digestAlgorithm,
    signedAttrs [0]?, signatureAlgorithm, signature }."""
    fields = _children(signed_data)
    encap = _children(fields[2].encoded)
    offset = 0
    certificates = []
    while offset < len(fields[3].contents):
        certificate = _tlv(fields[3].contents, offset)
        certificates.append(certificate.encoded)
        offset += len(certificate.encoded)
    signer_info = _children(_children(fields[-1].encoded)[0].encoded)
    content = _tlv(encap[1].contents).contents if len(encap) > 1 else None
    digest = sm3(signature_xml)
    attributes = next((f for f in signer_info if f.tag == 0xA0), None)
    signature = signer_info[-1].contents
    if attributes is not None:
        message = b"\x31" + attributes.encoded[1:]
        signed_digest = b""
        for attribute in _children(attributes.encoded):
            kind, values = _children(attribute.encoded)
            if kind.contents == _MESSAGE_DIGEST:
                signed_digest = _children(values.encoded)[0].contents
        result.data_hash_ok = signed_digest == (sm3(content) if content is not None else digest)
        if content is not None:
            result.data_hash_ok = result.data_hash_ok and content in (digest, signature_xml)
    else:
        message = content if content is not None else signature_xml
        result.data_hash_ok = message in (digest, signature_xml)
    result.signature_ok = any(sm2_verify(c, signature, message) for c in certificates)
