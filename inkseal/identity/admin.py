"""Back office: every verification attempt (read-only), and the review queue (待审核实名认证) for
manual cases, with approve/reject (reason required) and the submitted photos, decrypted on view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.accounts.services import id_index
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.backoffice.site import AuditedModelAdmin, backoffice, operator_actor
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip
from inkseal.identity import documents
from inkseal.identity.forms import ReviewForm
from inkseal.identity.models import IdentityDocument, PendingReview, VerificationAttempt
from inkseal.identity.numbers import check_id_number
from inkseal.identity.review import do_review, review_queue

REVIEW_PERMISSION = "identity.review_verificationattempt"


class ReadOnlyAttemptAdmin(AuditedModelAdmin):
    list_display = ["created_at", "method", "subject", "name", "id_number_masked", "state", "reason", "provider"]
    list_filter = ["state", "method", "provider"]
    search_fields = ["person__account_id", "person__phone", "name", "enterprise__name", "enterprise__uscc"]
    list_select_related = ["person", "enterprise"]
    exclude = ["id_number_enc", "id_number_index"]
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("认证主体"))
    def subject(self, obj: VerificationAttempt) -> str:
        return obj.subject_label

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> tuple[Any, bool]:
        """A full ID number is found through its blind index (numbers are stored encrypted)."""
        checked = check_id_number(search_term)
        if checked.ok:
            return queryset.filter(id_number_index=id_index(checked.value)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VerificationAttempt, site=backoffice)
class VerificationAttemptAdmin(ReadOnlyAttemptAdmin):
    pass


@admin.register(PendingReview, site=backoffice)
class PendingReviewAdmin(ReadOnlyAttemptAdmin):
    list_display = ["created_at", "method", "subject", "name", "id_number_masked", "review_link"]
    list_filter = ["method"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return PendingReview.objects.filter(pk__in=review_queue().values("pk")).select_related("person", "enterprise")

    @admin.display(description=gettext_lazy("操作"))
    def review_link(self, obj: VerificationAttempt) -> str:
        return _("审核")

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/review/", wrap(self.review_view), name="identity_pendingreview_review"),
            path("document/<int:pk>/", wrap(self.document_view), name="identity_pendingreview_document"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not object_id.isdigit():
            raise Http404
        return self.review_view(request, int(object_id))

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        attempt = review_queue().select_related("person", "enterprise").filter(pk=pk).first()
        if attempt is None:
            messages.warning(request, _("该申请不在待审核队列中（可能已被处理）。"))
            return HttpResponseRedirect(reverse("backoffice:identity_pendingreview_changelist"))
        form = ReviewForm(request.POST or None)
        error = ""
        if request.method == "POST":
            if not request.user.has_perm(REVIEW_PERMISSION):
                raise PermissionDenied
            if form.is_valid():
                try:
                    do_review(
                        attempt.pk,
                        form.cleaned_data["decision"] == "approve",
                        form.cleaned_data["reason"],
                        acting=Acting.operator(request.user, client_ip(request)),
                    )
                except DomainError as exc:
                    error = str(exc.message)
                else:
                    messages.success(request, _("已完成审核：%(case)s") % {"case": attempt.subject_label})
                    return HttpResponseRedirect(reverse("backoffice:identity_pendingreview_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("审核实名认证"),
            "attempt": attempt,
            "documents": attempt.documents.order_by("pk"),
            "form": form,
            "error": error,
            "can_review": request.user.has_perm(REVIEW_PERMISSION),
        }
        return TemplateResponse(request, "identity/admin/review.html", context, status=400 if error else 200)

    def document_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A submitted photo, decrypted for the reviewer; every view is audited."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = IdentityDocument.objects.select_related("attempt").filter(pk=pk).first()
        if document is None:
            raise Http404
        record(
            events.IDENTITY_DOCUMENT_VIEWED,
            actor=operator_actor(request.user),
            ip=client_ip(request),
            target=f"verification:{document.attempt.reference}",
            data={"document": document.pk, "kind": document.kind},
        )
        response = HttpResponse(documents.read(document), content_type=document.content_type)
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
