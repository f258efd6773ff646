"""Back office pages beyond the model admins: the operator's own TOTP enrolment."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from inkseal.backoffice.security import TotpInvalid, confirm_enrolment, start_enrolment
from inkseal.core.http import client_ip


def totp_enrolment(request: HttpRequest) -> HttpResponse:
    """绑定动态验证码: scan the QR code with an authenticator app, then confirm with a code."""
    from inkseal.backoffice.site import backoffice

    error = ""
    if request.method == "POST":
        try:
            confirm_enrolment(request.user, request.POST.get("code", "")[:16], ip=client_ip(request))
        except TotpInvalid as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("动态验证码已绑定，今后登录管理后台需输入动态验证码。"))
            return redirect("backoffice:index")
    enrolment = start_enrolment(request.user)
    context = {
        **backoffice.each_context(request),
        "title": _("绑定动态验证码"),
        "enrolled": enrolment is None,
        "qr": segno.make(enrolment.uri, error="m").svg_inline(scale=4, title=enrolment.uri) if enrolment else "",
        "error": error,
    }
    response = render(request, "backoffice/totp.html", context, status=400 if error else 200)
    response["Cache-Control"] = "no-store"  # the page carries the secret while enrolling
    return response
