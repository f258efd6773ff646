"""A minimal DER encoder for the hot paths (certificates, CRL entries, OCSP and TSA responses).

asn1crypto builds the same structures but spends milliseconds per certificate in its object
model; these few functions write bytes directly. Parsing untrusted input stays with asn1crypto,
except where only canonical DER may pass (SM2 signatures, ciphertexts and key envelopes): `Reader`
reads those strictly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL_TAG = 0x05
OID_TAG = 0x06
ENUMERATED = 0x0A
UTF8_STRING = 0x0C
PRINTABLE_STRING = 0x13
IA5_STRING = 0x16
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
BOOLEAN = 0x01

NULL = b"\x05\x00"
TRUE = b"\x01\x01\xff"


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + length(len(content)) + content


def sequence(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def set_of(*parts: bytes) -> bytes:
    return tlv(SET, b"".join(sorted(parts)))  # DER: SET OF elements in ascending byte order


def explicit(number: int, content: bytes) -> bytes:
    return tlv(0xA0 | number, content)


def implicit_constructed(number: int, content: bytes) -> bytes:
    return tlv(0xA0 | number, content)


def implicit_primitive(number: int, content: bytes) -> bytes:
    return tlv(0x80 | number, content)


def integer(value: int) -> bytes:
    return tlv(INTEGER, _twos_complement(value))


def enumerated(value: int) -> bytes:
    return tlv(ENUMERATED, _twos_complement(value))


def _twos_complement(value: int) -> bytes:
    size = value.bit_length() // 8 + 1  # room for the sign bit
    return value.to_bytes(size, "big", signed=True)


def octet_string(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def bit_string(value: bytes, unused_bits: int = 0) -> bytes:
    return tlv(BIT_STRING, bytes((unused_bits,)) + value)


def boolean(value: bool) -> bytes:
    return TRUE if value else b"\x01\x01\x00"


@lru_cache(maxsize=512)
def oid(dotted: str) -> bytes:
    arcs = [int(part) for part in dotted.split(".")]
    body = bytearray(_base128(arcs[0] * 40 + arcs[1]))
    for arc in arcs[2:]:
        body += _base128(arc)
    return tlv(OID_TAG, bytes(body))


def _base128(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def utc_time(moment: datetime) -> bytes:
    m = _utc(moment)  # f-string rather than strftime: this runs per CRL entry
    text = f"{m.year % 100:02d}{m.month:02d}{m.day:02d}{m.hour:02d}{m.minute:02d}{m.second:02d}Z"
    return b"\x17\x0d" + text.encode()


def generalized_time(moment: datetime, *, fraction: bool = False) -> bytes:
    moment = _utc(moment)
    text = moment.strftime("%Y%m%d%H%M%S")
    if fraction and moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")  # DER: no trailing zeros
    return tlv(GENERALIZED_TIME, (text + "Z").encode())


def x509_time(moment: datetime) -> bytes:
    """UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5)."""
    return utc_time(moment) if _utc(moment).year < 2050 else generalized_time(moment)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("DER times must be timezone-aware")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


class DerError(ValueError):
    """Input that is not minimal DER of the expected shape."""


class Reader:
    """Reads DER TLVs front to back; anything not minimal DER raises DerError."""

    def __init__(self, data: bytes):
        self._data = data
        self._offset = 0
        self._content_start = 0

    @property
    def at_end(self) -> bool:
        return self._offset == len(self._data)

    def next_tag(self) -> int | None:
        """The tag of the next TLV, None at the end."""
        return self._data[self._offset] if self._offset < len(self._data) else None

    def read(self, tag: int) -> bytes:
        """The contents of the next TLV, which must carry `tag`."""
        self.read_element(tag)
        return self._data[self._content_start : self._offset]

    def read_element(self, tag: int) -> bytes:
        """The whole next TLV (tag and length included), which must carry `tag`."""
        data, offset = self._data, self._offset
        if offset + 2 > len(data) or data[offset] != tag:
            raise DerError(f"expected tag {tag:#04x}")
        first = data[offset + 1]
        offset += 2
        if first < 0x80:
            size = first
        else:
            count = first & 0x7F
            if not 1 <= count <= 3 or offset + count > len(data):
                raise DerError("bad length")
            size = int.from_bytes(data[offset : offset + count], "big")
            offset += count
            if size < 0x80 or size >> (8 * (count - 1)) == 0:
                raise DerError("length not minimal")
        end = offset + size
        if end > len(data):
            raise DerError("truncated")
        start, self._content_start, self._offset = self._offset, offset, end
        return data[start:end]

    def read_unsigned(self) -> int:
        """A non-negative INTEGER in minimal encoding."""
        content = self.read(INTEGER)
        if not content or content[0] & 0x80:
            raise DerError("integer empty or negative")
        if len(content) > 1 and content[0] == 0 and not content[1] & 0x80:
            raise DerError("integer not minimal")
        return int.from_bytes(content, "big")

    def read_bit_string(self) -> bytes:
        content = self.read(BIT_STRING)
        if not content or content[0] != 0:
            raise DerError("bit string must have whole bytes")
        return content[1:]

    def expect_end(self) -> None:
        if not self.at_end:
            raise DerError("trailing data")


def read_sequence(data: bytes) -> Reader:
    """A reader over the contents of `data`, which must be exactly one SEQUENCE."""
    outer = Reader(data)
    inner = Reader(outer.read(SEQUENCE))
    outer.expect_end()
    return inner
