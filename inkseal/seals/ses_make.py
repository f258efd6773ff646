"""Making GB/T 38540 / GM/T 0031 electronic seals and signatures: DER built, signed by the maker
or signer key, and read back and verified before it is returned; the RFC 3161 request for a
signature value's time stamp. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from inkseal.core.errors import DomainError
from inkseal.pki import der, gm
from inkseal.pki.x509 import Certificate
from inkseal.seals.ses import (
    CERT_LIST,
    HEADER_ID,
    PICTURE_TYPES,
    SIGNATURE_ALGORITHM,
    VENDOR_ID,
    VERSION_0031,
    VERSION_38540,
    ExtData,
    Picture,
    Signer,
    verify_sm2,
)
from inkseal.seals.ses_parse import parse_seal, parse_signature


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


def timestamp_request(signature_value: bytes, *, nonce: int) -> bytes:
    """TimeStampReq DER with an SM3 imprint of the signature value, asking for the TSA certificate."""
    imprint = der.sequence(der.sequence(der.oid(gm.SM3_OID)), der.octet_string(gm.sm3(signature_value)))
    return der.sequence(der.integer(1), imprint, der.integer(nonce), der.boolean(True))
