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

Making (`ses_make`) and reading (`ses_parse`) are in their own modules; this one holds the
structures, the constants and the SM2 check both use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from inkseal.core.errors import DomainError, gettext_lazy
from inkseal.pki import der, gm
from inkseal.pki.x509 import Certificate, load_certificate

HEADER_ID = "ES"
VERSION_38540 = 4
VERSION_38540_V5 = 5  # the same layout with header and TBS_Sign version 5, as newer tools (ofdrw) write
VERSION_0031 = 2  # the header and TBS_Sign version we write for GM/T 0031-2014
VENDOR_ID = "INKSEAL"  # Vid: tells implementations apart when seals travel between systems
SEAL_TYPE_UNIT = 1  # 单位印章
SEAL_TYPE_PERSONAL = 2  # 个人印章
CERT_LIST = 1  # certListType: the signer certificates themselves
CERT_DIGEST_LIST = 2  # certListType: their digests
SIGNATURE_ALGORITHM = gm.SM2_WITH_SM3_OID
PICTURE_TYPES = ("PNG", "JPG", "GIF", "BMP", "SVG", "OFD")
MAX_SIZE = 8 * 1024 * 1024


_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "SM3": gm.sm3,
    "SHA256": lambda data: hashlib.sha256(data).digest(),
    "SHA1": lambda data: hashlib.sha1(data, usedforsecurity=False).digest(),
}


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
        return "GB/T 38540-2020" if self.version >= VERSION_38540 else "GM/T 0031-2014"

    def maker_messages(self) -> tuple[bytes, bytes]:
        """What the maker may have signed, this version's own form first (see the module notes)."""
        combined = der.sequence(self.info.der, der.octet_string(self.maker_certificate), der.oid(self.algorithm))
        return (self.info.der, combined) if self.version >= VERSION_38540 else (combined, self.info.der)


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


def verify_sm2(
    certificate: Certificate | bytes, signature: bytes, message: bytes, algorithm: str = SIGNATURE_ALGORITHM
) -> Certificate:
    """The certificate whose key made `signature` over `message`; CertificateMalformed,
    SignatureInvalid (SignatureMalformed) or UnsupportedAlgorithm (inkseal.pki.errors) otherwise."""
    if isinstance(certificate, bytes):
        certificate = load_certificate(certificate)
    certificate.public_key.verify(signature, message, signature_oid=algorithm)
    return certificate
