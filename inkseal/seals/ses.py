"""Electronic seals (电子印章, SES_Seal) and electronic signatures (电子签章, SES_Signature) of
GB/T 38540-2020, and the GM/T 0031-2014 encoding before it: DER made and read strictly. Pure.

GB/T 38540-2020 (header version 4):

    SES_Seal ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING (the maker's certificate),
                            signAlgID OBJECT IDENTIFIER, signedValue BIT STRING }
    SES_SealInfo ::= SEQUENCE { header SES_Header, esID IA5String, property SES_ESPropertyInfo,
                                picture SES_ESPictrueInfo, extDatas ExtensionDatas OPTIONAL }
    SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER (4), Vid IA5String }
    SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER,
        certList SES_CertList, createDate GeneralizedTime, validStart GeneralizedTime,
        validEnd GeneralizedTime }
    SES_CertList ::= CHOICE { certs SEQUENCE OF OCTET STRING            -- certListType 1
                              certDigestList SEQUENCE OF CertDigestObj }  -- certListType 2
    CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
    SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER,
                                     height INTEGER }                     -- millimetres
    ExtData ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE,
                           extnValue OCTET STRING }
    SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING (the signer's certificate),
        signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
        timeStamp [0] EXPLICIT BIT STRING OPTIONAL }    -- RFC 3161 token over the signature value
    TBS_Sign ::= SEQUENCE { version INTEGER (4), eseal SES_Seal, timeInfo GeneralizedTime,
        dataHash BIT STRING, propertyInfo IA5String, extDatas [0] EXPLICIT ExtensionDatas OPTIONAL }

GM/T 0031-2014 (header version below 4; we write 2) differs in:

    SESeal ::= SEQUENCE { esealInfo SES_SealInfo, signInfo SES_SignInfo }
    SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String, certList SEQUENCE OF
        OCTET STRING, createDate UTCTime, validStart UTCTime, validEnd UTCTime }
    SES_SignInfo ::= SEQUENCE { cert OCTET STRING, signatureAlgorithm OBJECT IDENTIFIER,
                                signData BIT STRING }
    SES_Signature ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }
    TBS_Sign ::= SEQUENCE { version INTEGER, eseal SESeal, timeInfo BIT STRING, dataHash BIT STRING,
        propertyInfo IA5String, cert OCTET STRING, signatureAlgorithm OBJECT IDENTIFIER }

Signatures are SM2 with SM3 (1.2.156.10197.1.501; e = SM3(Z_A || M), default user ID) over the
DER of TBS_Sign, and dataHash is SM3 of the document. What the maker signs: GM/T 0031 names the
SEQUENCE { esealInfo, cert, signatureAlgorithm }; for version 4 the deployed implementations
(ofdrw and others) sign the DER of SES_SealInfo alone. We write each version's form and accept
either when reading.

Reading is strict DER (minimal lengths, no trailing bytes, canonical times, checked strings).
Tolerated where the standards and real files disagree: the time stamp tagged [0] EXPLICIT or
IMPLICIT, TBS_Sign's extDatas tagged [0] or not, an explicit FALSE in ExtData, GeneralizedTime
for GM/T 0031 dates from 2050, and GM/T 0031 timeInfo as a BIT STRING holding a DER time, time
text or a time stamp, or as a plain time. Anything else raises `SesMalformed`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol, TypeVar

from inkseal.core.errors import DomainError, gettext_lazy
from inkseal.pki import der, gm
from inkseal.pki.x509 import Certificate, load_certificate

HEADER_ID = "ES"
VERSION_38540 = 4
VERSION_0031 = 2  # the header and TBS_Sign version we write for GM/T 0031-2014
VENDOR_ID = "INKSEAL"  # Vid: tells implementations apart when seals travel between systems
SEAL_TYPE_UNIT = 1  # 单位印章
SEAL_TYPE_PERSONAL = 2  # 个人印章
CERT_LIST = 1  # certListType: the signer certificates themselves
CERT_DIGEST_LIST = 2  # certListType: their digests
SIGNATURE_ALGORITHM = gm.SM2_WITH_SM3_OID
PICTURE_TYPES = ("PNG", "JPG", "GIF", "BMP", "SVG", "OFD")
MAX_SIZE = 8 * 1024 * 1024
CHINA_TIME = timezone(timedelta(hours=8), "CST")  # naive times in GM/T 0031 files are Beijing time

_TIMESTAMP_EXPLICIT = 0xA0
_TIMESTAMP_IMPLICIT = 0x80
_PRINTABLE_STRING = 0x13
_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "SM3": gm.sm3,
    "SHA256": lambda data: hashlib.sha256(data).digest(),
    "SHA1": lambda data: hashlib.sha1(data, usedforsecurity=False).digest(),
}


T = TypeVar("T")


class SesMalformed(DomainError):
    """Bytes that are not an SES_Seal / SES_Signature of either standard."""

    code = "ses_malformed"
    default_message = gettext_lazy(
        "无法读取电子签章数据：不是 GB/T 38540 或 GM/T 0031 格式的电子签章（SES_Signature）。"
    )
    speaks_english = True


class Signer(Protocol):
    """A key that signs a message with SM2 (a pki KeyHandle, or a gm.Sm2PrivateKey)."""

    def sign(self, data: bytes, /) -> bytes: ...


@dataclass(frozen=True)
class Picture:
    type: str  # PNG, JPG, GIF, BMP, SVG, OFD
    data: bytes
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class ExtData:
    oid: str
    value: bytes
    critical: bool = False


@dataclass(frozen=True)
class CertDigest:
    algorithm: str  # as written (PrintableString), e.g. "SM3"
    value: bytes


@dataclass(frozen=True)
class SealInfo:
    """SES_SealInfo; `der` is its encoding exactly as read (what the maker signed)."""

    der: bytes
    version: int
    vid: str
    es_id: str
    seal_type: int
    name: str
    cert_list_type: int
    certificates: tuple[bytes, ...]  # certListType 1 (and every GM/T 0031 seal)
    cert_digests: tuple[CertDigest, ...]  # certListType 2
    created: datetime
    valid_start: datetime
    valid_end: datetime
    picture: Picture
    extensions: tuple[ExtData, ...]

    def lists(self, certificate_der: bytes) -> bool:
        """Whether the seal names this signer certificate (itself, or a digest of it)."""
        if self.cert_list_type == CERT_LIST:
            return certificate_der in self.certificates
        for digest in self.cert_digests:
            function = _DIGESTS.get(digest.algorithm.upper().replace("-", ""))
            if function is not None and function(certificate_der) == digest.value:
                return True
        return False


@dataclass(frozen=True)
class Seal:
    """SES_Seal (GB/T 38540) or SESeal (GM/T 0031)."""

    der: bytes
    info: SealInfo
    maker_certificate: bytes
    algorithm: str
    signed_value: bytes

    @property
    def version(self) -> int:
        return self.info.version

    @property
    def standard(self) -> str:
        return "GB/T 38540-2020" if self.version == VERSION_38540 else "GM/T 0031-2014"

    def maker_messages(self) -> tuple[bytes, bytes]:
        """What the maker may have signed, this version's own form first (see the module notes)."""
        combined = der.sequence(self.info.der, der.octet_string(self.maker_certificate), der.oid(self.algorithm))
        return (self.info.der, combined) if self.version == VERSION_38540 else (combined, self.info.der)


@dataclass(frozen=True)
class SesSignature:
    """SES_Signature of either standard; `tbs_der` is TBS_Sign exactly as read (what was signed)."""

    der: bytes
    version: int  # TBS_Sign's version
    tbs_der: bytes
    seal: Seal
    time: datetime | None  # None: a GM/T 0031 timeInfo we cannot read
    time_info: bytes  # the timeInfo element as written
    data_hash: bytes
    property_info: str
    signer_certificate: bytes
    algorithm: str
    signature: bytes
    timestamp: bytes | None  # GB/T 38540: the TimeStampToken DER
    extensions: tuple[ExtData, ...]

    @property
    def standard(self) -> str:
        return self.seal.standard


# --- making ------------------------------------------------------------------------------------


def make_seal(
    *,
    maker_certificate: bytes,
    maker_key: Signer,
    es_id: str,
    seal_type: int,
    name: str,
    signer_certificates: Sequence[bytes],
    picture: Picture,
    created: datetime,
    valid_start: datetime,
    valid_end: datetime,
    vid: str = VENDOR_ID,
    version: int = VERSION_38540,
    extensions: Sequence[ExtData] = (),
) -> bytes:
    """DER of an electronic seal signed by the maker; ValueError for fields the standard forbids
    or a key that does not belong to `maker_certificate`."""
    _check_seal_fields(es_id, seal_type, name, signer_certificates, picture, valid_start, valid_end, version)
    modern = version == VERSION_38540
    times = [der.generalized_time(t) if modern else der.x509_time(t) for t in (created, valid_start, valid_end)]
    certificates = der.sequence(*(der.octet_string(c) for c in signer_certificates))
    list_type = der.integer(CERT_LIST) if modern else b""
    info = der.sequence(
        der.sequence(_ia5(HEADER_ID), der.integer(version), _ia5(vid)),
        _ia5(es_id),
        der.sequence(der.integer(seal_type), _utf8(name), list_type, certificates, *times),
        der.sequence(
            _ia5(picture.type),
            der.octet_string(picture.data),
            der.integer(picture.width_mm),
            der.integer(picture.height_mm),
        ),
        _extension_datas(extensions) if extensions else b"",
    )
    certificate, algorithm = der.octet_string(maker_certificate), der.oid(SIGNATURE_ALGORITHM)
    if modern:
        seal = der.sequence(info, certificate, algorithm, der.bit_string(maker_key.sign(info)))
    else:
        signed = maker_key.sign(der.sequence(info, certificate, algorithm))
        seal = der.sequence(info, der.sequence(certificate, algorithm, der.bit_string(signed)))
    parsed = parse_seal(seal)
    _check_key(maker_certificate, parsed.signed_value, parsed.maker_messages()[0])
    return seal


def make_signature(
    seal_der: bytes,
    data: bytes | None = None,
    *,
    data_hash: bytes | None = None,
    signer_certificate: bytes,
    signer_key: Signer,
    time: datetime,
    property_info: str,
    timestamper: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """DER of an SES_Signature of `data` (or its SM3 `data_hash`) in the seal's own version.

    `timestamper` receives the signature value and returns a TimeStampToken (GB/T 38540 only).
    ValueError when the seal does not list the signer certificate or the key does not match it."""
    seal = parse_seal(seal_der)
    digest = _sm3_of(data, data_hash)
    if not seal.info.lists(signer_certificate):
        raise ValueError("the seal does not list the signer certificate")
    certificate, algorithm = der.octet_string(signer_certificate), der.oid(SIGNATURE_ALGORITHM)
    if seal.version == VERSION_38540:
        tbs = der.sequence(
            der.integer(VERSION_38540),
            seal.der,
            der.generalized_time(time),
            der.bit_string(digest),
            _ia5(property_info),
        )
        value = signer_key.sign(tbs)
        stamp = der.explicit(0, der.bit_string(timestamper(value))) if timestamper is not None else b""
        signature = der.sequence(tbs, certificate, algorithm, der.bit_string(value), stamp)
    else:
        if timestamper is not None:
            raise ValueError("GM/T 0031 signatures have no time stamp field")
        time_info = der.bit_string(der.generalized_time(time)[2:])  # the GeneralizedTime text
        tbs = der.sequence(
            der.integer(VERSION_0031),
            seal.der,
            time_info,
            der.bit_string(digest),
            _ia5(property_info),
            certificate,
            algorithm,
        )
        signature = der.sequence(tbs, der.bit_string(signer_key.sign(tbs)))
    parsed = parse_signature(signature)
    _check_key(signer_certificate, parsed.signature, parsed.tbs_der)
    return signature


def _check_key(certificate_der: bytes, signature: bytes, message: bytes) -> None:
    """What was just signed verifies under the certificate: the key belongs to it, and is SM2."""
    try:
        verify_sm2(Certificate(certificate_der), signature, message)
    except DomainError as exc:
        raise ValueError(f"the key does not belong to the certificate ({exc})")


def _check_seal_fields(
    es_id: str,
    seal_type: int,
    name: str,
    signer_certificates: Sequence[bytes],
    picture: Picture,
    valid_start: datetime,
    valid_end: datetime,
    version: int,
) -> None:
    if version != VERSION_38540 and not 1 <= version < VERSION_38540:
        raise ValueError("seal versions are 4 (GB/T 38540) or 1-3 (GM/T 0031)")
    if not es_id or not es_id.isascii() or seal_type < 1 or not name:
        raise ValueError("a seal needs an ASCII esID, a positive type and a name")
    if not signer_certificates:
        raise ValueError("a seal lists at least one signer certificate")
    if picture.type not in PICTURE_TYPES or not picture.data or min(picture.width_mm, picture.height_mm) < 1:
        raise ValueError("the picture needs a known type, data and a size of at least 1 mm")
    if valid_end <= valid_start:
        raise ValueError("validEnd must be later than validStart")


def _sm3_of(data: bytes | None, data_hash: bytes | None) -> bytes:
    if (data is None) == (data_hash is None):
        raise ValueError("give the data or its SM3 hash, not both")
    if data_hash is not None:
        if len(data_hash) != gm.SM3_DIGEST_SIZE:
            raise ValueError("dataHash is an SM3 digest (32 bytes)")
        return data_hash
    assert data is not None
    return gm.sm3(data)


def _ia5(text: str) -> bytes:
    if not text.isascii():
        raise ValueError(f"{text!r} is not IA5 (ASCII) text")
    return der.tlv(der.IA5_STRING, text.encode("ascii"))


def _utf8(text: str) -> bytes:
    return der.tlv(der.UTF8_STRING, text.encode())


def _extension_datas(extensions: Sequence[ExtData]) -> bytes:
    items = [
        der.sequence(der.oid(e.oid), der.boolean(True) if e.critical else b"", der.octet_string(e.value))
        for e in extensions
    ]
    return der.sequence(*items)


# --- signatures --------------------------------------------------------------------------------


def verify_sm2(
    certificate: Certificate | bytes, signature: bytes, message: bytes, algorithm: str = SIGNATURE_ALGORITHM
) -> Certificate:
    """The certificate whose key made `signature` over `message`; CertificateMalformed,
    SignatureInvalid (SignatureMalformed) or UnsupportedAlgorithm (inkseal.pki.errors) otherwise."""
    if isinstance(certificate, bytes):
        certificate = load_certificate(certificate)
    certificate.public_key.verify(signature, message, signature_oid=algorithm)
    return certificate


# --- time stamps (RFC 3161 over the signature value) -----------------------------------------------


def timestamp_request(signature_value: bytes, *, nonce: int) -> bytes:
    """TimeStampReq DER with an SM3 imprint of the signature value, asking for the TSA certificate."""
    imprint = der.sequence(der.sequence(der.oid(gm.SM3_OID)), der.octet_string(gm.sm3(signature_value)))
    return der.sequence(der.integer(1), imprint, der.integer(nonce), der.boolean(True))


def timestamp_token(response_der: bytes) -> bytes:
    """The TimeStampToken of a granted TimeStampResp; ValueError for a refusal or bad DER."""
    try:
        reader = _Reader(der.Reader(response_der).read(der.SEQUENCE))
        status = reader.sequence().read_unsigned()
        if status not in (0, 1):  # granted, grantedWithMods
            raise ValueError(f"the time-stamp authority refused (status {status})")
        token = reader.read_element(der.SEQUENCE)
        reader.expect_end()
    except der.DerError as exc:
        raise ValueError(f"not a TimeStampResp: {exc}")
    return token


# --- reading -----------------------------------------------------------------------------------


class _Bad(ValueError):
    pass


def decode_upload(data: bytes) -> bytes:
    """DER from an upload: DER itself, or Base64 (PEM armour allowed) of it; SesMalformed otherwise."""
    if data[:1] == b"\x30":
        return data
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise SesMalformed("neither DER nor Base64")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip() and not line.startswith("-----")]
    try:
        decoded = base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        raise SesMalformed("neither DER nor Base64")
    if decoded[:1] != b"\x30":
        raise SesMalformed("the Base64 text does not hold DER")
    return decoded


def parse_seal(data: bytes) -> Seal:
    """An SES_Seal (GB/T 38540) or SESeal (GM/T 0031) from strict DER; SesMalformed otherwise."""
    return _parsed(data, "electronic seal", _read_seal)


def parse_signature(data: bytes) -> SesSignature:
    """An SES_Signature of either standard from strict DER; SesMalformed otherwise."""
    return _parsed(data, "electronic signature", _read_signature)


def _parsed(data: bytes, what: str, read: Callable[[bytes], T]) -> T:
    if len(data) > MAX_SIZE:
        raise SesMalformed(f"{what} larger than {MAX_SIZE} bytes")
    try:
        return read(bytes(data))
    except (der.DerError, ValueError) as exc:  # _Bad is a ValueError, as are bad UTF-8 and dates
        raise SesMalformed(f"not a valid {what}: {exc}")


class _Reader(der.Reader):
    """der.Reader plus a look at the next tag and the element types these structures use."""

    def peek(self) -> int | None:
        return None if self.at_end else self._data[self._offset]

    def sequence(self) -> _Reader:
        return _Reader(self.read(der.SEQUENCE))

    def ia5(self) -> str:
        content = self.read(der.IA5_STRING)
        if not content.isascii():
            raise _Bad("IA5String with non-ASCII bytes")
        return content.decode("ascii")

    def printable(self) -> str:
        content = self.read(_PRINTABLE_STRING)
        if not re.fullmatch(rb"[A-Za-z0-9 '()+,\-./:=?]*", content):
            raise _Bad("PrintableString with characters it cannot hold")
        return content.decode("ascii")

    def utf8(self) -> str:
        return self.read(der.UTF8_STRING).decode("utf-8")

    def octets(self) -> bytes:
        return self.read(der.OCTET_STRING)

    def oid(self) -> str:
        return _decode_oid(self.read(der.OID_TAG))

    def boolean(self) -> bool:
        content = self.read(der.BOOLEAN)
        if content not in (b"\x00", b"\xff"):
            raise _Bad("BOOLEAN not in DER form")
        return content == b"\xff"

    def time(self, *, utc_allowed: bool) -> datetime:
        tag = self.peek()
        if tag == der.UTC_TIME and utc_allowed:
            return _utc_time(self.read(der.UTC_TIME))
        return _generalized_time(self.read(der.GENERALIZED_TIME))


def _inner(element: bytes) -> _Reader:
    """A reader over the contents of `element`, which must be exactly one SEQUENCE."""
    outer = der.Reader(element)
    reader = _Reader(outer.read(der.SEQUENCE))
    outer.expect_end()
    return reader


def _read_seal(data: bytes) -> Seal:
    reader = _inner(data)
    info_der = reader.read_element(der.SEQUENCE)
    if reader.peek() == der.SEQUENCE:  # GM/T 0031: SES_SignInfo
        sign_info = reader.sequence()
        certificate, algorithm, signed = sign_info.octets(), sign_info.oid(), sign_info.read_bit_string()
        sign_info.expect_end()
        modern = False
    else:
        certificate, algorithm, signed = reader.octets(), reader.oid(), reader.read_bit_string()
        modern = True
    reader.expect_end()
    return Seal(data, _read_seal_info(info_der, modern), certificate, algorithm, signed)


def _read_seal_info(info_der: bytes, modern: bool) -> SealInfo:
    reader = _inner(info_der)
    header = reader.sequence()
    header_id, version, vid = header.ia5(), header.read_unsigned(), header.ia5()
    header.expect_end()
    if header_id != HEADER_ID:
        raise _Bad(f"header ID {header_id!r} is not ES")
    if modern != (version == VERSION_38540) or version < 1:
        raise _Bad(f"header version {version} does not match the {'GB/T 38540' if modern else 'GM/T 0031'} layout")
    es_id = reader.ia5()
    prop = reader.sequence()
    seal_type, name = prop.read_unsigned(), prop.utf8()
    list_type = prop.read_unsigned() if modern else CERT_LIST
    certificates, digests = _read_cert_list(prop.sequence(), list_type)
    created, valid_start, valid_end = (prop.time(utc_allowed=not modern) for _ in range(3))
    prop.expect_end()
    picture_reader = reader.sequence()
    picture = Picture(
        picture_reader.ia5(), picture_reader.octets(), picture_reader.read_unsigned(), picture_reader.read_unsigned()
    )
    picture_reader.expect_end()
    extensions = _read_extension_datas(reader.sequence()) if not reader.at_end else ()
    reader.expect_end()
    return SealInfo(
        der=info_der,
        version=version,
        vid=vid,
        es_id=es_id,
        seal_type=seal_type,
        name=name,
        cert_list_type=list_type,
        certificates=certificates,
        cert_digests=digests,
        created=created,
        valid_start=valid_start,
        valid_end=valid_end,
        picture=picture,
        extensions=extensions,
    )


def _read_cert_list(reader: _Reader, list_type: int) -> tuple[tuple[bytes, ...], tuple[CertDigest, ...]]:
    certificates: list[bytes] = []
    digests: list[CertDigest] = []
    while not reader.at_end:
        if list_type == CERT_LIST:
            certificates.append(reader.octets())
        elif list_type == CERT_DIGEST_LIST:
            item = reader.sequence()
            digests.append(CertDigest(item.printable(), item.octets()))
            item.expect_end()
        else:
            raise _Bad(f"unknown certListType {list_type}")
    if not certificates and not digests:
        raise _Bad("the seal lists no signer certificate")
    return tuple(certificates), tuple(digests)


def _read_extension_datas(reader: _Reader) -> tuple[ExtData, ...]:
    extensions = []
    while not reader.at_end:
        item = reader.sequence()
        oid = item.oid()
        critical = item.boolean() if item.peek() == der.BOOLEAN else False
        extensions.append(ExtData(oid, item.octets(), critical))
        item.expect_end()
    return tuple(extensions)


def _read_signature(data: bytes) -> SesSignature:
    reader = _inner(data)
    tbs_der = reader.read_element(der.SEQUENCE)
    if reader.peek() == der.BIT_STRING:  # GM/T 0031: { toSign, signature }
        signature = reader.read_bit_string()
        reader.expect_end()
        return _read_tbs_0031(data, tbs_der, signature)
    certificate, algorithm, signature = reader.octets(), reader.oid(), reader.read_bit_string()
    timestamp = _read_timestamp_field(reader) if not reader.at_end else None
    reader.expect_end()
    tbs = _inner(tbs_der)
    version = tbs.read_unsigned()
    if version != VERSION_38540:
        raise _Bad(f"TBS_Sign version {version} in a GB/T 38540 signature")
    seal = _read_seal(tbs.read_element(der.SEQUENCE))
    if seal.version != VERSION_38540:
        raise _Bad("a GB/T 38540 signature holds a GM/T 0031 seal")
    time_info = tbs.read_element(der.GENERALIZED_TIME)
    data_hash, property_info = tbs.read_bit_string(), tbs.ia5()
    extensions: tuple[ExtData, ...] = ()
    if tbs.peek() == _TIMESTAMP_EXPLICIT:  # extDatas [0] EXPLICIT, as GB/T 38540 writes it
        tagged = _Reader(tbs.read(_TIMESTAMP_EXPLICIT))
        extensions = _read_extension_datas(tagged.sequence())
        tagged.expect_end()
    elif tbs.peek() == der.SEQUENCE:  # untagged, as some implementations write it
        extensions = _read_extension_datas(tbs.sequence())
    tbs.expect_end()
    return SesSignature(
        der=data,
        version=version,
        tbs_der=tbs_der,
        seal=seal,
        time=_generalized_time(time_info[2:]),
        time_info=time_info,
        data_hash=data_hash,
        property_info=property_info,
        signer_certificate=certificate,
        algorithm=algorithm,
        signature=signature,
        timestamp=timestamp,
        extensions=extensions,
    )


def _read_timestamp_field(reader: _Reader) -> bytes:
    if reader.peek() == _TIMESTAMP_EXPLICIT:
        tagged = _Reader(reader.read(_TIMESTAMP_EXPLICIT))
        token = tagged.read_bit_string()
        tagged.expect_end()
    else:
        content = reader.read(_TIMESTAMP_IMPLICIT)
        if not content or content[0] != 0:
            raise _Bad("time stamp bit string must have whole bytes")
        token = content[1:]
    if not token:
        raise _Bad("empty time stamp")
    return token


def _read_tbs_0031(data: bytes, tbs_der: bytes, signature: bytes) -> SesSignature:
    tbs = _inner(tbs_der)
    version = tbs.read_unsigned()
    seal = _read_seal(tbs.read_element(der.SEQUENCE))
    if seal.version == VERSION_38540:
        raise _Bad("a GM/T 0031 signature holds a GB/T 38540 seal")
    tag = tbs.peek()
    if tag == der.BIT_STRING:
        time_info = tbs.read_element(der.BIT_STRING)
        moment = _time_from_bits(_Reader(time_info).read_bit_string())
    elif tag in (der.GENERALIZED_TIME, der.UTC_TIME):
        time_info = tbs.read_element(tag)
        moment = _generalized_time(time_info[2:]) if tag == der.GENERALIZED_TIME else _utc_time(time_info[2:])
    else:
        raise _Bad("timeInfo is neither a BIT STRING nor a time")
    data_hash, property_info = tbs.read_bit_string(), tbs.ia5()
    certificate, algorithm = tbs.octets(), tbs.oid()
    tbs.expect_end()
    return SesSignature(
        der=data,
        version=version,
        tbs_der=tbs_der,
        seal=seal,
        time=moment,
        time_info=time_info,
        data_hash=data_hash,
        property_info=property_info,
        signer_certificate=certificate,
        algorithm=algorithm,
        signature=signature,
        timestamp=None,
        extensions=(),
    )


# --- primitive values --------------------------------------------------------------------------

_GENERALIZED = re.compile(rb"(\d{14})(?:\.(\d*[1-9]))?Z")
_UTC = re.compile(rb"(\d{12})Z")


def _generalized_time(content: bytes) -> datetime:
    match = _GENERALIZED.fullmatch(content)
    if match is None:
        raise _Bad("GeneralizedTime not in DER form (YYYYMMDDHHMMSS[.f]Z)")
    moment = datetime.strptime(match[1].decode(), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if match[2]:
        moment += timedelta(microseconds=int((match[2].decode() + "000000")[:6]))
    return moment


def _utc_time(content: bytes) -> datetime:
    if _UTC.fullmatch(content) is None:
        raise _Bad("UTCTime not in DER form (YYMMDDHHMMSSZ)")
    moment = datetime.strptime(content[:12].decode(), "%y%m%d%H%M%S").replace(tzinfo=UTC)
    year = int(content[:2])  # RFC 5280: 50-99 are 19xx, 00-49 are 20xx
    return moment.replace(year=(1900 if year >= 50 else 2000) + year)


def _time_from_bits(content: bytes) -> datetime | None:
    """GM/T 0031 timeInfo: a DER time, GeneralizedTime or UTCTime text, local "YYYY-MM-DD HH:MM:SS"
    text (Beijing time), or a time-stamp token; None when it is none of these."""
    try:
        if content[:1] in (b"\x17", b"\x18"):
            reader = _Reader(content)
            moment = reader.time(utc_allowed=True)
            reader.expect_end()
            return moment
        if _GENERALIZED.fullmatch(content):
            return _generalized_time(content)
        if _UTC.fullmatch(content):
            return _utc_time(content)
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"):
            try:
                return datetime.strptime(content.decode("ascii"), pattern).replace(tzinfo=CHINA_TIME)
            except (UnicodeDecodeError, ValueError):
                continue
    except (der.DerError, ValueError):
        return None
    return _token_time(content)


def _token_time(token: bytes) -> datetime | None:
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(token, strict=True)
        moment = info["content"]["encap_content_info"]["content"].parsed["gen_time"].native
    except Exception:  # asn1crypto raises ValueError, TypeError, KeyError ... for other bytes
        return None
    return moment if isinstance(moment, datetime) else None


def _decode_oid(content: bytes) -> str:
    if not content or content[-1] & 0x80:
        raise _Bad("OBJECT IDENTIFIER truncated")
    arcs: list[int] = []
    value, starting = 0, True
    for byte in content:
        if starting and byte == 0x80:
            raise _Bad("OBJECT IDENTIFIER arc not minimal")
        value = value << 7 | byte & 0x7F
        starting = not byte & 0x80
        if starting:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))
