from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_safe

from inkseal import __version__
from inkseal.accounts.decorators import portal_login_required
from inkseal.portal import dashboard, manual_store
from inkseal.portal.errors import ManualUnavailable
from inkseal.portal.manual_markdown import ManualSourceError


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


@require_safe
def user_manual(request: HttpRequest) -> HttpResponseBase:
    """This platform's user manual as a PDF (证书使用工具下载), public like the API docs."""
    try:
        built = manual_store.build_manual()
    except (OSError, ManualSourceError) as exc:  # docs/ missing from the deployment, or unrenderable
        raise ManualUnavailable(detail=str(exc))
    etag = f'"{built.version}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = FileResponse(built.path.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{manual_store.ASCII_DOWNLOAD_NAME}"; '
        f"filename*=UTF-8''{quote(manual_store.DOWNLOAD_NAME)}"
    )
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=600"
    return response


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
