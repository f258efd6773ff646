"""POST /api/v1/verify: 验签 of an uploaded PDF or OFD, for anyone (no authentication), rate-limited per IP.

The body is refused from its Content-Length before it is read when it is over the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, UploadedFile
from ninja.decorators import decorate_view

from inkseal.core.errors import DomainError, FileMissing
from inkseal.core.http import client_ip, error_json
from inkseal.seals.ses_verify_services import check_ses_body_size, check_ses_upload_sizes, verify_ses
from inkseal.signing.verification.services import (
    check_body_size,
    check_rate,
    check_upload_size,
    verify_document,
)

router = Router(tags=["verification"])


class Error(Schema):
    error: str
    message: str


def refuse_early(
    check_size: Callable[[str | None], None],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Rate limit and size cap (`check_size` of the Content-Length) before Django parses (and
    spools to disk) the multipart body."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                check_rate(client_ip(request))
                check_size(request.META.get("CONTENT_LENGTH"))
            except DomainError as exc:
                return error_json(exc)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@router.post(
    "",
    auth=None,
    summary="Verify a signed PDF or OFD (验签)",
    description=(
        "Upload a PDF in the multipart field `file` (and `password` when it is encrypted). The answer lists "
        "every signature: signer, certificate serial and CA, signing time and time-stamp time, the seal "
        "image as a data URL, integrity (`intact`, and `changes` made after signing), chain trust against "
        "this platform's CAs and the trusted roots of other CAs, revocation status, "
        "`signature_format` (PAdES, or GM/T 0010 (SM2) detached for SM2 signatures, "
        "which are not PAdES) with its `level` (B-B to B-LTA; `pades_level` only for PAdES); "
        "`all_valid` is true when there is at least one signature and all are valid. Bad files get 4xx "
        "with `error` (pdf_not_pdf, pdf_malformed, pdf_truncated, pdf_encrypted, pdf_too_large, "
        "pdf_too_complex: past the parsing budget of CPU time, memory or wall clock; file_missing, "
        "verify_rate_limited) and a translated `message`; 503 pdf_parser_busy with `Retry-After` when "
        "every PDF parser of the serving process is busy. An OFD file (GB/T 33190, told by its content) gets "
        '`format: "ofd"` and one item per signature of its Signatures.xml: `status` (valid, cosigned: '
        "intact and only co-signed after, modified with `changed` files, invalid with `code`, unsupported, "
        "malformed), `trusted` (chains to our CAs or the trusted CAs), `signer`, `certificate`, `ca`, `seal` "
        "(name, maker, validity) in `ses`, `signing_time`, `timestamp_time`, `signature_format` (SES version: "
        "GM/T 0031 v1-3, GB/T 38540 v4/v5, or GB/T 35275 SignedData) and `steps`; bad packages get 4xx "
        "`ofd_*` codes (ofd_not_ofd, ofd_malformed, ofd_truncated, ofd_unsafe_path, ofd_duplicate_entry, "
        "ofd_encrypted, ofd_zip_bomb)."
    ),
    response={200: dict[str, Any], 400: Error, 413: Error, 422: Error, 429: Error, 503: Error},
)
@decorate_view(refuse_early(check_body_size))
def verify(request: HttpRequest, file: File[UploadedFile | None] = None, password: Form[str] = "") -> dict[str, Any]:
    if file is None:
        raise FileMissing(_("请上传要验签的 PDF 文件（字段 file）。"))
    check_upload_size(file.size)
    return verify_document(file, password=password or None, ip=client_ip(request)).as_dict()


@router.post(
    "/ses",
    auth=None,
    summary="Verify a GB/T 38540 electronic signature (电子签章验证)",
    description=(
        "Upload an SES_Signature (GB/T 38540-2020 or GM/T 0031-2014; DER, Base64 or PEM) in the multipart "
        "field `signature` and the document it signs in `document`. The checks run in the standard's order "
        "and each is reported in `steps` (`step`, `status` passed/failed/skipped, `code`, `label`, `message`): "
        "signature, signer_in_seal, seal_signature, maker_certificate, seal_validity, signer_certificate, "
        "data_hash, timestamp. `valid` is true when none failed; `failure` is the first that did. Bad uploads "
        "get 4xx with `error` (file_missing, ses_malformed, ses_too_large, verify_rate_limited)."
    ),
    response={200: dict[str, Any], 400: Error, 413: Error, 429: Error},
)
@decorate_view(refuse_early(check_ses_body_size))
def verify_ses_signature(
    request: HttpRequest,
    signature: File[UploadedFile | None] = None,
    document: File[UploadedFile | None] = None,
) -> dict[str, Any]:
    if signature is None or document is None:
        raise FileMissing(_("请上传电子签章数据（字段 signature）和签章原文（字段 document）。"))
    check_ses_upload_sizes(signature.size, document.size)
    return verify_ses(signature.read(), document.read()).as_dict()
