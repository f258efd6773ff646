"""Reading GB/T 38540 / GM/T 0031 electronic seals and signatures (see `ses` for the structures). Pure.

Reading is strict DER (minimal lengths, no trailing bytes, canonical times, checked strings).
Tolerated where the standards and real files disagree: the time stamp tagged [0] EXPLICIT or
IMPLICIT, TBS_Sign's extDatas tagged [0] or not, an explicit FALSE in ExtData, GeneralizedTime
for GM/T 0031 dates from 2050, and GM/T 0031 timeInfo as a BIT STRING holding a DER time, time
text or a time stamp, or as a plain time. Anything else raises `SesMalformed`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from inkseal.pki import der
from inkseal.seals.ses import (
    CERT_DIGEST_LIST,
    CERT_LIST,
    HEADER_ID,
    MAX_SIZE,
    VERSION_38540,
    VERSION_38540_V5,
    CertDigest,
    ExtData,
    Picture,
    Seal,
    SealInfo,
    SesMalformed,
    SesSignature,
)

CHINA_TIME = timezone(timedelta(hours=8), "CST")  # naive times in GM/T 0031 files are Beijing time

_TIMESTAMP_EXPLICIT = 0xA0
_TIMESTAMP_IMPLICIT = 0x80
_PRINTABLE_STRING = 0x13


T = TypeVar("T")


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
    if modern != (version in (VERSION_38540, VERSION_38540_V5)) or version < 1:
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
    if version not in (VERSION_38540, VERSION_38540_V5):
        raise _Bad(f"TBS_Sign version {version} in a GB/T 38540 signature")
    seal = _read_seal(tbs.read_element(der.SEQUENCE))
    if seal.version not in (VERSION_38540, VERSION_38540_V5):
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
    if seal.version >= VERSION_38540:
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
