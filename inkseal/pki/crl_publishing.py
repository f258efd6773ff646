"""Publishing CRLs: the next CRL of a CA (after a revocation, on schedule, or when served and due).

Lock order as in `authorities`: certificate rows, then CA rows, then counters.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki.authorities import Role, _now, authority
from inkseal.pki.crl import RevocationReason, RevokedEntry, build_crl
from inkseal.pki.models import Certificate, CertificateAuthority


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
