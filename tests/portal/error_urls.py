"""The project's URLs plus views that fail, to see the error pages users would meet (tests only)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from inkseal.urls import *  # noqa: F403 - the real urlpatterns and handler404/403/400/500
from inkseal.urls import urlpatterns as project_urlpatterns


def broken(request):
    raise RuntimeError("boom: the database is on fire")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("bad request")


urlpatterns = [
    path("__test__/broken", broken),
    path("__test__/forbidden", forbidden),
    path("__test__/suspicious", suspicious),
    path("api/__test__/broken", broken),
    *project_urlpatterns,
]
