"""The back office: the issued 签署报告 (read only) and the operator's form to issue one for a sign
task or an 应用记录 (each issue logged and audited like any other)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from inkseal.backoffice.site import AuditedModelAdmin, backoffice
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip
from inkseal.evidence.models import EvidenceReport


class IssueForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("报告对象"), choices=[("task", _("签章任务")), ("document", _("签章文件")), ("record", _("应用记录"))]
    )
    identifier = forms.CharField(
        label=_("编号"), max_length=80, help_text=_("任务编号；签章文件为“任务编号/序号”；应用记录为事件ID。")
    )
    language = forms.ChoiceField(label=_("语言"), choices=[("zh-hans", "简体中文"), ("en", "English")])


@admin.register(EvidenceReport, site=backoffice)
class EvidenceReportAdmin(AuditedModelAdmin):
    list_display = [
        "report_id",
        "subject_kind",
        "subject_id",
        "requested_by",
        "language",
        "checkpoint_size",
        "created_at",
    ]
    search_fields = ["report_id", "subject_id"]
    list_filter = ["subject_kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        issue = self.admin_site.admin_view(self.issue_view)
        return [path("issue/", issue, name="evidence_evidencereport_issue"), *super().get_urls()]

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = IssueForm(request.POST or None)
        error = ""
        if request.method == "POST" and form.is_valid():
            try:
                return _issue(request, form.cleaned_data)
            except DomainError as exc:
                error = str(exc.message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("出具签署报告"),
            "form": form,
            "error": error,
        }
        status = 400 if error or (request.method == "POST" and not form.is_valid()) else 200
        return TemplateResponse(request, "evidence/admin/issue.html", context, status=status)


def _issue(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    from inkseal.core.errors import NotFound
    from inkseal.evidence import reports
    from inkseal.signing.models import SignDocument, SigningRecord, SignTask

    identifier = data["identifier"].strip()
    if data["kind"] == "document":
        public_id, _sep, number = identifier.partition("/")
        document = (
            SignDocument.objects.filter(task__public_id=public_id, number=int(number)).select_related("task").first()
            if number.isdigit()
            else None
        )
        if document is None:
            raise NotFound(_("没有该签章文件。"))
        subject = reports.subject_of_document(document)
    elif data["kind"] == "task":
        task = SignTask.objects.filter(public_id=identifier).first()
        if task is None:
            raise NotFound(_("没有该签章任务。"))
        subject = reports.subject_of_task(task)
    else:
        record = SigningRecord.objects.filter(event_id=identifier).first()
        if record is None:
            raise NotFound(_("应用记录不存在。"))
        subject = reports.subject_of_record(record)
    issued = reports.issue_report(
        subject, acting=Acting.operator(request.user, client_ip(request)), language=data["language"]
    )
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issued.filename}"'
    return response
