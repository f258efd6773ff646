"""The JSON API (django-ninja): OpenAPI at /api/openapi.json, docs at /api/docs.

Each app contributes a router; domain errors map to 4xx JSON bodies {"error", "message"}.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Schema
from ninja.openapi.docs import Swagger, _csrf_needed

from inkseal import __version__
from inkseal.core.errors import DomainError
from inkseal.core.http import error_response
from inkseal.evidence.api import reports_router
from inkseal.evidence.api import router as log_router
from inkseal.orders.api import router as orders_router
from inkseal.platforms.api import oauth_router
from inkseal.seals.api import router as seals_router
from inkseal.signing.flows.api import describe_flow_spec, flow_confirm_router, flows_router
from inkseal.signing.tasks.api import confirm_router, describe_spec, tasks_router
from inkseal.signing.verification.api import router as verification_router


class InksealAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        describe_spec(schema)
        describe_flow_spec(schema)
        return schema


class OfflineSwagger(Swagger):
    """Swagger UI from our static files. ninja picks its CDN page unless "ninja" is an installed
    app; it is not one (settings.NINJA_DIR: importing it at start costs every process), so the
    page is rendered here from ninja's own template."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings, indent=1), "api": api, "add_csrf": _csrf_needed(api)}
        return render(request, self.template, context)


api = InksealAPI(
    title="Inkseal API",
    version=__version__,
    description="电子签章平台开放接口 — signing, certificates and seals for trading platforms.",
    urls_namespace="api",
    docs=OfflineSwagger(),
)
api.add_router("/v1/seals", seals_router)
api.add_router("/v1", orders_router)
api.add_router("/v1/oauth", oauth_router)
api.add_router("/v1/sign-tasks", tasks_router)
api.add_router("/v1/sign-tasks", reports_router)  # GET /{task_id}/evidence-report
api.add_router("/v1/confirm", confirm_router)
api.add_router("/v1/sign-flows", flows_router)
api.add_router("/v1/flow-confirm", flow_confirm_router)
api.add_router("/v1/verify", verification_router)
api.add_router("/v1/log", log_router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc)  # the same mapping as the pages' (core.http)


class Health(Schema):
    status: str
    version: str


@api.get("/health", response=Health, tags=["system"], summary="Service health")
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok", "version": __version__}
