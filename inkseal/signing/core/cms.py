"""CMS SignedData for PAdES signatures, assembled from pre-encoded DER pieces.

Building the whole CMS with asn1crypto objects costs ~10 ms a signature; almost all of it is
constant for a given certificate (the certificate set, the signer identifier, the ESS
signing-certificate-v2 attribute, the algorithm identifiers). `CmsTemplate` encodes those once
with asn1crypto; each signature then only concatenates bytes around the message digest, the
raw signature value and, for B-T, the time-stamp token.

The structure follows RFC 5652 and ETSI EN 319 142-1 (PAdES baseline): detached `data`
content, signed attributes content-type, message-digest and signing-certificate-v2, no
signing-time attribute (the signing time lives in the PDF signature dictionary's /M).

SM2 signers get the same structure in GM/T 0010 dress (`CmsTemplate.build(..., gm=True)`):
ContentInfo type signedData 1.2.156.10197.6.1.4.2.2, content type data 1.2.156.10197.6.1.4.2.1
(why these: inkseal.signing.core.gmcms), digest SM3 (also for the certificate hash in
signing-certificate-v2), signature algorithm SM2 with SM3; parameters absent throughout.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import algos, cms, core, x509
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute

from inkseal.signing.core.gmcms import GM_DATA_OID, GM_SIGNED_DATA_OID

DIGEST_LEN = 32  # SHA-256 and SM3 alike
_SIGNATURE_TIME_STAMP_TOKEN = "1.2.840.113549.1.9.16.2.14"


def der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def der_tlv(tag: int, *parts: bytes) -> bytes:
    content = b"".join(parts)
    return bytes([tag]) + der_length(len(content)) + content


def der_set_of(tag: int, elements: Sequence[bytes]) -> bytes:
    """DER SET OF: elements sorted by their encodings (X.690 11.6)."""
    return der_tlv(tag, *sorted(elements))


@dataclass(frozen=True)
class CmsTemplate:
    """Everything in the CMS that depends only on the signer's certificates and algorithm."""

    digest_algorithm: bytes
    signature_algorithm: bytes
    signer_identifier: bytes
    content_type_attr: bytes
    message_digest_attr_prefix: bytes
    signing_certificate_attr: bytes
    certificates: bytes
    signed_data_type: bytes  # DER OID of the ContentInfo type: PKCS #7 or GM/T 0010 signedData
    data_content_info: bytes  # EncapsulatedContentInfo without content: PKCS #7 or GM/T 0010 data

    @classmethod
    def build(
        cls,
        signing_cert: x509.Certificate,
        chain: Sequence[x509.Certificate],
        signature_algorithm: algos.SignedDigestAlgorithm,
        *,
        digest: str = "sha256",
        gm: bool = False,
    ) -> CmsTemplate:
        """`digest`: hashlib name of the signer's digest (sha256 or sm3); `gm`: GM/T 0010 content types."""
        digest_algorithm = algos.DigestAlgorithm({"algorithm": digest}).dump()
        sid = cms.IssuerAndSerialNumber({"issuer": signing_cert.issuer, "serial_number": signing_cert.serial_number})
        message_digest = simple_cms_attribute("message_digest", bytes(DIGEST_LEN)).dump()
        signing_certificate = simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(signing_cert, hash_algo=digest)
        )
        unique = {cert.dump(): None for cert in (signing_cert, *chain)}
        data_type = GM_DATA_OID if gm else _DATA_OID
        return cls(
            digest_algorithm=digest_algorithm,
            signature_algorithm=signature_algorithm.dump(),
            signer_identifier=sid.dump(),
            content_type_attr=simple_cms_attribute("content_type", data_type).dump(),
            message_digest_attr_prefix=message_digest[:-DIGEST_LEN],
            signing_certificate_attr=signing_certificate.dump(),
            certificates=der_set_of(0xA0, list(unique)),
            signed_data_type=core.ObjectIdentifier(GM_SIGNED_DATA_OID if gm else _SIGNED_DATA).dump(),
            data_content_info=der_tlv(0x30, core.ObjectIdentifier(data_type).dump()),
        )

    def signed_attributes(self, message_digest: bytes) -> bytes:
        """The DER SET that is hashed and signed (tag 0x31; stored in SignerInfo as [0])."""
        if len(message_digest) != DIGEST_LEN:
            raise ValueError("message digest must be 32 bytes (SHA-256 or SM3)")
        attrs = [
            self.content_type_attr,
            self.message_digest_attr_prefix + message_digest,
            self.signing_certificate_attr,
        ]
        return der_set_of(0x31, attrs)

    def content_info(self, signed_attributes: bytes, signature: bytes, time_stamp_token: bytes | None = None) -> bytes:
        """The complete ContentInfo(SignedData) DER, ready for the PDF /Contents."""
        signer_info_parts = [
            der_tlv(0x02, b"\x01"),
            self.signer_identifier,
            self.digest_algorithm,
            b"\xa0" + signed_attributes[1:],
            self.signature_algorithm,
            der_tlv(0x04, signature),
        ]
        if time_stamp_token is not None:
            signer_info_parts.append(der_set_of(0xA1, [time_stamp_attribute(time_stamp_token)]))
        signed_data = der_tlv(
            0x30,
            der_tlv(0x02, b"\x01"),
            der_tlv(0x31, self.digest_algorithm),
            self.data_content_info,
            self.certificates,
            der_tlv(0x31, der_tlv(0x30, *signer_info_parts)),
        )
        return der_tlv(0x30, self.signed_data_type, der_tlv(0xA0, signed_data))


def time_stamp_attribute(token: bytes) -> bytes:
    return der_tlv(0x30, core.ObjectIdentifier(_SIGNATURE_TIME_STAMP_TOKEN).dump(), der_tlv(0x31, token))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


_SIGNED_DATA = "1.2.840.113549.1.7.2"
_DATA_OID = "1.2.840.113549.1.7.1"
