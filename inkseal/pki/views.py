"""证书管理 pages. Every certificate is reached through `certificate_for(identity, id)` (404 outside
the current identity); changes go through the services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import identity_of
from inkseal.accounts.models import Duty
from inkseal.accounts.services import request_acting
from inkseal.accounts.stepup import require_step_up, step_up_context
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import client_ip
from inkseal.pki import sections
from inkseal.pki.forms import ChangePinForm, ExternalCertificateForm, RevokeConfirmForm, RevokeReasonForm, SetPinForm
from inkseal.pki.models import Certificate
from inkseal.pki.pin_unlock import active_locks, do_unlock_pin, send_unlock_code
from inkseal.pki.pins import change_pin, set_pin
from inkseal.pki.services import (
    certificate_for,
    certificate_pem,
    certificates_of,
    chain_pem,
    check_can_manage,
    renew_certificate,
    revoke_certificate,
)
from inkseal.pki.status import DISPLAY_ORDER, USABLE, CertificateStatus, certificate_status, holder_facts
from inkseal.pki.trust import register_external_certificate

MEDIA = (Certificate.Medium.UKEY, Certificate.Medium.CLOUD)
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


STATUS_BADGES = {
    CertificateStatus.VALID: "success",
    CertificateStatus.RENEWAL_DUE: "warning",
    CertificateStatus.CHANGE_PENDING: "info",
    CertificateStatus.REVOKED: "danger",
    CertificateStatus.EXPIRED: "secondary",
}


@dataclass(frozen=True)
class Row:
    """A certificate with its status as of one moment, for the list and detail pages; a signing
    certificate of a dual pair (双证书) carries its encryption certificate's row as `pair`."""

    certificate: Certificate
    status: CertificateStatus
    now: datetime
    pair: Row | None = None

    @property
    def usable(self) -> bool:
        return self.status in USABLE

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]

    @property
    def days_left(self) -> int:
        return max(0, (self.certificate.not_after - self.now).days)

    @property
    def renewal_due(self) -> bool:
        return self.status == CertificateStatus.RENEWAL_DUE


def _detail(certificate: Certificate) -> HttpResponse:
    return redirect(reverse("pki:detail", args=[certificate.pk]))


@portal_login_required
@require_GET
def certificate_list(request: HttpRequest) -> HttpResponse:
    identity = identity_of(request)
    medium = request.GET.get("medium", Certificate.Medium.CLOUD)
    if medium not in MEDIA:
        medium = Certificate.Medium.CLOUD
    query = request.GET.get("q", "").strip()[:64]
    certificates = certificates_of(identity).filter(medium=medium)
    if query:
        certificates = certificates.filter(
            Q(serial__icontains=query.lower()) | Q(common_name__icontains=query) | Q(ukey_serial__icontains=query)
        )
    now, facts = timezone.now(), holder_facts(identity.party)
    rows = _paired_rows(list(certificates), now, facts)
    usable = sorted((r for r in rows if r.usable), key=lambda r: (DISPLAY_ORDER[r.status], r.certificate.not_after))
    invalid = sorted(
        (r for r in rows if not r.usable),
        key=lambda r: r.certificate.revoked_at or r.certificate.not_after,
        reverse=True,
    )
    return render(
        request,
        "pki/certificate_list.html",
        {
            "nav": "certificates",
            "medium": medium,
            "media": [(m, Certificate.Medium(m).label) for m in MEDIA],
            "query": query,
            "usable": usable,
            "invalid": invalid,
        },
    )


def _paired_rows(certificates: list[Certificate], now: datetime, facts: dict[str, str]) -> list[Row]:
    """One row per certificate, except that an encryption certificate listed with its signing
    certificate rides on that row (`Row.pair`) instead of standing alone."""
    listed = {c.pk for c in certificates}
    encryption = {
        c.signing_certificate_id: Row(c, certificate_status(c, now=now, facts=facts), now)
        for c in certificates
        if c.is_encryption and c.signing_certificate_id in listed
    }
    return [
        Row(c, certificate_status(c, now=now, facts=facts), now, pair=encryption.get(c.pk))
        for c in certificates
        if not (c.is_encryption and c.signing_certificate_id in listed)
    ]


@portal_login_required
@require_GET
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    identity = identity_of(request)
    certificate = certificate_for(identity, pk)
    now = timezone.now()
    row = Row(certificate, certificate_status(certificate, now=now), now)
    pair = certificate.pair()
    # A dual pair is shown signing certificate first, whichever of the two was opened.
    pair_rows = [row, Row(pair, certificate_status(pair, now=now), now)] if pair is not None else []
    if pair_rows and certificate.is_encryption:
        pair_rows.reverse()
    signing = not certificate.is_encryption
    return render(
        request,
        "pki/certificate_detail.html",
        {
            "nav": "certificates",
            "certificate": certificate,
            "row": row,
            "pair_rows": pair_rows,
            "can_manage": identity.is_admin,
            "pin_locks": active_locks(certificate, now) if certificate.has_pin else [],
            "bound_seals": sections.bound_seals(certificate) if signing else [],
            "seal_actions": sections.seal_binding_actions(certificate)
            if signing and identity.holds(Duty.SEAL_ADMIN)
            else None,
            "authorisations": sections.authorisations(certificate) if signing else [],
            "add_authorisation_url": sections.add_authorisation_url(certificate) if row.usable and signing else None,
        },
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """吊销 in two steps: 操作提示 (reason, required), then 风险提示 (explicit confirmation)."""
    identity = identity_of(request)
    certificate = certificate_for(identity, pk)
    check_can_manage(identity, certificate)
    if certificate_status(certificate) not in USABLE or certificate.is_external:
        messages.warning(request, _("该证书不能吊销。"))
        return _detail(certificate)
    context: dict[str, Any] = {
        "nav": "certificates",
        "certificate": certificate,
        "pair": certificate.pair(),
        **step_up_context(request, certificate=certificate),
    }
    if request.method == "GET":
        return render(request, "pki/certificate_revoke.html", {**context, "step": 1, "form": RevokeReasonForm()})
    if request.POST.get("step") != "2":
        reason_form = RevokeReasonForm(request.POST)
        if not reason_form.is_valid():
            return render(
                request, "pki/certificate_revoke.html", {**context, "step": 1, "form": reason_form}, status=400
            )
        confirm_form = RevokeConfirmForm(initial={"reason": reason_form.cleaned_data["reason"]})
        return render(request, "pki/certificate_revoke.html", {**context, "step": 2, "form": confirm_form})
    form = RevokeConfirmForm(request.POST)
    if not form.is_valid():
        step = 1 if "reason" in form.errors else 2
        return render(request, "pki/certificate_revoke.html", {**context, "step": step, "form": form}, status=400)
    require_step_up(request, certificate=certificate)
    revoke_certificate(certificate, reason=form.cleaned_data["reason"], acting=request_acting(request))
    messages.success(request, _("证书已吊销。"))
    return _detail(certificate)


@portal_login_required
@require_POST
def certificate_renew(request: HttpRequest, pk: int) -> HttpResponse:
    identity = identity_of(request)
    certificate = certificate_for(identity, pk)
    check_can_manage(identity, certificate)
    if certificate.medium != Certificate.Medium.CLOUD:
        # A UKEY needs a new request made on the token: that goes through an application.
        return redirect(reverse("portal:applications"))
    if certificate.is_encryption and certificate.signing_certificate is not None:
        certificate = certificate.signing_certificate  # a pair renews through its signing half
    renewed = renew_certificate(certificate, years=1, acting=request_acting(request))
    messages.success(request, _("证书已续期，新证书序列号 %(serial)s。") % {"serial": renewed.serial})
    return _detail(renewed)


@portal_login_required
@require_http_methods(["GET", "POST"])
def certificate_pin(request: HttpRequest, pk: int) -> HttpResponse:
    """设置/修改云证书PIN码."""
    identity = identity_of(request)
    certificate = certificate_for(identity, pk)
    check_can_manage(identity, certificate)
    form_class = ChangePinForm if certificate.has_pin else SetPinForm
    form = form_class(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # SMS only: a PIN must not be the proof for replacing itself.
        require_step_up(request)
        try:
            if certificate.has_pin:
                change_pin(certificate, data["old_pin"], data["pin"], acting=request_acting(request))
            else:
                set_pin(certificate, data["pin"], acting=request_acting(request))
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("云证书 PIN 码已设置。"))
            return _detail(certificate)
    return render(
        request,
        "pki/certificate_pin.html",
        {"nav": "certificates", "certificate": certificate, "form": form, "error": error, **step_up_context(request)},
        status=400 if request.method == "POST" else 200,
    )


@portal_login_required
@require_POST
def certificate_pin_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """解锁云证书PIN码: an SMS code to the managing person's verified phone clears every lock."""
    identity = identity_of(request)
    certificate = certificate_for(identity, pk)
    check_can_manage(identity, certificate)
    person = request.person  # type: ignore[attr-defined]
    context: dict[str, Any] = {"nav": "certificates", "certificate": certificate, "error": "", "masked_phone": ""}
    if request.POST.get("step") == "code":
        try:
            do_unlock_pin(certificate, person, request.POST.get("code", "")[:16], acting=request_acting(request))
        except DomainError as exc:
            context["error"] = str(exc.message)
            return render(request, "pki/certificate_pin_unlock.html", context, status=400)
        messages.success(request, _("云证书 PIN 码已解锁。"))
        return _detail(certificate)
    context["masked_phone"] = send_unlock_code(certificate, person, ip=client_ip(request))
    return render(request, "pki/certificate_pin_unlock.html", context)


@portal_login_required
@require_GET
def certificate_download(request: HttpRequest, pk: int, encoding: str) -> HttpResponse:
    certificate = certificate_for(identity_of(request), pk)
    name = f"certificate-{certificate.serial}"
    if encoding == "der":
        response = HttpResponse(bytes(certificate.der), content_type="application/pkix-cert")
        filename = f"{name}.cer"
    elif encoding == "pem":
        response = HttpResponse(certificate_pem(certificate), content_type="application/x-pem-file")
        filename = f"{name}.pem"
    elif encoding == "chain":
        response = HttpResponse(chain_pem(certificate), content_type="application/x-pem-file")
        filename = f"{name}-chain.pem"
    else:
        raise NotFound(_("不支持的下载格式。"))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@portal_login_required
@require_http_methods(["GET", "POST"])
def certificate_register(request: HttpRequest) -> HttpResponse:
    """CA互信互认: register a UKEY certificate of a trusted other CA."""
    identity = identity_of(request)
    check_can_manage(identity)
    form = ExternalCertificateForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            certificate = register_external_certificate(
                identity.party,
                form.cleaned_data["certificate"],
                intermediates=_PEM_CERTIFICATE.findall(form.cleaned_data["intermediates"]),
                ukey_serial=form.cleaned_data["ukey_serial"],
                acting=request_acting(request),
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("证书已登记。"))
            return _detail(certificate)
    return render(
        request,
        "pki/certificate_register.html",
        {"nav": "certificates", "form": form, "error": error},
        status=400 if request.method == "POST" else 200,
    )
