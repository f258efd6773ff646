from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from examples.procurement_portal import demo


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal_demo/home.html", {"sso_method": settings.SSO_METHOD})


def jump_ticket(request: HttpRequest, entry: str) -> str:
    """A one-time ES256 ticket: who the user is, for Inkseal only, valid two minutes."""
    sso = demo.sso()
    bidder = request.user.bidder  # type: ignore[union-attr]
    now = int(time.time())
    claims = {
        "iss": sso["ticket_issuer"],
        "aud": sso["ticket_audience"],
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
        "sub": request.user.username,  # stable: Inkseal links this subject to the person
        "name": bidder.name,
        "phone": bidder.phone,
        "entry": entry,
    }
    if bidder.id_number:
        claims["id_number"] = bidder.id_number
    return jwt.encode(claims, demo.ticket_key(), algorithm="ES256")


@login_required
@require_GET
def esign(request: HttpRequest) -> HttpResponse:
    """电子签章: send the user to Inkseal, already signed in."""
    sso = demo.sso()
    entry = "enterprise" if request.GET.get("entry") == "enterprise" else "personal"
    method = request.GET.get("method", settings.SSO_METHOD)
    if method == "oidc":
        return HttpResponseRedirect(f"{sso['oidc_start_url']}?{urlencode({'entry': entry})}")
    query = urlencode({"platform": sso["code"], "ticket": jump_ticket(request, entry)})
    return HttpResponseRedirect(f"{sso['jump_url']}?{query}")


login = auth_views.LoginView.as_view(template_name="portal_demo/login.html")
logout = auth_views.LogoutView.as_view(next_page="/")
