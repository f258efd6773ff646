"""审核 (operators): approval issues (or renews) the certificate and binds the seals; rejection."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.core.acting import Acting
from inkseal.orders.errors import ApplicationInvalid
from inkseal.orders.models import Application, ApplicationSeal, Medium
from inkseal.orders.services._common import _audit, _locked, _notify
from inkseal.orders.states import APPLICATION, Action, State
from inkseal.pki import services as pki
from inkseal.pki.algorithms import get_algorithm
from inkseal.pki.models import Certificate
from inkseal.platforms.models import CertificateAuthorization
from inkseal.platforms.services import do_authorize_certificate
from inkseal.seals.services import do_bind_seal


def do_approve(application: Application, *, acting: Acting) -> Application:
    """审核通过 and 制证 in one transaction: the certificate is issued (or renewed), the chosen seals
    bound to it, and the application moves to 已完成 (cloud) or 待发货 (UKEY)."""
    with transaction.atomic():
        locked = _locked(application)
        target = State.COMPLETED if locked.medium == Medium.CLOUD else State.TO_SHIP
        APPLICATION.check(locked, target, via=Action.APPROVE)
        certificate = _issue_for(locked, acting)
        for chosen in ApplicationSeal.objects.filter(application=locked).select_related("seal").order_by("seal_id"):
            do_bind_seal(chosen.seal, certificate, acting=acting)
        if locked.renews is not None:
            _carry_authorizations(locked.renews, certificate, acting)
        locked.certificate = certificate
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = acting.actor.label
        APPLICATION.move(
            locked,
            target,
            via=Action.APPROVE,
            audit=lambda event: _audit(event, locked, acting, certificate=certificate.serial),
        )
        locked.save()
        _notify(locked, "application.approved")
    return locked


def _issue_for(application: Application, acting: Acting) -> Certificate:
    product = application.order.product
    csr = bytes(application.csr_der) if application.csr_der is not None else None
    if application.renews is not None:
        return pki.renew_certificate(
            application.renews,
            years=product.years,
            acting=acting,
            csr=csr,
            ukey_serial=application.ukey_serial or None,
        )
    if application.medium == Medium.UKEY:
        if csr is None:
            raise ApplicationInvalid(_("办理单缺少 UKEY 证书请求。"))
        return pki.issue_from_csr(
            application.party,
            csr,
            ukey_serial=application.ukey_serial,
            years=product.years,
            acting=acting,
        )
    return pki.issue_cloud_certificate(
        application.party,
        algorithm=get_algorithm(product.algorithm),
        years=product.years,
        acting=acting,
    )


def _carry_authorizations(old: Certificate, new: Certificate, acting: Acting) -> None:
    """Renewal keeps the old certificate's live authorisations (same platform, person, end date)."""
    now = timezone.now()
    live = CertificateAuthorization.objects.filter(certificate=old, revoked_at__isnull=True, valid_until__gt=now)
    for grant in live.select_related("platform").order_by("pk"):
        do_authorize_certificate(
            new,
            grant.platform,
            grantee_name=grant.grantee_name,
            grantee_phone=grant.grantee_phone,
            valid_from=now,
            valid_until=grant.valid_until,
            acting=acting,
            # the authorised person proved the phone for the old certificate; a pending one stays pending
            confirmed_by="renewal" if grant.confirmed_at is not None else "",
        )


def check_reject_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 255:
        raise ApplicationInvalid(_("请填写驳回原因（不超过 255 个字）。"))
    return reason


def do_reject(application: Application, reason: str, *, acting: Acting) -> Application:
    reason = check_reject_reason(reason)
    with transaction.atomic():
        locked = _locked(application)
        APPLICATION.move(
            locked,
            State.REJECTED,
            via=Action.REJECT,
            audit=lambda event: _audit(event, locked, acting, reason=reason),
        )
        locked.reject_reason = reason
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = acting.actor.label
        locked.save()
        _notify(locked, "application.rejected", reason=reason)
    return locked
