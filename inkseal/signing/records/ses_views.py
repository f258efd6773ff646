"""GB/T 38540 electronic signatures on pages: the download of a record's SES_Signature (应用详情)
and the public 验签 page for an uploaded one with its original document (/verify/ses/)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.duties import require_records_reader
from inkseal.accounts.identity import identity_of
from inkseal.core.errors import DomainError, FileMissing
from inkseal.core.http import client_ip
from inkseal.seals.ses_verify_services import check_ses_body_size, check_ses_upload_sizes, verify_ses
from inkseal.signing.records import services as records
from inkseal.signing.records.ses import FILE_EXTENSION, electronic_signature_of, export_name
from inkseal.signing.verification.services import check_rate


@portal_login_required
@require_GET
def record_ses_signature(request: HttpRequest, event_id: str, es_id: str | None = None) -> HttpResponse:
    """One SES_Signature of a record: the one carrying electronic seal `es_id` (one per seal), or
    without it the first seal's (the address before every seal had its own)."""
    require_records_reader(identity_of(request))  # 三权分立: auditors only (accounts.duties)
    record = records.record_for(identity_of(request).party, event_id)
    signature = electronic_signature_of(record, es_id)
    response = HttpResponse(bytes(signature.der), content_type="application/octet-stream")
    name = export_name(record, signature) if es_id is not None else f"{record.event_id}.{FILE_EXTENSION}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class SesVerifyForm(forms.Form):
    signature = forms.FileField(label=_("电子签章数据（SES_Signature）"), required=False)
    document = forms.FileField(label=_("签章原文"), required=False)


@require_http_methods(["GET", "POST"])
def ses_verify_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "signing/ses_verify.html", {"form": SesVerifyForm()})
    try:
        check_rate(client_ip(request))
        check_ses_body_size(request.META.get("CONTENT_LENGTH"))
        form = SesVerifyForm(request.POST, request.FILES)
        form.is_valid()
        signature, document = form.cleaned_data.get("signature"), form.cleaned_data.get("document")
        if signature is None or document is None:
            raise FileMissing(_("请同时选择电子签章数据文件和签章原文文件。"))
        check_ses_upload_sizes(signature.size, document.size)
        verification = verify_ses(signature.read(), document.read())
    except DomainError as exc:
        return render(request, "signing/ses_verify.html", {"form": SesVerifyForm(), "error": exc}, status=exc.status)
    context = {"form": SesVerifyForm(), "verification": verification, "file_name": document.name}
    return render(request, "signing/ses_verify.html", context)
