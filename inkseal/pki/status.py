"""A certificate's status (有效/待续期/待变更/已吊销/已过期), derived at read time from the row,
the clock and the holder's current data, so it can never drift from the facts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import Party
from inkseal.pki.models import Certificate


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    RENEWAL_DUE = "renewal_due", _("待续期")
    CHANGE_PENDING = "change_pending", _("待变更")
    SUPERSEDED = "superseded", _("已续期替代")
    REVOKED = "revoked", _("已吊销")
    EXPIRED = "expired", _("已过期")


USABLE = frozenset({CertificateStatus.VALID, CertificateStatus.RENEWAL_DUE, CertificateStatus.CHANGE_PENDING})
# List order: valid certificates first (有效证书优先展示).
DISPLAY_ORDER = {status: index for index, status in enumerate(CertificateStatus)}


def renewal_window() -> timedelta:
    return timedelta(days=settings.PKI_RENEWAL_WINDOW_DAYS)


def holder_facts(party: Party) -> dict[str, str]:
    """What a certificate subject was built from: name and ID (blind index) or name and USCC."""
    enterprise = getattr(party, "enterprise", None) if party.kind == Party.Kind.ENTERPRISE else None
    if enterprise is not None:
        return {"name": enterprise.name, "uscc": enterprise.uscc}
    person = party.person
    return {"name": person.name, "id": person.id_number_index}


def certificate_status(
    certificate: Certificate, *, now: datetime | None = None, facts: dict[str, str] | None = None
) -> CertificateStatus:
    """Revoked and expired win; then 待变更 (the subject no longer matches the holder); then 待续期
    inside the renewal window before expiry. `facts` defaults to the holder's current data."""
    now = now or timezone.now()
    if certificate.revoked_at is not None and certificate.revoked_at <= now:
        return CertificateStatus.REVOKED
    if now > certificate.not_after:
        return CertificateStatus.EXPIRED
    if is_superseded(certificate, now):
        return CertificateStatus.SUPERSEDED
    if facts is None:
        facts = holder_facts(certificate.holder)
    if certificate.holder_snapshot and certificate.holder_snapshot != facts:
        return CertificateStatus.CHANGE_PENDING
    if certificate.not_after - now <= renewal_window():
        return CertificateStatus.RENEWAL_DUE
    return CertificateStatus.VALID


def is_superseded(certificate: Certificate, now: datetime) -> bool:
    """Renewed, and the new certificate's validity has begun: the old one is superseded (not
    revoked: it stays off the CRL, and signatures made with it before stay valid)."""
    try:
        renewal = certificate.renewed_by
    except Certificate.DoesNotExist:
        return False
    return renewal.not_before <= now


def usable_q(now: datetime | None = None) -> Q:
    """Certificates that are neither revoked, expired nor superseded (有效, 待续期 or 待变更)."""
    now = now or timezone.now()
    return Q(revoked_at__isnull=True, not_after__gte=now) & ~Q(renewed_by__not_before__lte=now)


def count_usable(party: Party, medium: str) -> int:
    """Usable certificates for the home page; a dual pair (双证书) counts once, by its signing half."""
    usable = Certificate.objects.filter(usable_q(), holder=party, medium=medium)
    return usable.filter(usage=Certificate.Usage.SIGNING).count()
