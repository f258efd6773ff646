"""Creating the CA hierarchy in the database and keeping it complete: `ensure_hierarchy` makes
whatever is missing (roots, issuing CAs, TSAs), renews the delegated OCSP responder certificates
that are due and publishes first CRLs; `active_tsa` makes a family's TSA on first use when an
installation predates it. Lock order as in `authorities`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki import hierarchy
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048, Algorithm
from inkseal.pki.authorities import (
    TSA_ALGORITHM,
    TSA_ALGORITHMS,
    Role,
    _now,
    authority,
    ca_algorithms,
    hierarchy_changed,
    locked_counter,
    policy_oids,
    public_urls,
)
from inkseal.pki.crl_publishing import _publish_crl
from inkseal.pki.errors import CaNotReady
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import CertificateAuthority
from inkseal.pki.names import ca_subject
from inkseal.pki.profiles import ISSUING_CA, validity_for_years
from inkseal.pki.x509 import Certificate as X509Certificate
from inkseal.pki.x509 import create_root_certificate, issue_certificate

# The responder key of an RSA CA is RSA-2048: short-lived, and OCSP throughput is its signing speed.
OCSP_KEY_ALGORITHMS: dict[str, Algorithm] = {"rsa": RSA_2048, "ecdsa": ECDSA_P256}
OCSP_RENEW_BEFORE = timedelta(days=30)


def active_tsa(family: str) -> CertificateAuthority | None:
    """The active TSA of `family` (its issuing CA loaded too). An installation made before that
    TSA existed gets it now, as `inkseal ca init` would make it; None when its hierarchy is off or
    the operator retired it (an inactive TSA is not replaced behind their back)."""
    found = _active_tsa(family)
    if found is None and _tsa_never_made(family):
        ensure_hierarchy()
        found = _active_tsa(family)
    return found


def _tsa_never_made(family: str) -> bool:
    configured = {TSA_ALGORITHMS.get(root.family, TSA_ALGORITHM).family for root, _issuing in ca_algorithms()}
    return (
        family in configured
        and _active(Role.ISSUING, family) is not None
        and not CertificateAuthority.objects.filter(role=Role.TSA, family=family).exists()
    )


def _active_tsa(family: str) -> CertificateAuthority | None:
    rows = CertificateAuthority.objects.filter(role=Role.TSA, family=family, active=True).select_related("parent")
    return rows.order_by("-not_after").first()


def ensure_hierarchy(*, acting: Acting | None = None, now: datetime | None = None) -> list[str]:
    """Create whatever of the hierarchy is missing, renew OCSP responder certificates that are due
    and publish first CRLs; returns the ids of what changed. Idempotent and safe to run from
    several processes (they queue on a lock row)."""
    now = _now(now)
    organization = settings.PKI_ORGANIZATION
    with transaction.atomic():
        locked_counter("hierarchy")
        changed: list[str] = []
        for root_algorithm, issuing_algorithms in ca_algorithms():
            root = _active(Role.ROOT, root_algorithm.family) or _create_root(root_algorithm, organization, now, changed)
            for algorithm in issuing_algorithms:
                ca = _active(Role.ISSUING, algorithm.family) or _create_issuing(
                    root, algorithm, organization, now, changed
                )
                if ca.ocsp_not_after is None or ca.ocsp_not_after - now < OCSP_RENEW_BEFORE:
                    _renew_ocsp_signer(ca, organization, now)
                    changed.append(f"{ca.ca_id}:ocsp")
            tsa_algorithm = TSA_ALGORITHMS.get(root_algorithm.family, TSA_ALGORITHM)
            if _active(Role.TSA, tsa_algorithm.family) is None:
                _create_tsa(_active(Role.ISSUING, tsa_algorithm.family), tsa_algorithm, organization, now, changed)
        for ca in CertificateAuthority.objects.filter(role__in=[Role.ROOT, Role.ISSUING], active=True, crl_der=None):
            _publish_crl(ca, now)
        if changed:
            hierarchy_changed()
            record(
                events.PKI_HIERARCHY,
                **(acting or Acting.system()).audit(),
                target="pki",
                data={"changed": changed, "organization": organization},
            )
    return changed


def _active(role: str, family: str) -> CertificateAuthority | None:
    return CertificateAuthority.objects.filter(role=role, family=family, active=True).order_by("-not_after").first()


def _save(
    ca_id: str,
    role: str,
    certificate: X509Certificate,
    key_id: str,
    organization: str,
    parent: CertificateAuthority | None,
) -> CertificateAuthority:
    algorithm = certificate.public_key.algorithm
    return CertificateAuthority.objects.create(
        ca_id=ca_id,
        role=role,
        name=certificate.subject.native["common_name"],
        organization=organization,
        algorithm=algorithm.name,
        family=algorithm.family,
        parent=parent,
        certificate_der=certificate.der,
        serial=format(certificate.serial, "x"),
        fingerprint=certificate.sha256_fingerprint,
        not_before=certificate.not_before,
        not_after=certificate.not_after,
        key_backend=keystore().backend,
        key_id=key_id,
    )


def _free_ca_id(base: str) -> str:
    """root-rsa, then root-rsa-2, ... when an earlier CA of that family was retired."""
    ca_id, n = base, 1
    while CertificateAuthority.objects.filter(ca_id=ca_id).exists():
        n += 1
        ca_id = f"{base}-{n}"
    return ca_id


def _create_root(algorithm: Algorithm, organization: str, now: datetime, changed: list[str]) -> CertificateAuthority:
    store = keystore()
    ca_id = _free_ca_id(f"root-{algorithm.family}")
    key_id = store.generate_key(algorithm, f"ca:{ca_id}")
    certificate = create_root_certificate(
        store.signer(key_id),
        subject=ca_subject(f"{organization} Root CA ({algorithm.label})", organization),
        validity=validity_for_years(hierarchy.ROOT_YEARS, now),
    )
    changed.append(ca_id)
    return _save(ca_id, Role.ROOT, certificate, key_id, organization, None)


def _create_issuing(
    root: CertificateAuthority, algorithm: Algorithm, organization: str, now: datetime, changed: list[str]
) -> CertificateAuthority:
    store = keystore()
    ca_id = _free_ca_id(f"issuing-{algorithm.family}")
    key_id = store.generate_key(algorithm, f"ca:{ca_id}")
    certificate = issue_certificate(
        authority(root),
        subject=ca_subject(f"{organization} {algorithm.label} Issuing CA", organization),
        public_key=store.public_key(key_id),
        profile=ISSUING_CA,
        validity=validity_for_years(hierarchy.ISSUING_YEARS, now),
        urls=public_urls(),
    )
    changed.append(ca_id)
    return _save(ca_id, Role.ISSUING, certificate, key_id, organization, root)


def _create_tsa(
    issuing: CertificateAuthority | None,
    algorithm: Algorithm,
    organization: str,
    now: datetime,
    changed: list[str],
) -> CertificateAuthority:
    if issuing is None:
        raise CaNotReady(_("时间戳服务需要 %(algorithm)s 签发CA。") % {"algorithm": algorithm.label})
    name = "Time Stamping Authority" if algorithm is TSA_ALGORITHM else f"{algorithm.label} Time Stamping Authority"
    keyed = hierarchy.create_tsa(
        authority(issuing),
        keystore(),
        algorithm,
        common_name=f"{organization} {name}",
        organization=organization,
        urls=public_urls(),
        now=now,
        policies=policy_oids(),
    )
    ca_id = _free_ca_id(f"tsa-{algorithm.family}")
    changed.append(ca_id)
    return _save(ca_id, Role.TSA, keyed.certificate, keyed.key_id, organization, issuing)


def _renew_ocsp_signer(ca: CertificateAuthority, organization: str, now: datetime) -> None:
    store = keystore()
    keyed = hierarchy.create_ocsp_signer(
        authority(ca),
        store,
        organization=organization,
        urls=public_urls(),
        now=now,
        algorithm=OCSP_KEY_ALGORITHMS.get(ca.family),
        policies=policy_oids(),
    )
    old_backend, old_key = ca.ocsp_key_backend, ca.ocsp_key_id
    ca.ocsp_certificate_der = keyed.certificate.der
    ca.ocsp_key_backend = store.backend
    ca.ocsp_key_id = keyed.key_id
    ca.ocsp_not_after = keyed.certificate.not_after
    ca.save(update_fields=["ocsp_certificate_der", "ocsp_key_backend", "ocsp_key_id", "ocsp_not_after"])
    if old_key:
        transaction.on_commit(lambda: _destroy_quietly(old_backend, old_key))


def _destroy_quietly(backend: str, key_id: str) -> None:
    try:
        keystore(backend).destroy_key(key_id)
    except Exception:  # noqa: S110 - a retired responder key left behind is harmless
        pass


def ocsp_signers_due(now: datetime | None = None) -> bool:
    now = _now(now)
    return CertificateAuthority.objects.filter(
        role=Role.ISSUING, active=True, ocsp_not_after__lt=now + OCSP_RENEW_BEFORE
    ).exists()
