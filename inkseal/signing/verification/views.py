"""The public 验签 page (/verify/): upload a PDF or OFD, see the report. No login."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from inkseal.core.errors import DomainError, FileMissing
from inkseal.core.http import client_ip
from inkseal.signing.verification.pages import seal_pages
from inkseal.signing.verification.services import (
    check_body_size,
    check_rate,
    check_upload_size,
    verify_document,
)


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("PDF 或 OFD 文件"), required=False)
    password = forms.CharField(label=_("打开密码（仅加密文件需要）"), required=False, max_length=128)
    document = forms.FileField(label=_("签署文件（核对签署报告时可选）"), required=False)


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "signing/verify.html", {"form": VerifyForm()})
    try:
        check_rate(client_ip(request))
        check_body_size(request.META.get("CONTENT_LENGTH"))
        form = VerifyForm(request.POST, request.FILES)
        form.is_valid()
        upload = form.cleaned_data.get("file")
        if upload is None:
            raise FileMissing(_("请选择要验签的 PDF 或 OFD 文件。"))
        check_upload_size(upload.size)
        password = form.cleaned_data.get("password") or None
        data = upload.read()
        verification = verify_document(data, password=password, ip=client_ip(request))
        evidence = _evidence_checks(data, form.cleaned_data.get("document"))
    except DomainError as exc:
        return render(request, "signing/verify.html", {"form": VerifyForm(), "error": exc}, status=exc.status)
    try:
        pages, pages_error = seal_pages(data), None  # a signed OFD's pages with their seals
    except DomainError as exc:  # the report stands; only the pictures are missing
        pages, pages_error = [], exc
    context = {
        "form": VerifyForm(),
        "verification": verification,
        "file_name": upload.name,
        "pages": pages,
        "pages_error": pages_error,
        "evidence": evidence,
    }
    return render(request, "signing/verify.html", context)


def _evidence_checks(data: bytes, document: Any) -> Any:
    """An evidence report (签署报告) also gets the report's own checks (the offline verifier's, with
    the platform's roots, report certificates and log keys), against `document` when given."""
    from inkseal.evidence.offline_checks import checks_for_page, is_evidence_report, verify_report_here

    if not is_evidence_report(data):
        return None
    signed = None
    if document is not None:
        check_upload_size(document.size)
        signed = document.read()
    return checks_for_page(verify_report_here(data, document=signed, deep=False))
