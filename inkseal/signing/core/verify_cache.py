"""What verification (验签) keeps between documents: only what does not depend on the document.

Bounded caches (inkseal.core.cache.BoundedCache), per process (in the service, per PDF
parser process), used only while `inkseal.signing.core.verify` is verifying (a context
variable turns them on; pyHanko called directly by anyone else runs unchanged):

- Names (`NAME_CACHE_SIZE` entries): whether two X.509 names are equal under RFC 5280's LDAP
  string preparation, keyed by the DER of both names, and each name's comparable form keyed by
  its DER. A pure function of the bytes, so it never goes stale. This was about a third of a
  verification: asn1crypto re-prepares every name of every freshly parsed certificate.
- Certificates (`CERTIFICATE_CACHE_SIZE` entries): the parsed asn1crypto object of each
  certificate a signature's CMS carries, keyed by the SHA-256 of its DER (so its names,
  extensions and key are read once). Which one is the signer's is still decided per document.
- Certificate paths (`PATH_CACHE_SIZE` entries): the path pyHanko validated for a signer's
  certificate, keyed by the SHA-256 of the signer's certificate, of every certificate offered
  (trust roots = the trust store's version, intermediates, the CMS's own certificates, the
  document's DSS certificates) and of every OCSP response and CRL the document embeds. Only
  successful validations are kept, and an entry is used only while now lies within the validity
  of every certificate on the path, before the earliest next update of the embedded revocation
  answers, and at most `PATH_CACHE_SECONDS` after it was validated (the time bucket). Nothing
  is cached when fetching is allowed (a fetched answer may change at any moment). A revoked,
  expired or untrusted certificate therefore always goes through pyHanko's full validation:
  either its key differs (other revocation data, other trust store) or the entry has lapsed.

And, within one signature, a passed ESS signing-certificate check, keyed by the digests of the
certificate and of the signed attributes (which hold the document's digest): pyHanko asks it up
to three times.

What is never cached: the document's bytes, its digest, the signature value check, the
difference analysis and the revocation records of certificates issued here (read from the
database after each verification by signing.verification.services).

Pure: no Django imports.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.general import SignedDataCerts, _partition_certs, extract_signer_info
from pyhanko.sign.validation import generic_cms
from pyhanko_certvalidator.context import ValidationContext
from pyhanko_certvalidator.path import ValidationPath

from inkseal.core.cache import BoundedCache

NAME_CACHE_SIZE = 4096
PATH_CACHE_SIZE = 1024
CERTIFICATE_CACHE_SIZE = 1024
PATH_CACHE_SECONDS = 300.0

_certificates: BoundedCache[bytes, asn1_x509.Certificate] = BoundedCache(CERTIFICATE_CACHE_SIZE)
_names_equal: BoundedCache[tuple[bytes, bytes], bool] = BoundedCache(NAME_CACHE_SIZE)
_ess_checked: BoundedCache[tuple[bytes, bytes], bool] = BoundedCache(64)
_names_hashable: BoundedCache[bytes, str] = BoundedCache(NAME_CACHE_SIZE)


@dataclass(frozen=True)
class _CachedPath:
    path: ValidationPath
    usable_from: float  # epoch seconds
    usable_until: float


_paths: BoundedCache[tuple[Any, ...], _CachedPath] = BoundedCache(PATH_CACHE_SIZE)


@dataclass
class Scope:
    """The current verification's context: the ValidationContext it built and what keys a path."""

    context: ValidationContext | None = None
    offered: tuple[bytes, ...] = ()  # digests of the trust roots, intermediates, DSS data
    revinfo_until: float = float("inf")
    signer: bytes | None = None  # digest of the certificate being validated
    signer_key: tuple[Any, ...] | None = None


_scope: ContextVar[Scope | None] = ContextVar("inkseal_verify_cache_scope", default=None)


def digest(der: bytes) -> bytes:
    return hashlib.sha256(der).digest()


@contextmanager
def active() -> Iterator[Scope]:
    """Turn the caches on for the verification running in this context."""
    scope = Scope()
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def bind_document(
    scope: Scope,
    context: ValidationContext,
    roots: Iterable[asn1_x509.Certificate],
    others: Iterable[asn1_x509.Certificate],
    ocsps: Iterable[asn1_ocsp.OCSPResponse],
    crls: Iterable[asn1_crl.CertificateList],
    *,
    allow_fetching: bool,
) -> None:
    """What the document and the caller offer: roots, intermediates and the embedded revocation
    answers (each by digest). With fetching allowed, paths are not cached at all."""
    if allow_fetching:
        scope.context = None
        return
    ocsps, crls = list(ocsps), list(crls)
    scope.context = context
    scope.offered = (
        *(b"t" + digest(c.dump()) for c in roots),
        *(b"c" + digest(c.dump()) for c in others),
        *(b"o" + digest(o.dump()) for o in ocsps),
        *(b"r" + digest(c.dump()) for c in crls),
    )
    scope.revinfo_until = _revinfo_until(ocsps, crls)


def bind_signer(scope: Scope, cert: asn1_x509.Certificate, cms_certs: Iterable[asn1_x509.Certificate]) -> None:
    """The signature being validated: its signer's certificate and the certificates its CMS carries."""
    if scope.context is None:
        return
    scope.signer = digest(cert.dump())
    scope.signer_key = (scope.signer, scope.offered, tuple(sorted(digest(c.dump()) for c in cms_certs)))


def unbind_signer(scope: Scope) -> None:
    """A document time stamp is validated next: its path is not cached."""
    scope.signer = None
    scope.signer_key = None


def _revinfo_until(ocsps: list[asn1_ocsp.OCSPResponse], crls: list[asn1_crl.CertificateList]) -> float:
    """The earliest next update among the embedded answers: past it, their verdict may change."""
    until = float("inf")
    for response in ocsps:
        try:
            singles = response.basic_ocsp_response["tbs_response_data"]["responses"]
            for single in singles:
                next_update = single["next_update"].native
                if next_update is not None:
                    until = min(until, next_update.timestamp())
        except (KeyError, ValueError, TypeError, AttributeError):
            return 0.0  # unreadable: never reuse a path decided with it
    for crl in crls:
        next_update = crl["tbs_cert_list"]["next_update"].native
        if next_update is not None:
            until = min(until, next_update.timestamp())
    return until


# --- pyHanko's path search, with the cache in front ---------------------------------------------

_stock_find_valid_path = generic_cms.find_valid_path


async def _find_valid_path(
    certificate: asn1_x509.Certificate,
    paths: Any,
    validation_context: ValidationContext,
    pkix_validation_params: Any = None,
) -> ValidationPath:
    scope = _scope.get()
    key = _path_key(scope, certificate, validation_context, pkix_validation_params)
    if key is None:
        return await _stock_find_valid_path(certificate, paths, validation_context, pkix_validation_params)
    now = time.time()
    cached = _paths.get(key)
    if cached is not None and cached.usable_from <= now < cached.usable_until:
        await paths.cancel()
        return cached.path
    path: ValidationPath = await _stock_find_valid_path(certificate, paths, validation_context, pkix_validation_params)
    assert scope is not None
    _paths.put(key, _CachedPath(path, *_usable(path, now, scope.revinfo_until)))
    return path


def _path_key(
    scope: Scope | None, certificate: asn1_x509.Certificate, context: ValidationContext, params: Any
) -> tuple[Any, ...] | None:
    if scope is None or scope.context is not context or params is not None or scope.signer_key is None:
        return None
    if digest(certificate.dump()) != scope.signer:  # e.g. a time stamp's TSA: not cached
        return None
    return scope.signer_key


def _usable(path: ValidationPath, now: float, revinfo_until: float) -> tuple[float, float]:
    starts, ends = [], [now + PATH_CACHE_SECONDS, revinfo_until]
    for cert in path.iter_certs(include_root=True):
        validity = cert["tbs_certificate"]["validity"]
        starts.append(validity["not_before"].native.timestamp())
        ends.append(validity["not_after"].native.timestamp())
    return max(starts, default=now), min(ends)


generic_cms.find_valid_path = _find_valid_path  # type: ignore[assignment]


# --- certificates carried by a signature's CMS ---------------------------------------------------

_stock_extract_certificate_info = generic_cms.extract_certificate_info


def _extract_certificate_info(signed_data: cms.SignedData) -> SignedDataCerts:
    """pyHanko's `extract_certificate_info`, with each certificate the parsed object kept for its
    DER: its names, extensions and key are then read once per process, not once per document.
    Which certificate is the signer's is decided for each document, from its own SignerInfo."""
    if _scope.get() is None:
        return _stock_extract_certificate_info(signed_data)
    certs, attribute_certs = [], []
    for choice in signed_data["certificates"]:
        if choice.name == "certificate":
            certs.append(_certificate(choice))
        elif choice.name == "v2_attr_cert":
            attribute_certs.append(choice.chosen.untag())
    signer_cert, other_certs = _partition_certs(certs, extract_signer_info(signed_data))
    return SignedDataCerts(signer_cert=signer_cert, other_certs=other_certs, attribute_certs=attribute_certs)


def _certificate(choice: cms.CertificateChoices) -> asn1_x509.Certificate:
    key = digest(choice.chosen.dump())
    cert = _certificates.get(key)
    if cert is None:
        cert = choice.chosen.untag()
        cert.native  # noqa: B018  (parsed in full before it is shared between threads)
        _certificates.put(key, cert)
    return cert


generic_cms.extract_certificate_info = _extract_certificate_info  # type: ignore[assignment]


_stock_check_signing_certificate = generic_cms._check_signing_certificate


def _check_signing_certificate(cert: asn1_x509.Certificate, signed_attrs: cms.CMSAttributes) -> None:
    """pyHanko asks up to three times per signature whether the ESS signing-certificate attribute
    names the signer's certificate: a pass is remembered for (certificate, signed attributes),
    both by digest; the signed attributes hold the document's digest, so this is per document."""
    if _scope.get() is None:
        _stock_check_signing_certificate(cert, signed_attrs)
        return
    key = (digest(cert.dump()), digest(signed_attrs.dump()))
    if _ess_checked.get(key) is None:
        _stock_check_signing_certificate(cert, signed_attrs)  # raises when it does not match
        _ess_checked.put(key, True)


generic_cms._check_signing_certificate = _check_signing_certificate


# --- X.509 name comparison ----------------------------------------------------------------------

_stock_name_eq = asn1_x509.Name.__eq__
_stock_name_hashable = asn1_x509.Name.hashable


def _name_eq(self: asn1_x509.Name, other: object) -> bool:
    if _scope.get() is None or not isinstance(other, asn1_x509.Name):
        return bool(_stock_name_eq(self, other))
    key = (self.dump(), other.dump())
    equal = _names_equal.get(key)
    if equal is None:
        equal = bool(_stock_name_eq(self, other))
        _names_equal.put(key, equal)
    return equal


def _name_hashable(self: asn1_x509.Name) -> str:
    if _scope.get() is None:
        return str(_stock_name_hashable.fget(self))  # type: ignore[attr-defined]
    return _names_hashable.get_or_put(self.dump(), lambda: str(_stock_name_hashable.fget(self)))  # type: ignore[attr-defined]


asn1_x509.Name.__eq__ = _name_eq  # type: ignore[method-assign,assignment]
asn1_x509.Name.hashable = property(_name_hashable)  # type: ignore[method-assign,assignment]


def sizes() -> dict[str, int]:
    """How many entries each cache holds (tests, the bench)."""
    names = len(_names_equal) + len(_names_hashable)
    return {"names": names, "paths": len(_paths), "certificates": len(_certificates)}


def clear() -> None:
    """Forget everything (tests, and an operator who changed the trust store may call it; a changed
    trust store gives other keys anyway)."""
    _names_equal.clear()
    _names_hashable.clear()
    _paths.clear()
    _certificates.clear()
    _ess_checked.clear()
