"""RFC 3161 time stamps over the audit chain head: the request, and the check of a stored token.

Pure: no Django imports. The token is made by the platform's own TSA (pki.tsa) and checked here
against the anchored statement: imprint, the CMS messageDigest, and the TSA's signature under the
certificate the token carries, whose SHA-256 fingerprint the caller must recognise.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import tsp as asn1_tsp

from inkseal.pki.algorithms import new_hash
from inkseal.pki.x509 import Certificate


class AnchorTokenInvalid(ValueError):
    """The time stamp does not cover the anchored head, or its signature does not verify."""


@dataclass(frozen=True)
class StampedHead:
    stamped_at: datetime
    tsa_fingerprint: str


def time_stamp_request(statement: bytes) -> tuple[bytes, int]:
    """A TimeStampReq (DER, certReq set) over SHA-256(statement), and its nonce."""
    nonce = secrets.randbits(63)
    request = asn1_tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": asn1_algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": hashlib.sha256(statement).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return request.dump(), nonce


def token_from_response(response: bytes, nonce: int) -> bytes:
    """The TimeStampToken (DER ContentInfo) of a granted reply; AnchorTokenInvalid otherwise."""
    try:
        outer = asn1_core.Sequence.load(response, strict=True)
        status = asn1_tsp.PKIStatusInfo.load(outer[0].dump())["status"].native
        if status not in ("granted", "granted_with_mods") or len(outer) < 2:
            raise AnchorTokenInvalid(f"the time-stamp authority refused: {status}")
        token = outer[1].dump()
    except (ValueError, TypeError, KeyError) as exc:
        raise AnchorTokenInvalid("unreadable time-stamp reply") from exc
    if _tst_info(token)["nonce"].native != nonce:
        raise AnchorTokenInvalid("the time-stamp reply does not echo our nonce")
    return token


def _tst_info(token: bytes) -> asn1_tsp.TSTInfo:
    signed = asn1_cms.ContentInfo.load(token)["content"]
    return signed["encap_content_info"]["content"].parsed


def check_token(token: bytes, statement: bytes) -> StampedHead:
    """Raise AnchorTokenInvalid unless `token` is a signed time stamp over SHA-256(statement)."""
    try:
        return _checked(token, statement)
    except AnchorTokenInvalid:
        raise
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError ... on bad input
        raise AnchorTokenInvalid("unreadable time-stamp token") from exc


def _checked(token: bytes, statement: bytes) -> StampedHead:
    signed = asn1_cms.ContentInfo.load(token, strict=True)["content"]
    tst_bytes = signed["encap_content_info"]["content"].parsed.dump()
    tst_info = _tst_info(token)
    imprint = tst_info["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if new_hash(algorithm, statement).digest() != imprint["hashed_message"].native:
        raise AnchorTokenInvalid("the time stamp covers another head")
    signer_info = signed["signer_infos"][0]
    attributes = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if attributes["message_digest"].native != new_hash(digest_name, tst_bytes).digest():
        raise AnchorTokenInvalid("the time stamp's signed digest does not match its content")
    certificate = _signer_certificate(signed, signer_info)
    signed_attributes = signer_info["signed_attrs"].untag().dump(force=True)
    try:
        certificate.public_key.verify(
            signer_info["signature"].native,
            signed_attributes,
            signature_oid=signer_info["signature_algorithm"]["algorithm"].dotted,
        )
    except Exception as exc:
        raise AnchorTokenInvalid("the time stamp's signature does not verify") from exc
    return StampedHead(tst_info["gen_time"].native, certificate.sha256_fingerprint)


def _signer_certificate(signed: asn1_cms.SignedData, signer_info: asn1_cms.SignerInfo) -> Certificate:
    sid = signer_info["sid"].chosen
    for choice in signed["certificates"] or ():
        candidate = choice.chosen
        if candidate.issuer == sid["issuer"] and candidate.serial_number == sid["serial_number"].native:
            return Certificate(candidate.dump())
    raise AnchorTokenInvalid("the time stamp does not carry its signer's certificate")
