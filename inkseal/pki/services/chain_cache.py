"""The CA chain above an issued certificate, kept per process in a small hand-rolled LRU
(issue #13 replaces it with the project's one bounded cache type)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from inkseal.pki.authorities import chain_of
from inkseal.pki.models import Certificate

_CHAIN_CACHE_SIZE = 4096
_chains: OrderedDict[tuple[int, str], tuple[bytes, ...]] = OrderedDict()
_chains_lock = threading.Lock()


def certificate_chain(certificate: Certificate) -> tuple[bytes, ...]:
    """DER of the CA certificates above `certificate`, nearest first (root last). Kept per process
    for each certificate (by pk and fingerprint): CA certificates above an issued one never change."""
    key = (certificate.pk, certificate.fingerprint)
    with _chains_lock:
        chain = _chains.get(key)
        if chain is not None:
            _chains.move_to_end(key)
            return chain
    if certificate.trusted_root is not None:
        chain = (bytes(certificate.trusted_root.certificate_der),)
    else:
        assert certificate.issuer is not None
        chain = tuple(bytes(ca.certificate_der) for ca in chain_of(certificate.issuer))
    with _chains_lock:
        _chains[key] = chain
        while len(_chains) > _CHAIN_CACHE_SIZE:
            _chains.popitem(last=False)
    return chain
