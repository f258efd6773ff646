"""吊销: the reasons offered, the revocation instant, revoking a certificate (and its pair) with
the CRL republished in the same transaction, and the check a signing makes under its row lock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.evidence import events as leaves
from inkseal.evidence.services import log_event
from inkseal.pki.crl import SUBSCRIBER_REASONS, RevocationReason
from inkseal.pki.crl_publishing import publish_crl_locked
from inkseal.pki.errors import (
    CertificateAlreadyRevoked,
    CertificateExpired,
    CertificateRevoked,
    ExternalCertificate,
    RevocationReasonInvalid,
)
from inkseal.pki.models import REASON_LABELS, Certificate, CertificateAuthority
from inkseal.pki.responders import replace_ocsp_answer
from inkseal.pki.services._common import _audit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def reason_choices() -> list[tuple[int, StrOrPromise]]:
    """The revocation reasons a holder or operator may choose (SUBSCRIBER_REASONS), for forms."""
    return [(int(reason), REASON_LABELS[reason]) for reason in SUBSCRIBER_REASONS]


def check_revocation_reason(reason: Any) -> RevocationReason:
    try:
        value = RevocationReason(int(reason))
    except (TypeError, ValueError):
        value = None
    if value not in SUBSCRIBER_REASONS:
        raise RevocationReasonInvalid(_("请选择吊销原因。"))
    return value


def revocation_instant(now: datetime | None = None) -> datetime:
    """The revocation time (`revoked_at`), at full precision, read from the clock while the
    certificate row is locked: every signature committed before the revocation got its time stamp
    before this reading, so each of them is strictly earlier than the instant our verifier and
    OCSP (GeneralizedTime with its fraction) report, and than the CRL's whole second (rounded up,
    inkseal.pki.crl). An explicit `now` (tests) is taken as given."""
    return now or timezone.now()


def check_unrevoked(locked: Certificate) -> None:
    """For the signing transaction, under lock_for_signing's row lock: a revocation that has
    committed refuses the signature whatever its instant (another server's clock may run behind
    or ahead), so no success is ever recorded after a revocation."""
    if locked.revoked_at is not None:
        raise CertificateRevoked(_("证书已吊销，不能签章。"))


def _revoke_locked(certificate: Certificate, reason: RevocationReason, now: datetime) -> None:
    certificate.revoked_at = now
    certificate.revocation_reason = int(reason)
    certificate.save(update_fields=["revoked_at", "revocation_reason"])


def _lock_with_pair(certificate: Certificate) -> list[Certificate]:
    """The certificate's row and its pair's (signing ↔ encryption), locked in primary-key order.
    The link itself is written once, at issuance, so it may be read before locking."""
    pair = Certificate.objects.get(pk=certificate.pk).pair()
    pks = [certificate.pk] if pair is None else [certificate.pk, pair.pk]
    return list(Certificate.objects.select_for_update(no_key=True).filter(pk__in=pks).order_by("pk"))


def revoke_certificate(
    certificate: Certificate,
    *,
    reason: Any,
    acting: Acting,
    now: datetime | None = None,
) -> Certificate:
    """吊销: from this instant the certificate cannot sign, OCSP answers revoked (its pre-signed
    answer replaced in this transaction), and the issuing
    CA's CRL is republished in the same transaction. Either certificate of a dual pair revokes
    both, with the same reason and an audit entry each."""
    reason = check_revocation_reason(reason)
    with transaction.atomic():
        rows = _lock_with_pair(certificate)
        now = revocation_instant(now)  # under the lock: after every signature committed before it
        locked = next(row for row in rows if row.pk == certificate.pk)
        if locked.is_external:
            raise ExternalCertificate(_("其他CA签发的证书请向其签发机构申请吊销。"))
        if locked.revoked_at is not None:
            raise CertificateAlreadyRevoked(_("该证书已吊销。"))
        if locked.not_after < now:
            raise CertificateExpired(_("证书已过期，无需吊销。"))
        for row in rows:
            if row.revoked_at is not None:
                continue
            _revoke_locked(row, reason, now)
            replace_ocsp_answer(row)  # the pre-signed OCSP answer says revoked once this commits
            log_event(*leaves.certificate(events.CERTIFICATE_REVOKE, row))  # transparency log
            pair = {"pair": other.serial} if (other := row.pair()) is not None else {}
            _audit(events.CERTIFICATE_REVOKE, row, acting, reason=reason.name.lower(), revoked_at=now, **pair)
        issuers = {row.issuer_id for row in rows if row.issuer_id is not None}
        for issuer in CertificateAuthority.objects.filter(pk__in=issuers).order_by("pk"):
            publish_crl_locked(issuer, now)
    return locked
