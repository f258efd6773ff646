"""Certificate paths for electronic seals and signatures (GB/T 38540): from a maker, signer or
time-stamp certificate to a trust anchor, with CA flags, path lengths, validity, revocation through
a lookup, and the end entity's key usage, policy and extended key usage. Pure.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import datetime

from inkseal.core.errors import DomainError
from inkseal.pki.x509 import Certificate

MAX_CHAIN = 6


# (certificate, its issuer) -> when it was revoked, or None
RevocationLookup = Callable[[Certificate, Certificate], datetime | None]


class CertificateRejected(Exception):
    """Why a certificate is not accepted: untrusted, expired, not_yet_valid, revoked, wrong_usage."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class ChainValidator:
    """Path building to trust anchors: issuer by name and signature, CA flags, keyCertSign and
    path length constraints, validity windows, revocation through a lookup, and the end-entity's
    policy and extended key usage."""

    def __init__(
        self,
        roots: Iterable[Certificate | bytes],
        intermediates: Iterable[Certificate | bytes] = (),
        *,
        revocation: RevocationLookup | None = None,
        policy: str | Iterable[str] | None = None,  # any one of them
        extended_key_usage: str | None = None,
    ):
        self._roots = {c.der: c for c in map(_parsed, roots)}
        self._issuers = list(self._roots.values()) + [
            c for c in map(_parsed, intermediates) if c.der not in self._roots
        ]
        self._revocation = revocation
        self._policies = frozenset([policy] if isinstance(policy, str) else policy or ())
        self._extended_key_usage = extended_key_usage

    def validate(
        self, certificate: Certificate, *, valid_at: datetime, revoked_by: datetime
    ) -> tuple[Certificate, ...]:
        """The path from `certificate` to an anchor; CertificateRejected otherwise."""
        self._check_usage(certificate)
        path = self._path(certificate)
        for index, link in enumerate(path):
            if not link.not_before <= valid_at <= link.not_after:
                reason = "not_yet_valid" if valid_at < link.not_before else "expired"
                which = "the certificate" if index == 0 else f"its CA {link.subject.human_friendly}"
                raise CertificateRejected(reason, f"{which} is not valid at {valid_at:%Y-%m-%d %H:%M:%S}")
        if self._revocation is not None:
            for link, issuer in itertools.pairwise(path):
                revoked_at = self._revocation(link, issuer)
                if revoked_at is not None and revoked_at <= revoked_by:
                    raise CertificateRejected(
                        "revoked", f"{link.subject.human_friendly} revoked {revoked_at:%Y-%m-%d %H:%M:%S}"
                    )
        return path

    def _path(self, certificate: Certificate) -> tuple[Certificate, ...]:
        path = [certificate]
        while path[-1].der not in self._roots:
            if len(path) > MAX_CHAIN:
                raise CertificateRejected("untrusted", "the chain is too long")
            issuer = self._issuer_of(path[-1])
            if issuer is None or any(issuer.der == link.der for link in path):
                raise CertificateRejected("untrusted", "not issued under a trusted CA")
            path.append(issuer)
        # RFC 5280 4.2.1.9: a CA's pathLenConstraint bounds the CA certificates below it
        for index, authority in enumerate(path[1:], start=1):
            limit = authority.asn1.max_path_length
            if limit is not None and index - 1 > limit:
                raise CertificateRejected(
                    "untrusted", f"{authority.subject.human_friendly} allows {limit} CA(s) below it, the chain has more"
                )
        return tuple(path)

    def _issuer_of(self, certificate: Certificate) -> Certificate | None:
        issuer_name = certificate.asn1["tbs_certificate"]["issuer"].dump()
        for candidate in self._issuers:
            if candidate.subject_der != issuer_name or not candidate.asn1.ca:
                continue
            usage = candidate.asn1.key_usage_value  # a CA key that may not sign certificates issues none
            if usage is not None and "key_cert_sign" not in usage.native:
                continue
            try:
                certificate.verify_signed_by(candidate)
            except DomainError:  # SignatureInvalid, UnsupportedAlgorithm
                continue
            return candidate
        return None

    def _check_usage(self, certificate: Certificate) -> None:
        asn1 = certificate.asn1
        usage = asn1.key_usage_value
        if usage is not None and "digital_signature" not in usage.native:
            raise CertificateRejected("wrong_usage", "the key usage does not allow signatures")
        if self._policies:
            policies = asn1.certificate_policies_value
            if policies is None or not self._policies & {p["policy_identifier"].dotted for p in policies}:
                wanted = ", ".join(sorted(self._policies))
                raise CertificateRejected("wrong_usage", f"the certificate lacks policy {wanted}")
        if self._extended_key_usage is not None:
            extended = asn1.extended_key_usage_value
            if extended is None or self._extended_key_usage not in extended.native:
                raise CertificateRejected("wrong_usage", f"the certificate lacks {self._extended_key_usage}")


def _parsed(certificate: Certificate | bytes) -> Certificate:
    return certificate if isinstance(certificate, Certificate) else Certificate(certificate)
