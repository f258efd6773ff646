"""The platform's CAs in the database: creating the hierarchy, loading a CA with its signing key,
publishing CRLs and keeping the delegated OCSP responder certificates fresh.

Hierarchy (ids as in `hierarchy.bootstrap_hierarchy`): root-rsa (offline-style root) -> issuing-rsa
and issuing-ecdsa, each with a delegated OCSP responder; tsa-ecdsa, certified by issuing-ecdsa,
time-stamps RSA and ECDSA signatures. SM2 (国密) has a hierarchy of its own: root-sm2 ->
issuing-sm2 (with its SM2 OCSP responder) -> tsa-sm2, which time-stamps every SM2 signature and
SES_Signature, so that a relying party trusting root-sm2 alone validates them (`TSA_ALGORITHMS`).

Lock order everywhere: certificate rows, then CA rows (by primary key), then counters.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki import hierarchy
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048, SM2, Algorithm, get_algorithm
from inkseal.pki.crl import RevocationReason, RevokedEntry, build_crl
from inkseal.pki.errors import CaNotReady
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate, CertificateAuthority, Counter
from inkseal.pki.names import ca_subject
from inkseal.pki.oids import PolicyOids
from inkseal.pki.profiles import ISSUING_CA, validity_for_years
from inkseal.pki.x509 import Certificate as X509Certificate
from inkseal.pki.x509 import CertificateAuthority as X509Authority
from inkseal.pki.x509 import PublicUrls, create_root_certificate, issue_certificate

Role = CertificateAuthority.Role

# The responder key of an RSA CA is RSA-2048: short-lived, and OCSP throughput is its signing speed.
OCSP_KEY_ALGORITHMS: dict[str, Algorithm] = {"rsa": RSA_2048, "ecdsa": ECDSA_P256}
OCSP_RENEW_BEFORE = timedelta(days=30)
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


# --- the hierarchy ---------------------------------------------------------------------------


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


# --- CRLs ------------------------------------------------------------------------------------


def crl_is_stale(ca: CertificateAuthority, now: datetime | None = None) -> bool:
    """No CRL yet, or half its validity has passed: time to publish the next one."""
    if ca.crl_der is None or ca.crl_this_update is None or ca.crl_next_update is None:
        return True
    return _now(now) >= ca.crl_this_update + (ca.crl_next_update - ca.crl_this_update) / 2


def revoked_entries(ca: CertificateAuthority, now: datetime) -> Iterable[RevokedEntry]:
    """Revoked certificates of `ca` that have not expired yet (expired ones leave the CRL)."""
    rows = (
        Certificate.objects.filter(issuer=ca, revoked_at__isnull=False, not_after__gte=now)
        .order_by("revoked_at", "pk")
        .values_list("serial", "revoked_at", "revocation_reason")
    )
    for serial, revoked_at, reason in rows.iterator(chunk_size=5000):
        assert revoked_at is not None
        yield RevokedEntry(int(serial, 16), revoked_at, RevocationReason(reason or 0))


def _publish_crl(ca: CertificateAuthority, now: datetime) -> None:
    """Sign the next CRL of `ca` (a row the caller has locked or just created)."""
    ca.crl_number += 1
    next_update = now + timedelta(hours=settings.PKI_CRL_HOURS)
    ca.crl_der = build_crl(
        authority(ca), revoked_entries(ca, now), crl_number=ca.crl_number, this_update=now, next_update=next_update
    )
    ca.crl_this_update, ca.crl_next_update = now, next_update
    ca.save(update_fields=["crl_number", "crl_der", "crl_this_update", "crl_next_update"])


def publish_crl_locked(ca: CertificateAuthority, now: datetime) -> None:
    """For services that revoke: lock the CA row (after the certificate row) and publish."""
    _publish_crl(CertificateAuthority.objects.select_for_update(no_key=True).get(pk=ca.pk), now)


def issue_crl(
    ca: CertificateAuthority,
    *,
    acting: Acting | None = None,
    now: datetime | None = None,
    only_if_stale: bool = False,
) -> CertificateAuthority:
    """Publish the next CRL of `ca` now (or, with only_if_stale, only when it is due)."""
    now = _now(now)
    with transaction.atomic():
        locked = CertificateAuthority.objects.select_for_update(no_key=True).get(pk=ca.pk)
        if only_if_stale and not crl_is_stale(locked, now):
            return locked
        _publish_crl(locked, now)
        record(
            events.PKI_CRL_ISSUED,
            **(acting or Acting.system()).audit(),
            target=f"ca:{locked.ca_id}",
            data={"crl_number": locked.crl_number, "next_update": locked.crl_next_update},
        )
    return locked


def refresh_crls(*, force: bool = False, acting: Acting | None = None, now: datetime | None = None) -> list[str]:
    """The scheduled job (`inkseal ca issue-crl`): publish every CRL that is due (all with force)."""
    done = []
    for ca in CertificateAuthority.objects.filter(role__in=[Role.ROOT, Role.ISSUING], active=True):
        if force or crl_is_stale(ca, now):
            issue_crl(ca, acting=acting, now=now, only_if_stale=not force)
            done.append(ca.ca_id)
    return done


def published_crl(ca_id: str) -> bytes | None:
    """The CRL to serve for `ca_id`, refreshed first if due (so a missed schedule never leaves
    relying parties with an expired CRL); None for an unknown CA."""
    ca = CertificateAuthority.objects.filter(ca_id=ca_id, role__in=[Role.ROOT, Role.ISSUING]).first()
    if ca is None:
        return None
    if ca.active and crl_is_stale(ca):
        ca = issue_crl(ca, only_if_stale=True)
    return bytes(ca.crl_der) if ca.crl_der is not None else None
