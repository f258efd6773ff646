"""POST /api/v1/verify: 验签 of an uploaded PDF, for anyone (no authentication), rate-limited per IP.

The body is refused from its Content-Length before it is read when it is over the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, UploadedFile
from ninja.decorators import decorate_view

from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip
from inkseal.signing.verification import FileMissing, check_body_size, check_rate, check_upload_size, verify_document

router = Router(tags=["verification"])


class Error(Schema):
    error: str
    message: str


def refuse_early(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Rate limit and size cap before Django parses (and spools to disk) the multipart body."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            check_rate(client_ip(request))
            check_body_size(request.META.get("CONTENT_LENGTH"))
        except DomainError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        return view(request, *args, **kwargs)

    return wrapper


@router.post(
    "",
    auth=None,
    summary="Verify a signed PDF (验签)",
    description=(
        "Upload a PDF in the multipart field `file` (and `password` when it is encrypted). The answer lists "
        "every signature: signer, certificate serial and CA, signing time and time-stamp time, the seal "
        "image as a data URL, integrity (`intact`, and `changes` made after signing), chain trust against "
        "this platform's CAs and the trusted roots of other CAs, revocation status and PAdES level; "
        "`all_valid` is true when there is at least one signature and all are valid. Bad files get 4xx "
        "with `error` (pdf_not_pdf, pdf_malformed, pdf_truncated, pdf_encrypted, pdf_too_large, "
        "file_missing, verify_rate_limited) and a translated `message`."
    ),
    response={200: dict[str, Any], 400: Error, 413: Error, 429: Error},
)
@decorate_view(refuse_early)
def verify(request: HttpRequest, file: File[UploadedFile | None] = None, password: Form[str] = "") -> dict[str, Any]:
    if file is None:
        raise FileMissing(_("请上传要验签的 PDF 文件（字段 file）。"))
    check_upload_size(file.size)
    return verify_document(file, password=password or None).as_dict()
