"""GB/T 35275 SignedData signatures of OFD (`Type="Sign"`): a CMS SignedData (GM/T 0010 content
types or PKCS #7 ones) whose message is the SM3 digest of the exact Signature.xml bytes, either
detached with the digest in the messageDigest signed attribute, or with the digest itself as
the encapsulated content. Pure.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms as asn1_cms

import inkseal.signing.core.gmcms  # noqa: F401  (teaches asn1crypto the GM/T 0010 identifiers)
from inkseal.core.errors import DomainError
from inkseal.pki import gm
from inkseal.pki.algorithms import HASH_OIDS, new_hash
from inkseal.pki.x509 import Certificate, load_certificate

SM2_SIGN_OIDS = frozenset({gm.SM2_WITH_SM3_OID, "1.2.156.10197.1.301.1", gm.SM2_CURVE_OID})
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_SIGNING_TIME = "1.2.840.113549.1.9.5"
_SIGNED_DATA = frozenset({"1.2.840.113549.1.7.2", "1.2.156.10197.6.1.4.2.2"})
_HASH_NAMES = {oid: name for name, oid in HASH_OIDS.items()}


class NotSignedData(ValueError):
    pass


@dataclass(frozen=True)
class SignedDataCheck:
    certificate: Certificate | None  # None: not strict DER (read leniently for the key only)
    subject: str
    signing_time: datetime | None
    digest_ok: bool  # the signed digest is the digest of Signature.xml
    signature_ok: bool
    detail: str


def is_signed_data(value: bytes) -> bool:
    try:
        info = asn1_cms.ContentInfo.load(value, strict=True)
        return info["content_type"].dotted in _SIGNED_DATA
    except Exception:  # asn1crypto raises ValueError, TypeError, ... on other bytes
        return False


def check_signed_data(value: bytes, signed_file: bytes) -> SignedDataCheck:
    """Check a SignedData over `signed_file`; NotSignedData when the bytes are not one we can read."""
    try:
        info = asn1_cms.ContentInfo.load(value, strict=True)
        signed = info["content"]
        if info["content_type"].dotted not in _SIGNED_DATA:
            raise NotSignedData("not a SignedData")
        if not isinstance(signed, asn1_cms.SignedData):
            signed = asn1_cms.SignedData.load(info["content"].contents)
        signer_infos = list(signed["signer_infos"])
        if len(signer_infos) != 1:
            raise NotSignedData(f"{len(signer_infos)} signer infos (one expected)")
        signer_info = signer_infos[0]
        digest_name = _HASH_NAMES.get(signer_info["digest_algorithm"]["algorithm"].dotted)
        if digest_name is None:
            raise NotSignedData("unknown digest algorithm")
        certificate = _signer_certificate(signed, signer_info)
        content = signed["encap_content_info"]["content"]
        content_bytes = bytes(content.contents) if content.native is not None else None
        attributes = signer_info["signed_attrs"]
        signature = bytes(signer_info["signature"].native)
        algorithm = signer_info["signature_algorithm"]["algorithm"].dotted
        signing_time = None
        digest = bytes(new_hash(digest_name, signed_file).digest())
        if len(attributes):
            values = {a["type"].dotted: a["values"][0] for a in attributes}
            signed_digest = bytes(values[_MESSAGE_DIGEST].native)
            if _SIGNING_TIME in values:
                signing_time = values[_SIGNING_TIME].native
            message = b"\x31" + attributes.dump()[1:]
            if content_bytes is not None:  # the content is the message, itself the file or its digest
                digest_ok = signed_digest == bytes(new_hash(digest_name, content_bytes).digest()) and content_bytes in (
                    digest,
                    signed_file,
                )
            else:
                digest_ok = hmac.compare_digest(signed_digest, digest)
        else:
            if content_bytes is None:
                message, digest_ok = signed_file, True
            else:
                message, digest_ok = content_bytes, content_bytes in (digest, signed_file)
    except NotSignedData:
        raise
    except Exception as exc:  # asn1crypto raises TypeError, KeyError, ... on other bytes
        raise NotSignedData(f"unreadable SignedData ({type(exc).__name__}: {exc})")
    signature_ok, detail = _verify(certificate, signature, message, algorithm)
    if not digest_ok:
        detail = "the signed digest is not the digest of Signature.xml"
    try:
        strict: Certificate | None = load_certificate(certificate.dump())
    except DomainError:
        strict = None
    subject = str(certificate.subject.human_friendly) if strict else _lenient_subject(certificate)
    return SignedDataCheck(strict, subject, signing_time, digest_ok, signature_ok, detail)


def _lenient_subject(certificate: Any) -> str:
    try:
        return str(certificate.subject.human_friendly)
    except Exception:  # the very field that is not strict DER
        return ""


def lenient_spki(certificate_der: bytes) -> bytes:
    """The SubjectPublicKeyInfo of a certificate that is not strict DER elsewhere (real signer
    certificates put UTF8String where X.509 wants a BIT STRING); ValueError when unreadable."""
    from asn1crypto import x509 as asn1_x509

    try:
        return bytes(asn1_x509.Certificate.load(certificate_der)["tbs_certificate"]["subject_public_key_info"].dump())
    except Exception as exc:  # asn1crypto raises TypeError, KeyError, ... on other bytes
        raise ValueError(f"no readable public key ({type(exc).__name__})")


def _verify(certificate: Any, signature: bytes, message: bytes, algorithm: str) -> tuple[bool, str]:
    try:
        spki = lenient_spki(certificate.dump())
        if algorithm in SM2_SIGN_OIDS:
            key = gm.Sm2PublicKey.from_spki(spki)
            if len(signature) == 64:  # a raw r || s value
                signature = gm.encode_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
            key.verify(signature, message)
        else:
            load_certificate(certificate.dump()).public_key.verify(signature, message, signature_oid=algorithm)
    except (DomainError, ValueError) as exc:
        return False, f"the signature does not verify ({exc})"
    return True, ""


def _signer_certificate(signed: Any, signer_info: Any) -> Any:
    sid = signer_info["sid"]
    for choice in signed["certificates"] or ():
        if choice.name != "certificate":
            continue
        candidate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                candidate.issuer.dump() != wanted["issuer"].dump()
                or candidate.serial_number != wanted["serial_number"].native
            ):
                continue
        elif candidate.key_identifier != sid.chosen.native:
            continue
        return candidate
    raise NotSignedData("the SignedData does not carry its signer's certificate")
