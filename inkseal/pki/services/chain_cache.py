"""The CA chain above an issued certificate, kept per process in the project's bounded cache
(core.cache.BoundedCache, CHAIN_CACHE_SIZE entries)."""

from __future__ import annotations

from django.conf import settings

from inkseal.core.cache import BoundedCache
from inkseal.pki.authorities import chain_of
from inkseal.pki.models import Certificate

_chains: BoundedCache[tuple[int, str], tuple[bytes, ...]] = BoundedCache(lambda: settings.CHAIN_CACHE_SIZE)


def certificate_chain(certificate: Certificate) -> tuple[bytes, ...]:
    """DER of the CA certificates above `certificate`, nearest first (root last). Kept per process
    for each certificate (by pk and fingerprint; CHAIN_CACHE_SIZE of them): CA certificates above
    an issued one never change."""

    def build() -> tuple[bytes, ...]:
        if certificate.trusted_root is not None:
            return (bytes(certificate.trusted_root.certificate_der),)
        assert certificate.issuer is not None
        return tuple(bytes(ca.certificate_der) for ca in chain_of(certificate.issuer))

    return _chains.get_or_put((certificate.pk, certificate.fingerprint), build)
