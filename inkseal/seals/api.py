"""Seal endpoints under /api/v1/seals/.

The live preview needs a logged-in portal session: rendering costs CPU (~60 ms a round seal),
only the 新增印章 page uses it, and an open endpoint would mint realistic seal images of any
name for anyone, unlogged. Parameters are capped (text lengths, 10–60 mm) and previews are
screen resolution, never print resolution.
"""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from inkseal.seals.errors import LoginRequired, SealParamsInvalid
from inkseal.seals.services import preview_seal_type, render_preview, seal_name

router = Router(tags=["seals"])

MAX_PARAM_LENGTH = 40


class Error(Schema):
    error: str
    message: str


def _param(value: str, label: str) -> str:
    if len(value) > MAX_PARAM_LENGTH:
        raise SealParamsInvalid(_("参数 %(name)s 过长。") % {"name": label})
    return value.strip()


def _size(value: str) -> float | None:
    if not value.strip():
        return None
    try:
        size = float(value)
    except ValueError:
        size = math.nan
    if not math.isfinite(size):
        raise SealParamsInvalid(_("印章尺寸须为数字（毫米）。"))
    return size


@router.get(
    "/preview",
    summary="Template seal preview (PNG)",
    description=(
        "Draws a template seal for the 新增印章 page. `kind`: official, contract, finance, legal_representative, "
        "name_square, name_strip (or 公章, 合同专用章, …). `name` defaults to what the current identity's seal "
        "of that kind would carry. Requires a portal session."
    ),
    response={400: Error, 401: Error},
    openapi_extra={"responses": {"200": {"description": "PNG image", "content": {"image/png": {}}}}},
)
def preview(
    request: HttpRequest,
    kind: str = "",
    name: str = "",
    lower_text: str = "",
    color: str = "red",
    size_mm: str = "",
    border: str = "single",
    texture: str = "",
) -> HttpResponse:
    identity = getattr(request, "identity", None)
    if identity is None:
        raise LoginRequired(_("请先登录。"))
    kind = _param(kind, "kind")
    seal_type = preview_seal_type(kind)
    if seal_type is None:
        raise SealParamsInvalid(_("未知的印章类型。"))
    text = _param(name, "name") or seal_name(identity, seal_type)
    png = render_preview(
        kind,
        text,
        lower_text=_param(lower_text, "lower_text") or None,
        color=_param(color, "color"),
        size_mm=_size(_param(size_mm, "size_mm")),
        border=_param(border, "border"),
        texture=texture.strip().lower() in ("1", "true", "on"),
    )
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
