from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inkseal import __version__
from inkseal.accounts.decorators import portal_login_required
from inkseal.portal import dashboard


@portal_login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    identity = request.identity  # type: ignore[attr-defined]
    return render(
        request,
        "portal/home.html",
        {
            "counts": dashboard.counts(identity.party),
            "in_progress": dashboard.in_progress(identity.party),
            "nav": "home",
        },
    )


def section(template: str, nav: str):  # type: ignore[no-untyped-def]
    """A navigation page whose content the owning app provides (seals, certificates, orders, records)."""

    @portal_login_required
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, template, {"nav": nav})

    return view


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # health checks report, they do not raise
        database = "unavailable"
    status = "ok" if database == "ok" else "degraded"
    return JsonResponse(
        {"status": status, "database": database, "version": __version__, "sandbox": settings.SANDBOX},
        status=200 if status == "ok" else 503,
    )
