"""The platform's CAs in the database: finding and loading a CA with its signing key, its chain,
the policies and public URLs its certificates carry. Creating the hierarchy and keeping the OCSP
responder certificates fresh is in `authority_setup`; publishing CRLs in `crl_publishing`.

Hierarchy (ids as in `hierarchy.bootstrap_hierarchy`): root-rsa (offline-style root) -> issuing-rsa
and issuing-ecdsa, each with a delegated OCSP responder; tsa-ecdsa, certified by issuing-ecdsa,
time-stamps RSA and ECDSA signatures. SM2 (国密) has a hierarchy of its own: root-sm2 ->
issuing-sm2 (with its SM2 OCSP responder) -> tsa-sm2, which time-stamps every SM2 signature and
SES_Signature, so that a relying party trusting root-sm2 alone validates them (`TSA_ALGORITHMS`).

Lock order everywhere: certificate rows, then CA rows (by primary key), then counters.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.pki.algorithms import ECDSA_P256, SM2, Algorithm, get_algorithm
from inkseal.pki.errors import CaNotReady
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import CertificateAuthority, Counter
from inkseal.pki.oids import PolicyOids
from inkseal.pki.x509 import Certificate as X509Certificate
from inkseal.pki.x509 import CertificateAuthority as X509Authority
from inkseal.pki.x509 import PublicUrls

Role = CertificateAuthority.Role

TSA_ALGORITHM = ECDSA_P256  # the international TSA (tsa-ecdsa), served at /pki/tsa
# The TSA of each hierarchy, by root family: a time stamp chains to the same root as the signature.
TSA_ALGORITHMS: dict[str, Algorithm] = {"rsa": TSA_ALGORITHM, "sm2": SM2}


def public_urls() -> PublicUrls:
    return PublicUrls(settings.PUBLIC_BASE_URL)


def policy_oids() -> PolicyOids:
    """The certificate and time-stamp policies in force (settings PKI_POLICY_ARC, PKI_POLICY_OIDS)."""
    return _policy_oids(settings.PKI_POLICY_ARC, tuple(sorted(settings.PKI_POLICY_OIDS.items())))


@functools.lru_cache(maxsize=8)
def _policy_oids(arc: str, overrides: tuple[tuple[str, str], ...]) -> PolicyOids:
    try:
        return PolicyOids.under(arc, **dict(overrides))
    except ValueError as exc:
        raise ImproperlyConfigured(f"INKSEAL_PKI_POLICY_*: {exc}") from exc


def tsa_family_for(signer_family: str) -> str:
    """The family of the TSA that time-stamps signatures made with keys of `signer_family`:
    SM2 ones get the SM2 TSA under root-sm2, RSA and ECDSA ones the TSA under root-rsa."""
    return SM2.family if signer_family == SM2.family else TSA_ALGORITHM.family


def ca_algorithms() -> list[tuple[Algorithm, tuple[Algorithm, ...]]]:
    """The hierarchies of this deployment: (root algorithm, issuing algorithms) each.

    International algorithms share an RSA root; SM2 (国密) has a root of its own, as GM/T 0015
    expects, unless turned off or the keystore cannot hold SM2 keys (PKCS#11 tokens here)."""
    rsa = get_algorithm(settings.PKI_CA_RSA_ALGORITHM)
    hierarchies: list[tuple[Algorithm, tuple[Algorithm, ...]]] = [(rsa, (rsa, ECDSA_P256))]
    if settings.PKI_CA_SM2 and keystore().backend == "soft":
        sm2 = get_algorithm("sm2")
        hierarchies.append((sm2, (sm2,)))
    return hierarchies


def _now(now: datetime | None) -> datetime:
    return (now or timezone.now()).replace(microsecond=0)


@functools.lru_cache(maxsize=512)
def parsed_certificate(der: bytes) -> X509Certificate:
    """Our own stored certificates, parsed once per process (they never change)."""
    return X509Certificate(der)


def authority(ca: CertificateAuthority) -> X509Authority:
    """The CA ready to sign: its certificate and a handle on its key in the keystore."""
    return X509Authority(
        ca.ca_id, parsed_certificate(bytes(ca.certificate_der)), keystore(ca.key_backend).signer(ca.key_id)
    )


def issuing_ca_for(algorithm: Algorithm) -> CertificateAuthority:
    """The active issuing CA certifying keys of `algorithm`'s family; CaNotReady if there is none."""
    ca = (
        CertificateAuthority.objects.filter(role=Role.ISSUING, family=algorithm.family, active=True)
        .order_by("-not_after")
        .first()
    )
    if ca is None:
        raise CaNotReady(
            _("尚未建立 %(algorithm)s 算法的签发CA，请运营人员执行 inkseal ca init。") % {"algorithm": algorithm.label}
        )
    return ca


def chain_of(ca: CertificateAuthority) -> list[CertificateAuthority]:
    """`ca` and its ancestors up to the root."""
    chain = [ca]
    while chain[-1].parent_id is not None:
        parent = chain[-1].parent
        assert parent is not None
        chain.append(parent)
    return chain


# Bumped whenever this process changes CA rows, so that cached responders (responders.py) are
# rebuilt at once here; other processes notice within responders.RECHECK_SECONDS.
_generation = 0


def hierarchy_changed() -> None:
    global _generation
    _generation += 1


def generation() -> int:
    return _generation


def locked_counter(name: str) -> Counter:
    """The counter row, locked until the end of the caller's transaction."""
    try:
        with transaction.atomic():
            Counter.objects.get_or_create(name=name)
    except IntegrityError:  # created concurrently by another process
        pass
    return Counter.objects.select_for_update(no_key=True).get(name=name)
