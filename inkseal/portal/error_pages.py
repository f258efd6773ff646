"""Django's error handlers (handler400/403/404/500 in inkseal.urls): the portal's pages, JSON under /api/.

The 500 page is rendered without the request's context processors: they read the session and
the database, which may be what failed.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from inkseal.core.http import wants_json


def _json(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _json("bad_request", _("请求无效。"), 400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _json("forbidden", _("没有权限访问。"), 403)
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return _json("not_found", _("接口不存在。"), 404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return _json("server_error", _("服务器内部错误，请稍后重试。"), 500)
    html = loader.get_template("500.html").render({"sandbox": settings.SANDBOX})
    return HttpResponse(html, status=500)
