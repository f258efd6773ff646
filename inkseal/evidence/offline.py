#!/usr/bin/env python3
"""Check an Inkseal evidence report (签署报告) without the platform: standard library and
`cryptography` only (Python 3.10+, pip install cryptography), no Django, nothing from Inkseal.

    python3 verify_evidence.py report.pdf [--document signed.pdf] [--log-key KEY ...]
                               [--trust-root root.pem ...] [--checkpoint note.txt ...] [--json]

What it checks, each with a reason when it fails:

1. the report's signatures: the byte ranges cover the file (all but each signature's own value,
   and the long-term validation data appended after the last one), the CMS message digest
   matches, the signature value verifies under the signer certificate (ECDSA/RSA through
   `cryptography`; SM2 with SM3 through the small SM2/SM3 implementation below), the
   certificate chain verifies up to its root, which `--trust-root` pins; the RFC 3161 time
   stamp covers the signature and is itself signed;
2. the embedded evidence (attachment `inkseal-evidence.json`) lies inside the signed bytes;
3. each log leaf hashes to its leaf hash, and says what the report says (event, document hashes);
4. each inclusion proof (RFC 9162 §2.1.3.2) leads from the leaf to the checkpoint's root;
5. the checkpoint (a C2SP signed note) is time-stamped (RFC 3161) and signed by a log key: pass
   the keys the log publishes (`--log-key`, from /api/v1/log/keys or kept from before); without
   them the keys inside the report are used, and the result says that this only shows the report
   is self-consistent;
6. with `--document`, the file's SHA-256 is the signed (or original) document of a record;
7. with `--checkpoint` (checkpoints seen elsewhere: another report, the API, a witness), two
   checkpoints of the same size with different roots prove a forked log.

Exit status 0 when every check passed, 1 otherwise; `--json` prints the checks as JSON.
This file is also `inkseal/evidence/offline.py` (the platform's `inkseal evidence verify` uses
it); a test keeps the two identical.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

EVIDENCE_FILE_NAME = "inkseal-evidence.json"
FORMAT = "inkseal-evidence/1"
DASH = "\u2014"

# --- DER ------------------------------------------------------------------------------------------


class DerError(ValueError):
    pass


@dataclass(frozen=True)
class Tlv:
    tag: int
    data: bytes  # the whole buffer
    start: int  # the tag byte
    body: int  # first content byte
    end: int  # one past the last content byte

    @property
    def raw(self) -> bytes:
        return self.data[self.start : self.end]

    @property
    def value(self) -> bytes:
        return self.data[self.body : self.end]

    def items(self) -> list[Tlv]:
        out, pos = [], self.body
        while pos < self.end:
            item = read_tlv(self.data, pos)
            out.append(item)
            pos = item.end
        return out


def read_tlv(data: bytes, pos: int = 0) -> Tlv:
    if pos + 2 > len(data):
        raise DerError("truncated DER")
    tag, first = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used here")
    body = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError("indefinite or oversized DER length")
        length = int.from_bytes(data[body : body + count], "big")
        body += count
    if body + length > len(data):
        raise DerError("DER length runs past the data")
    return Tlv(tag, data, pos, body, body + length)


def oid_text(item: Tlv) -> str:
    value = item.value
    first = value[0]
    parts = [str(min(first // 40, 2)), str(first - 40 * min(first // 40, 2))]
    number = 0
    for byte in value[1:]:
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(str(number))
            number = 0
    return ".".join(parts)


def der_int(item: Tlv) -> int:
    return int.from_bytes(item.value, "big", signed=True)


# --- SM3 and SM2 (GB/T 32905, GB/T 32918), for SM2 signatures only ----------------------------------

_SM3_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
_M32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _M32


def sm3(data: bytes) -> bytes:
    length = len(data) * 8
    data = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + length.to_bytes(8, "big")
    v = list(_SM3_IV)
    for offset in range(0, len(data), 64):
        w = [int.from_bytes(data[offset + 4 * i : offset + 4 * i + 4], "big") for i in range(16)]
        for j in range(16, 68):
            x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
            w.append((x ^ _rotl(x, 15) ^ _rotl(x, 23)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
        a, b, c, d, e, f, g, h = v
        for j in range(64):
            t = 0x79CC4519 if j < 16 else 0x7A879D8A
            ss1 = _rotl((_rotl(a, 12) + e + _rotl(t, j)) & _M32, 7)
            ss2 = ss1 ^ _rotl(a, 12)
            ff = (a ^ b ^ c) if j < 16 else ((a & b) | (a & c) | (b & c))
            gg = (e ^ f ^ g) if j < 16 else ((e & f) | (~e & g))
            tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & _M32
            tt2 = (gg + h + ss1 + w[j]) & _M32
            d, c, b, a = c, _rotl(b, 9), a, tt1
            h, g, f, e = g, _rotl(f, 19), e, (tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17))
        v = [x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h), strict=True)]
    return b"".join(x.to_bytes(4, "big") for x in v)


_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_G = (
    0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)
SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_DEFAULT_ID = b"1234567812345678"
Point = tuple[int, int] | None


def _add(p: Point, q: Point) -> Point:
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _P == 0:
        return None
    if p == q:
        slope = (3 * p[0] * p[0] + _A) * pow(2 * p[1], -1, _P) % _P
    else:
        slope = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (slope * slope - p[0] - q[0]) % _P
    return x, (slope * (p[0] - x) - p[1]) % _P


def _mul(k: int, p: Point) -> Point:
    result: Point = None
    while k:
        if k & 1:
            result = _add(result, p)
        p = _add(p, p)
        k >>= 1
    return result


def sm2_verify(point: bytes, message: bytes, signature_der: bytes, user_id: bytes = SM2_DEFAULT_ID) -> bool:
    """SM2 signature (DER SEQUENCE {r, s}) over SM3(Z_A || message) by the uncompressed `point`."""
    if len(point) != 65 or point[0] != 4:
        return False
    x, y = int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")
    if (y * y - x * x * x - _A * x - _B) % _P:
        return False
    try:
        r_item, s_item = read_tlv(signature_der).items()
    except (DerError, ValueError):
        return False
    r, s = der_int(r_item), der_int(s_item)
    if not (0 < r < _N and 0 < s < _N):
        return False
    entl = (len(user_id) * 8).to_bytes(2, "big")
    z = sm3(entl + user_id + b"".join(v.to_bytes(32, "big") for v in (_A, _B, *_G, x, y)))
    e = int.from_bytes(sm3(z + message), "big")
    t = (r + s) % _N
    if t == 0:
        return False
    total = _add(_mul(s, _G), _mul(t, (x, y)))
    return total is not None and (e + total[0]) % _N == r


# --- keys and certificates --------------------------------------------------------------------------


def spki_point(spki_der: bytes) -> tuple[str | None, bytes]:
    """The named curve and the public key bits of a DER SubjectPublicKeyInfo."""
    algorithm, bits = read_tlv(spki_der).items()
    parts = algorithm.items()
    curve = oid_text(parts[1]) if len(parts) > 1 and parts[1].tag == 0x06 else None
    return curve, bits.value[1:]


def verify_with_spki(spki_der: bytes, signature: bytes, message: bytes, digest: str = "sha256") -> bool:
    """A signature over `message` by the key in `spki_der`: SM2 (with SM3) or what cryptography
    loads (ECDSA, RSA PKCS#1 v1.5)."""
    curve, point = spki_point(spki_der)
    if curve == SM2_CURVE_OID:
        return sm2_verify(point, message, signature)
    key = serialization.load_der_public_key(spki_der)
    algorithm = hashes.SHA384() if digest == "sha384" else hashes.SHA512() if digest == "sha512" else hashes.SHA256()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), algorithm)
        else:
            return False
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Cert:
    der: bytes
    tbs: bytes
    signature: bytes
    signature_oid: str
    serial: int
    issuer: bytes  # DER Name
    subject: bytes
    spki: bytes
    subject_text: str

    @classmethod
    def load(cls, der: bytes) -> Cert:
        outer = read_tlv(der)
        tbs, algorithm, signature = outer.items()
        fields = tbs.items()
        if fields[0].tag == 0xA0:  # explicit version
            fields = fields[1:]
        serial, _sigalg, issuer, _validity, subject, spki = fields[:6]
        return cls(
            der=outer.raw,
            tbs=tbs.raw,
            signature=signature.value[1:],
            signature_oid=oid_text(algorithm.items()[0]),
            serial=der_int(serial),
            issuer=issuer.raw,
            subject=subject.raw,
            spki=spki.raw,
            subject_text=_name_text(subject),
        )

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    def issued_by(self, issuer: Cert) -> bool:
        digest = {"1.2.840.10045.4.3.3": "sha384", "1.2.840.113549.1.1.12": "sha384"}.get(self.signature_oid, "sha256")
        return self.issuer == issuer.subject and verify_with_spki(issuer.spki, self.signature, self.tbs, digest)


_NAME_ATTRS = {"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.6": "C", "2.5.4.11": "OU"}


def _name_text(name: Tlv) -> str:
    parts = []
    for rdn in name.items():
        for attribute in rdn.items():
            kind, value = attribute.items()
            label = _NAME_ATTRS.get(oid_text(kind), oid_text(kind))
            text = value.value.decode("utf-16-be" if value.tag == 0x1E else "utf-8", "replace")
            parts.append(f"{label}={text}")
    return ", ".join(reversed(parts))


def chain_to_root(signer: Cert, pool: Sequence[Cert]) -> list[Cert]:
    """The chain from `signer` up through `pool`, each link's signature verified; ValueError when
    a link is missing or does not verify."""
    chain = [signer]
    while chain[-1].issuer != chain[-1].subject:
        issuer = next((c for c in pool if c.subject == chain[-1].issuer and c not in chain), None)
        if issuer is None:
            raise ValueError(f"no certificate of the issuer of {chain[-1].subject_text} in the signature")
        if not chain[-1].issued_by(issuer):
            raise ValueError(f"the certificate {chain[-1].subject_text} is not signed by its issuer")
        chain.append(issuer)
        if len(chain) > 8:
            raise ValueError("certificate chain too long")
    if not chain[-1].issued_by(chain[-1]):
        raise ValueError("the root certificate's self-signature does not verify")
    return chain


# --- CMS signatures in a PDF ------------------------------------------------------------------------

DIGESTS = {
    "2.16.840.1.101.3.4.2.1": ("sha256", lambda b: hashlib.sha256(b).digest()),
    "2.16.840.1.101.3.4.2.2": ("sha384", lambda b: hashlib.sha384(b).digest()),
    "2.16.840.1.101.3.4.2.3": ("sha512", lambda b: hashlib.sha512(b).digest()),
    "1.2.156.10197.1.401": ("sm3", sm3),
}
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
TIMESTAMP_TOKEN = "1.2.840.113549.1.9.16.2.14"


@dataclass
class CmsCheck:
    signer: Cert | None = None
    chain: list[Cert] = field(default_factory=list)
    algorithm: str = ""
    problems: list[str] = field(default_factory=list)
    timestamp: datetime | None = None
    signature_value: bytes = b""


def check_cms(cms_der: bytes, content: bytes, pool: Sequence[Cert] = ()) -> CmsCheck:
    """A detached CMS SignedData (or GM/T 0010's) over `content`: digest, signature, chain (the
    certificates in the CMS, then `pool`)."""
    result = CmsCheck()
    try:
        content_info = read_tlv(cms_der)
        signed_data = content_info.items()[1].items()[0]
        parts = signed_data.items()
        certificates = [Cert.load(c.raw) for p in parts if p.tag == 0xA0 for c in p.items()]
        signer_info = parts[-1].items()[0]
        info = signer_info.items()
        sid, digest_alg = info[1], info[2]
        attributes = next(i for i in info if i.tag == 0xA0)
        sig_value = next(i for i in info[3:] if i.tag == 0x04)
        unsigned = next((i for i in info if i.tag == 0xA1), None)
    except (DerError, IndexError, StopIteration, ValueError) as exc:
        result.problems.append(f"the signature's CMS structure is unreadable ({exc})")
        return result
    result.signature_value = sig_value.value
    digest_name, digest = DIGESTS.get(oid_text(digest_alg.items()[0]), ("", None))
    if digest is None:
        result.problems.append("unsupported digest algorithm")
        return result
    result.algorithm = digest_name
    found = _attribute(attributes, MESSAGE_DIGEST)
    if found is None or found.value != digest(content):
        result.problems.append("the signed bytes were changed: their digest differs from the one signed")
    serial = der_int(sid.items()[1]) if sid.tag == 0x30 else None
    signer = next((c for c in certificates if c.serial == serial), None)
    if signer is None:
        result.problems.append("the signer's certificate is not in the signature")
        return result
    result.signer = signer
    signed_attributes = b"\x31" + attributes.raw[1:]  # signed as a SET OF
    if not verify_with_spki(signer.spki, sig_value.value, signed_attributes, digest_name):
        result.problems.append("the signature value does not verify under the signer's certificate")
    try:
        result.chain = chain_to_root(signer, [*certificates, *pool])
    except ValueError as exc:
        result.problems.append(str(exc))
    if unsigned is not None:
        token = _attribute(unsigned, TIMESTAMP_TOKEN)
        if token is not None:
            _check_timestamp(token.raw, sig_value.value, result, [*certificates, *pool])
    return result


def _attribute(attributes: Tlv, oid: str) -> Tlv | None:
    for attribute in attributes.items():
        kind, values = attribute.items()
        if oid_text(kind) == oid:
            return values.items()[0]
    return None


def _check_timestamp(
    token_der: bytes, signature_value: bytes, result: CmsCheck, pool: Sequence[Cert], what: str = "signature"
) -> None:
    """An RFC 3161 token over the signature value (or another statement): its imprint and its own
    signature."""
    try:
        signed_data = read_tlv(token_der).items()[1].items()[0]
        econtent = signed_data.items()[2].items()[1].items()[0]  # [0] EXPLICIT OCTET STRING
        tst_info = read_tlv(econtent.value).items()
        imprint_alg, imprint = tst_info[2].items()
        gen_time = tst_info[4].value.decode()
    except (DerError, IndexError, ValueError) as exc:
        result.problems.append(f"the {what} time stamp is unreadable ({exc})")
        return
    _name, digest = DIGESTS.get(oid_text(imprint_alg.items()[0]), ("", None))
    if digest is None or imprint.value != digest(signature_value):
        result.problems.append(f"the time stamp does not cover this {what}")
    inner = check_cms(token_der, econtent.value, pool)
    if inner.problems:
        result.problems.append("the time stamp's own signature is invalid: " + "; ".join(inner.problems))
    stamp = gen_time.rstrip("Z").split(".")[0]
    result.timestamp = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)  # noqa: UP017 - Python 3.10 too


@dataclass(frozen=True)
class PdfSignature:
    byte_range: tuple[int, int, int, int]
    cms: bytes

    @property
    def end(self) -> int:
        return self.byte_range[2] + self.byte_range[3]

    def signed_bytes(self, pdf: bytes) -> bytes:
        a, b, c, d = self.byte_range
        return pdf[a : a + b] + pdf[c : c + d]


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def pdf_signatures(pdf: bytes) -> list[PdfSignature]:
    """Every signature's byte range and CMS (the hex string in the range's gap), in file order."""
    found = []
    for match in _BYTE_RANGE.finditer(pdf):
        a, b, c, d = (int(g) for g in match.groups())
        gap = pdf[a + b : c].strip()
        if a != 0 or not (gap.startswith(b"<") and gap.endswith(b">")) or c + d > len(pdf):
            raise ValueError("a signature's byte range does not fit the file")
        try:
            raw = binascii.unhexlify(gap[1:-1])
        except binascii.Error:
            raise ValueError("a signature value is not hexadecimal") from None
        found.append(PdfSignature((a, b, c, d), read_tlv(raw).raw))
    return sorted(found, key=lambda s: s.end)


def embedded_evidence(pdf: bytes) -> tuple[bytes, int, int]:
    """The evidence attachment's bytes and where its stream lies in the file; ValueError when
    there is not exactly one embedded file."""
    streams = [m.end() for m in re.finditer(rb"/Type\s*/EmbeddedFile\b[^/]", pdf)]
    if len(streams) != 1:
        raise ValueError(f"the report should embed one file, it embeds {len(streams)}")
    head_start = pdf.rfind(b"obj", 0, streams[0])
    head_end = pdf.find(b"stream", streams[0] - 1)
    head = pdf[head_start:head_end]
    length = re.search(rb"/Length\s+(\d+)", head)
    if length is None:
        raise ValueError("the embedded file has no direct /Length")
    start = head_end + len(b"stream")
    start += 2 if pdf[start : start + 2] == b"\r\n" else 1
    end = start + int(length.group(1))
    data = pdf[start:end]
    if b"/FlateDecode" in head:
        data = zlib.decompress(data)
    return data, start, end


# --- the transparency log ---------------------------------------------------------------------------


def leaf_hash(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof leads to; ValueError when it cannot."""
    if not 0 <= index < size:
        raise ValueError("the leaf index is outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the inclusion proof is too short")
    return r


SIGNATURE_TYPES = {b"\xffinkseal-ecdsa-p256-sha256": "ecdsa-p256", b"\xffinkseal-sm2-sm3": "sm2"}


@dataclass(frozen=True)
class LogKey:
    name: str
    key_id: bytes
    spki: bytes

    @classmethod
    def parse(cls, text: str) -> LogKey:
        try:
            name, hex_id, blob = text.strip().split("+", 2)
            raw = base64.b64decode(blob, validate=True)
        except (ValueError, binascii.Error):
            raise ValueError("malformed verifier key") from None
        for sig_type in SIGNATURE_TYPES:
            if raw.startswith(sig_type):
                spki = raw[len(sig_type) :]
                if hashlib.sha256(name.encode() + b"\n" + sig_type + spki).digest()[:4].hex() != hex_id:
                    raise ValueError("the verifier key's ID does not match its name and key")
                return cls(name, bytes.fromhex(hex_id), spki)
        raise ValueError("unknown verifier key type")


def open_checkpoint(note: str, keys: Sequence[LogKey]) -> tuple[str, int, bytes, int]:
    """(origin, size, root, signatures verified) of a signed checkpoint; ValueError unless a known
    key signed it and every signature by a known key verifies."""
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise ValueError("the checkpoint is not a signed note")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    known = {(k.name, k.key_id): k for k in keys}
    verified = 0
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise ValueError("malformed signature line in the checkpoint")
        blob = base64.b64decode(parts[2])
        key = known.get((parts[1], blob[:4]))
        if key is None:
            continue
        if not verify_with_spki(key.spki, blob[4:], text.encode()):
            raise ValueError(f"the checkpoint's signature by {parts[1]} ({blob[:4].hex()}) does not verify")
        verified += 1
    if not verified:
        raise ValueError("the checkpoint is not signed by any trusted log key")
    origin, size, root = text.split("\n")[:3]
    return origin, int(size), base64.b64decode(root), verified


# --- the report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool | None  # None: informational, not a pass or a failure
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "ok": self.ok, "detail": self.detail}


@dataclass
class Result:
    checks: list[Check] = field(default_factory=list)
    evidence: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok is not False for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    def add(self, code: str, ok: bool | None, detail: str) -> None:
        self.checks.append(Check(code, ok, detail))

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


def verify_report(
    pdf: bytes,
    *,
    document: bytes | None = None,
    log_keys: Sequence[str] = (),
    trust_roots: Sequence[bytes] = (),
    checkpoints: Sequence[str] = (),
) -> Result:
    """Every check on a report (see the module docstring); never raises on a bad file."""
    result = Result()
    last_end = _check_signatures(pdf, trust_roots, result)
    try:
        raw, _start, end = embedded_evidence(pdf)
        evidence = json.loads(raw)
    except (ValueError, zlib.error) as exc:
        result.add("evidence_embedded", False, f"the embedded evidence cannot be read: {exc}")
        return result
    if not isinstance(evidence, dict) or evidence.get("format") != FORMAT:
        result.add("evidence_embedded", False, "the embedded file is not Inkseal evidence")
        return result
    result.evidence = evidence
    covered = last_end is not None and end <= last_end
    result.add(
        "evidence_signed",
        covered,
        "the embedded evidence lies inside the signed bytes"
        if covered
        else "the embedded evidence is not covered by the report's signature",
    )
    try:
        _check_log(evidence, log_keys, checkpoints, result)
        _check_checkpoint_timestamp(pdf, evidence["log"]["checkpoint"], result)
        _check_document(evidence, document, result)
    except (KeyError, TypeError, ValueError) as exc:
        result.add("evidence_malformed", False, f"the embedded evidence is incomplete or malformed: {exc!r}")
    return result


# What may follow the last signature is long-term validation data (DSS: certificates, CRLs, OCSP
# answers, document time stamps); anything that draws, annotates, embeds or acts is refused. (This
# is a screen, not pyHanko's full difference analysis, which `inkseal evidence verify` adds.)
_NOT_LTV = (
    rb"/Type\s*/Page\b",
    rb"/Contents\b",
    rb"/EmbeddedFiles?\b",
    rb"/Annots\b",
    rb"/Font\b",
    rb"/XObject\b",
    rb"/JavaScript\b",
    rb"/OpenAction\b",
    rb"/AA\b",
    rb"/FT\s*/Sig\b",
)


def _check_signatures(pdf: bytes, trust_roots: Sequence[bytes], result: Result) -> int | None:
    try:
        signatures = pdf_signatures(pdf)
    except (ValueError, DerError) as exc:
        result.add("report_signature", False, f"the report's signatures cannot be read: {exc}")
        return None
    if not signatures:
        result.add("report_signature", False, "the report is not signed")
        return None
    pinned = {hashlib.sha256(der).hexdigest() for der in trust_roots}
    for number, signature in enumerate(signatures, start=1):
        checked = check_cms(signature.cms, signature.signed_bytes(pdf))
        who = checked.signer.subject_text if checked.signer else "?"
        kind = "SM2" if checked.algorithm == "sm3" else "ECDSA/RSA"
        if checked.problems:
            result.add("report_signature", False, f"signature {number} ({kind}, {who}): " + "; ".join(checked.problems))
            continue
        stamped = f", time-stamped {checked.timestamp.isoformat()}" if checked.timestamp else ", no time stamp"
        result.add("report_signature", True, f"signature {number} ({kind}) by {who} is intact and valid{stamped}")
        root = checked.chain[-1] if checked.chain else None
        if root is not None and pinned:
            trusted = root.sha256 in pinned
            result.add(
                "report_root",
                trusted,
                f"its chain ends at the trusted root {root.subject_text}"
                if trusted
                else f"its chain ends at {root.subject_text} (SHA-256 {root.sha256}), which is not a trusted root",
            )
        elif root is not None:
            result.add(
                "report_root",
                None,
                f"its chain ends at {root.subject_text}, SHA-256 {root.sha256}: "
                "compare it with the platform's published root",
            )
    last = signatures[-1]
    tail = pdf[last.end :]
    appended_ok = not any(re.search(marker, tail) for marker in _NOT_LTV)
    result.add(
        "report_complete",
        appended_ok,
        f"the last signature covers the file up to its long-term validation data ({len(tail)} bytes after it)"
        if appended_ok
        else "content was appended after the last signature",
    )
    return last.end


def cms_certificates(cms_der: bytes) -> list[Cert]:
    """The certificates a CMS SignedData carries ([] when unreadable)."""
    try:
        parts = read_tlv(cms_der).items()[1].items()[0].items()
        return [Cert.load(c.raw) for p in parts if p.tag == 0xA0 for c in p.items()]
    except (DerError, IndexError, ValueError):
        return []


def _check_checkpoint_timestamp(pdf: bytes, checkpoint: dict[str, Any], result: Result) -> None:
    """The TSA token over the checkpoint note (its chain completed from the report's certificates)."""
    token = checkpoint.get("timestamp_token") or ""
    if not token:
        result.add("checkpoint_timestamp", None, "the checkpoint carries no time stamp")
        return
    pool = [cert for s in pdf_signatures(pdf) for cert in cms_certificates(s.cms)]
    checked = CmsCheck()
    _check_timestamp(base64.b64decode(token), checkpoint["note"].encode("utf-8"), checked, pool, what="checkpoint")
    stamped = checked.timestamp.isoformat() if checked.timestamp else "?"
    result.add(
        "checkpoint_timestamp",
        not checked.problems,
        f"the checkpoint was time-stamped {stamped}" if not checked.problems else "; ".join(checked.problems),
    )


def _check_log(evidence: dict[str, Any], log_keys: Sequence[str], checkpoints: Sequence[str], result: Result) -> None:
    log = evidence["log"]
    checkpoint = log["checkpoint"]
    pinned = bool(log_keys)
    keys = [LogKey.parse(k) for k in (log_keys or log["verifier_keys"])]
    try:
        origin, size, root, count = open_checkpoint(checkpoint["note"], keys)
    except ValueError as exc:
        result.add("checkpoint_signature", False, str(exc))
        return
    result.add(
        "checkpoint_signature",
        True if pinned else None,
        f"the checkpoint of size {size} is signed by {count} log key(s)"
        + ("" if pinned else " embedded in the report (pass the published keys with --log-key to check against them)"),
    )
    agrees = size == checkpoint["size"] and root.hex() == checkpoint["root_hash"] and origin == log["origin"]
    result.add(
        "checkpoint_matches",
        agrees,
        "the signed note says what the report says"
        if agrees
        else "the signed checkpoint differs from the report's text",
    )
    for record in evidence["records"]:
        leaf = record["log"]
        body = leaf["body"].encode("utf-8")
        if leaf_hash(body).hex() != leaf["leaf_hash"]:
            result.add(
                "leaf_hash", False, f"record {record['event_id']}: the leaf's content does not hash to its leaf hash"
            )
            continue
        event = json.loads(body)["event"]
        said = event.get("event_id") == record["event_id"] and event.get("document") == record["document"]
        result.add(
            "leaf_matches_record",
            said,
            f"record {record['event_id']}: the log leaf names this event and these document hashes"
            if said
            else f"record {record['event_id']}: the log leaf is about another event or other document hashes",
        )
        try:
            proven = root_from_inclusion(
                leaf["index"], size, bytes.fromhex(leaf["leaf_hash"]), [bytes.fromhex(h) for h in leaf["proof"]]
            )
        except ValueError as exc:
            result.add(
                "inclusion_proof",
                False,
                f"record {record['event_id']}: the inclusion proof does not lead to the checkpoint's root ({exc})",
            )
            continue
        included = proven == root and leaf["tree_size"] == size
        result.add(
            "inclusion_proof",
            included,
            f"record {record['event_id']}: leaf #{leaf['index']} is in the log of {size} leaves"
            if included
            else f"record {record['event_id']}: the inclusion proof does not lead to the checkpoint's root "
            "(a proof for another leaf or another tree)",
        )
    for other in checkpoints:
        try:
            other_origin, other_size, other_root, _count = open_checkpoint(other, keys)
        except ValueError as exc:
            result.add("fork", False, f"a checkpoint given for comparison does not verify: {exc}")
            continue
        if other_origin == origin and other_size == size and other_root != root:
            result.add(
                "fork",
                False,
                f"the log is forked: two checkpoints of size {size} with different roots, both signed by the log",
            )
        else:
            result.add(
                "fork",
                True if other_size == size else None,
                f"checkpoint of size {other_size}: no fork at the same size",
            )


def _check_document(evidence: dict[str, Any], document: bytes | None, result: Result) -> None:
    if document is None:
        return
    digest = hashlib.sha256(document).hexdigest()
    for record in evidence["records"]:
        if digest == record["document"]["sha256_after"]:
            result.add(
                "document_hash",
                True,
                f"the document is the signed file of record {record['event_id']} ({record['file_name']})",
            )
            return
        if digest == record["document"]["sha256_before"]:
            result.add(
                "document_hash", True, f"the document is the original (unsigned) file of record {record['event_id']}"
            )
            return
    result.add(
        "document_hash",
        False,
        f"the document (SHA-256 {digest}) is none of the report's documents: changed or another file",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an Inkseal evidence report (签署报告) offline.")
    parser.add_argument("report", help="the report PDF")
    parser.add_argument("--document", help="the signed (or original) document the report is about")
    parser.add_argument("--log-key", action="append", default=[], help="a published log verifier key (repeatable)")
    parser.add_argument(
        "--trust-root", action="append", default=[], help="a trusted root certificate, PEM or DER (repeatable)"
    )
    parser.add_argument(
        "--checkpoint", action="append", default=[], help="a checkpoint note seen elsewhere (file, repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    args = parser.parse_args(argv)
    result = verify_report(
        _read(args.report),
        document=_read(args.document) if args.document else None,
        log_keys=args.log_key,
        trust_roots=[_certificate_der(_read(path)) for path in args.trust_root],
        checkpoints=[_read(path).decode("utf-8") for path in args.checkpoint],
    )
    print_result(result, as_json=args.json)
    return 0 if result.ok else 1


def print_result(result: Result, *, as_json: bool = False, out: Any = None) -> None:
    out = out or sys.stdout
    if as_json:
        out.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    marks = {True: "OK  ", False: "FAIL", None: "INFO"}
    for check in result.checks:
        out.write(f"{marks[check.ok]} {check.code}: {check.detail}\n")
    out.write("report verified\n" if result.ok else "report NOT verified\n")


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _certificate_der(data: bytes) -> bytes:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    return data


if __name__ == "__main__":
    sys.exit(main())
