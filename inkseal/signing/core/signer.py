"""The seal signer: a certificate, its chain and a key handle, as a pyHanko `Signer`.

The key itself never enters this module: anything with `sign(data) -> bytes` will do (soft
keystore, PKCS#11 session, remote HSM). The handle hashes and signs `data` with the
algorithm of the certificate: RSA PKCS#1 v1.5 with SHA-256, ECDSA P-256 with SHA-256, or SM2
over SM3(Z_A || data) with the default user ID (inkseal.pki's SM2 keys do exactly that), the
last two returning DER SEQUENCE {r, s} (a raw r||s value is converted).

SM2 certificates (id-ecPublicKey on curve 1.2.156.10197.1.301) get a GM/T 0010 CMS, an SM3
byte-range digest and an SM3 time-stamp imprint; see inkseal.signing.core.cms and gmcms.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from inkseal.pki.algorithms import new_hash
from inkseal.pki.gm import SM2_CURVE_OID
from inkseal.signing.core.cms import CmsTemplate, der_length
from inkseal.signing.core.errors import SignerUnsupported, TimestampFailed

Certificate: TypeAlias = asn1_x509.Certificate | pyca_x509.Certificate | bytes


@runtime_checkable
class KeyHandle(Protocol):
    """What the keystores provide: sign `data` (hash included) with the certificate's key."""

    def sign(self, data: bytes) -> bytes: ...


class SignatureAlgorithm(enum.Enum):
    RSA_SHA256 = "sha256_rsa"
    ECDSA_SHA256 = "sha256_ecdsa"
    SM2_SM3 = "sm3_sm2"  # 1.2.156.10197.1.501, registered with asn1crypto by inkseal.signing.core.gmcms

    @property
    def mechanism(self) -> algos.SignedDigestAlgorithm:
        return algos.SignedDigestAlgorithm({"algorithm": self.value})

    @property
    def digest(self) -> str:
        """hashlib (and pyHanko) name of the digest: the byte range, signed attributes, time-stamp imprint."""
        return "sm3" if self is SignatureAlgorithm.SM2_SM3 else "sha256"

    @property
    def family(self) -> str:
        """inkseal.pki's algorithm family of the keys that make these signatures."""
        return _FAMILIES[self]

    @classmethod
    def for_certificate(cls, cert: asn1_x509.Certificate) -> SignatureAlgorithm:
        public_key = cert.public_key
        if public_key.algorithm == "rsa":
            return cls.RSA_SHA256
        if public_key.algorithm == "ec" and _named_curve_oid(public_key) == SM2_CURVE_OID:
            return cls.SM2_SM3
        if public_key.algorithm == "ec" and public_key.curve == ("named", "secp256r1"):
            return cls.ECDSA_SHA256
        raise SignerUnsupported(
            f"unsupported key type {public_key.algorithm} {public_key.curve if public_key.algorithm == 'ec' else ''}"
        )


def _named_curve_oid(public_key: Any) -> str | None:
    parameters = public_key["algorithm"]["parameters"]
    return str(parameters.chosen.dotted) if parameters.name == "named" else None


def as_asn1_certificate(cert: Certificate) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, pyca_x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    return asn1_x509.Certificate.load(bytes(cert))


class CryptographyKeyHandle:
    """A key handle around a `cryptography` private key object (tests, soft keystore)."""

    def __init__(self, private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        self._key = private_key

    def sign(self, data: bytes) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self._key.sign(data, ec.ECDSA(hashes.SHA256()))


@functools.lru_cache(maxsize=256)
def _cached_template(cert_der: bytes, chain_der: tuple[bytes, ...], mechanism: str) -> CmsTemplate:
    cert = asn1_x509.Certificate.load(cert_der)
    chain = [asn1_x509.Certificate.load(der) for der in chain_der]
    algorithm = SignatureAlgorithm(mechanism)
    gm = algorithm is SignatureAlgorithm.SM2_SM3
    return CmsTemplate.build(cert, chain, algorithm.mechanism, digest=algorithm.digest, gm=gm)


class SealSigner(Signer):
    """pyHanko signer whose CMS is assembled from a per-certificate `CmsTemplate`.

    Build one per certificate and keep it: the template (encoded chain, signer identifier,
    signing-certificate attribute) is cached per certificate anyway.
    """

    def __init__(
        self,
        key: KeyHandle,
        certificate: Certificate,
        chain: Sequence[Certificate] = (),
        algorithm: SignatureAlgorithm | None = None,
    ):
        cert = as_asn1_certificate(certificate)
        chain_certs = [as_asn1_certificate(c) for c in chain]
        self.algorithm = algorithm or SignatureAlgorithm.for_certificate(cert)
        _check_key_matches(key, self.algorithm)
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs(chain_certs),
            signature_mechanism=self.algorithm.mechanism,
            embed_roots=True,
        )
        self.key = key
        self.chain = tuple(chain_certs)
        self.template = _cached_template(cert.dump(), tuple(c.dump() for c in chain_certs), self.algorithm.value)
        # reservation per time-stamper; the time-stamper is kept so that its id() stays unique
        self._bounds: dict[object, tuple[int, TimeStamper | None]] = {}

    @classmethod
    def from_private_key(
        cls,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        certificate: Certificate,
        chain: Sequence[Certificate] = (),
    ) -> SealSigner:
        return cls(CryptographyKeyHandle(private_key), certificate, chain)

    @property
    def certificate(self) -> asn1_x509.Certificate:
        cert = self.signing_cert
        assert cert is not None
        return cert

    @property
    def digest_algorithm(self) -> str:
        """What the PDF byte range is hashed with: sha256, or sm3 for SM2 certificates."""
        return self.algorithm.digest

    def max_signature_length(self) -> int:
        """Upper bound of the raw signature value, for reserving /Contents space."""
        if self.algorithm is SignatureAlgorithm.RSA_SHA256:
            return (self.certificate.public_key.bit_size + 7) // 8
        return 72  # DER SEQUENCE {r, s} on a 256-bit curve (P-256, SM2): two 33-byte INTEGERs + headers

    def sign_raw_value(self, data: bytes) -> bytes:
        signature = self.key.sign(data)
        if self.algorithm is SignatureAlgorithm.RSA_SHA256:
            return signature
        return _ecdsa_der(signature)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self.max_signature_length())
        return self.sign_raw_value(data)

    async def async_sign(  # type: ignore[override]
        self,
        data_digest: bytes,
        digest_algorithm: str,
        dry_run: bool = False,
        use_pades: bool = False,
        timestamper: Any = None,
        signed_attr_settings: Any = None,
        is_pdf_sig: bool = True,
        encap_content_info: Any = None,
    ) -> cms.ContentInfo:
        """pyHanko entry point (document timestamps, DSS tooling); same fast path when it applies."""
        fast = (
            is_pdf_sig
            and encap_content_info is None
            and digest_algorithm == self.digest_algorithm
            and (signed_attr_settings is None or _only_signing_time(signed_attr_settings))
        )
        if not fast:
            return await super().async_sign(
                data_digest,
                digest_algorithm,
                dry_run=dry_run,
                use_pades=use_pades,
                timestamper=timestamper,
                signed_attr_settings=signed_attr_settings,
                is_pdf_sig=is_pdf_sig,
                encap_content_info=encap_content_info,
            )
        der = await self.async_cms(data_digest, timestamper=timestamper, dry_run=dry_run)
        return cms.ContentInfo.load(der)

    async def async_cms(
        self, document_digest: bytes, *, timestamper: TimeStamper | None = None, dry_run: bool = False
    ) -> bytes:
        """DER ContentInfo for a PAdES signature over `document_digest` (`digest_algorithm`)."""
        signed_attrs = self.template.signed_attributes(document_digest)
        if dry_run:
            signature = bytes(self.max_signature_length())
        else:
            signature = self.sign_raw_value(signed_attrs)
        token = None
        if timestamper is not None:
            token = await _time_stamp_token(timestamper, signature, self.digest_algorithm, dry_run)
        return self.template.content_info(signed_attrs, signature, token)

    async def async_contents_bound(self, timestamper: TimeStamper | None = None) -> int:
        """Bytes to reserve for the DER CMS: exact for B-B, TST size + margin for B-T (cached)."""
        key = "B-B" if timestamper is None else id(timestamper)
        if key not in self._bounds:
            cms_bytes = await self.async_cms(bytes(32), timestamper=timestamper, dry_run=True)
            margin = 0 if timestamper is None else 512
            self._bounds = {**self._bounds, key: (len(cms_bytes) + margin, timestamper)}
        return self._bounds[key][0]


_FAMILIES = {
    SignatureAlgorithm.RSA_SHA256: "rsa",
    SignatureAlgorithm.ECDSA_SHA256: "ecdsa",
    SignatureAlgorithm.SM2_SM3: "sm2",
}


def _check_key_matches(key: KeyHandle, algorithm: SignatureAlgorithm) -> None:
    """Handles that describe their algorithm (inkseal.pki keystores) must sign what the CMS says."""
    described = getattr(key, "algorithm", None)
    family = getattr(described, "family", None)
    hash_name = getattr(described, "hash_name", None)
    if family is not None and family != algorithm.family:
        raise SignerUnsupported(f"the key is {family}, the certificate needs {algorithm.family}")
    if hash_name is not None and hash_name != algorithm.digest:
        raise SignerUnsupported(f"the key signs {hash_name} digests; these seals use {algorithm.digest}")


def _only_signing_time(settings: Any) -> bool:
    return (
        getattr(settings, "cades_signed_attrs", None) is None and getattr(settings, "adobe_revinfo_attr", None) is None
    )


async def _time_stamp_token(timestamper: TimeStamper, signature: bytes, digest: str, dry_run: bool) -> bytes:
    """RFC 3161 token over the signature value, the imprint hashed like the rest of the CMS."""
    try:
        if dry_run:
            token = await timestamper.async_dummy_response(digest)
        else:
            token = await timestamper.async_timestamp(new_hash(digest, signature).digest(), digest)
    except (TimestampRequestError, OSError) as exc:
        raise TimestampFailed(f"the time-stamping authority failed: {exc}") from exc
    return bytes(token.dump())


def _ecdsa_der(signature: bytes) -> bytes:
    """Accept DER (what `cryptography` and inkseal.pki return) or raw r||s (what PKCS#11 returns)."""
    if len(signature) >= 8 and signature[0] == 0x30 and signature[1:2] == der_length(len(signature) - 2):
        return signature
    if len(signature) != 64:
        raise SignerUnsupported("ECDSA/SM2 signature is neither DER nor a 64-byte r||s value")
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    return encode_dss_signature(r, s)
