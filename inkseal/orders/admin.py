"""Back office: products, the review queue (审核 → 制证), shipping (发货) and invoices (开票).

Operators change applications only through the services, from the buttons on the change page;
the model forms are read-only except for products.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inkseal.backoffice.site import AuditedModelAdmin, backoffice, operator_actor
from inkseal.core.acting import Acting, Actor
from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip
from inkseal.core.states import BY_OPERATOR
from inkseal.identity.models import VerificationAttempt
from inkseal.orders import services, states
from inkseal.orders.models import Application, ApplicationSeal, Invoice, Order, Product
from inkseal.seals.services import seal_image_bytes

# The keys of Application.subject (pki.services.CertificateSubject.snapshot, plus the CN), as the
# reviewer reads them; unknown keys are shown under their own name.
SUBJECT_LABELS = {
    "name": gettext_lazy("名称"),
    "uscc": gettext_lazy("统一社会信用代码"),
    "id": gettext_lazy("证件号码索引"),
    "common_name": gettext_lazy("通用名称（CN）"),
}


def subject_fields(subject: dict[str, Any]) -> list[tuple[str, str]]:
    """The certificate subject as (label, value) rows, known keys first in a fixed order."""
    known = [(str(label), str(subject[key])) for key, label in SUBJECT_LABELS.items() if key in subject]
    return known + [(key, str(value)) for key, value in subject.items() if key not in SUBJECT_LABELS]


def _acting(request: HttpRequest, actor: Actor) -> Acting:
    return Acting(actor, client_ip(request), "operator")


@admin.register(Product, site=backoffice)
class ProductAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "medium", "subject_kind", "algorithm", "years", "price", "platform", "enabled")
    list_filter = ("enabled", "medium", "subject_kind", "algorithm", "platform")
    search_fields = ("name", "code")


@admin.register(Order, site=backoffice)
class OrderAdmin(AuditedModelAdmin):
    list_display = ("number", "platform", "product", "person", "amount", "state", "created_at")
    list_filter = ("state", "kind", "platform")
    search_fields = ("number", "person__name", "person__phone")
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Application, site=backoffice)
class ApplicationAdmin(AuditedModelAdmin):
    """审核队列: newest first, filtered by state (审核中 is the queue), type, medium, platform."""

    list_display = ("number", "platform", "party", "person", "kind", "medium", "state", "submitted_at")
    list_filter = ("state", "kind", "medium", "platform")
    search_fields = ("number", "order__number", "person__name", "person__phone", "party__enterprise__name")
    readonly_fields = [f.name for f in Application._meta.fields if f.name not in ("csr_der", "subject")]
    exclude = ("csr_der", "seals", "subject")  # the subject is shown as labelled fields (审核)
    change_form_template = "admin/orders/application/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(require_POST(self.approve_view)), name="orders_application_approve"),
            path("<int:pk>/reject/", view(require_POST(self.reject_view)), name="orders_application_reject"),
            path("<int:pk>/ship/", view(require_POST(self.ship_view)), name="orders_application_ship"),
            path("<int:pk>/seals/<int:seal_id>.png", view(self.seal_image_view), name="orders_application_seal"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        application = self.get_object(request, object_id)
        extra: dict[str, Any] = dict(extra_context or {})
        if application is not None:
            attempts = VerificationAttempt.objects.filter(person=application.person)
            enterprise = (
                getattr(application.party, "enterprise", None) if application.party.kind == "enterprise" else None
            )
            if enterprise is not None:
                attempts = VerificationAttempt.objects.filter(enterprise=enterprise)
            extra.update(
                application=application,
                verification_attempts=attempts.order_by("-created_at")[:10],
                chosen_seals=[c.seal for c in application.chosen_seals.select_related("seal")],
                subject_fields=subject_fields(application.subject),
                operator_actions=states.APPLICATION.names_from(application.state, by=BY_OPERATOR),
                can_review=self._can_review(request),
            )
        return super().change_view(request, object_id, form_url, extra)

    def seal_image_view(self, request: HttpRequest, pk: int, seal_id: int) -> HttpResponse:
        """The image of a seal the application asks to bind, for the reviewer (only those seals)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        chosen = get_object_or_404(ApplicationSeal.objects.select_related("seal"), application_id=pk, seal_id=seal_id)
        response = HttpResponse(seal_image_bytes(chosen.seal), content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _can_review(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("orders.review_application"))  # type: ignore[union-attr]

    def _act(self, request: HttpRequest, pk: int, action: Any) -> HttpResponse:
        application = get_object_or_404(Application, pk=pk)
        if not self._can_review(request):
            messages.error(request, _("您没有审核办理单的权限。"))
        else:
            try:
                message = action(application, operator_actor(request.user))
                messages.success(request, message)
            except DomainError as exc:
                messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("backoffice:orders_application_change", args=[pk]))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def approve(application: Application, actor: Any) -> str:
            approved = services.do_approve(application, acting=_acting(request, actor))
            assert approved.certificate is not None
            return _("审核通过，已签发证书 %(serial)s。") % {"serial": approved.certificate.serial}

        return self._act(request, pk, approve)

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def reject(application: Application, actor: Any) -> str:
            services.do_reject(application, request.POST.get("reason", ""), acting=_acting(request, actor))
            return _("已驳回。")

        return self._act(request, pk, reject)

    def ship_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def ship(application: Application, actor: Any) -> str:
            services.do_ship(
                application,
                request.POST.get("courier", ""),
                request.POST.get("tracking_number", ""),
                acting=_acting(request, actor),
            )
            return _("已发货。")

        return self._act(request, pk, ship)


@admin.register(Invoice, site=backoffice)
class InvoiceAdmin(AuditedModelAdmin):
    list_display = ("order", "title", "tax_number", "amount", "state", "requested_at", "issued_at")
    list_filter = ("state",)
    search_fields = ("order__number", "title", "tax_number")
    readonly_fields = [f.name for f in Invoice._meta.fields]
    actions = ["issue_generated"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [path("<int:pk>/issue/", view(self.issue_view), name="orders_invoice_issue"), *super().get_urls()]

    @admin.action(description=gettext_lazy("开具发票（系统生成 PDF）"))
    def issue_generated(self, request: HttpRequest, queryset: Any) -> None:
        for invoice in queryset.select_related("order__application"):
            try:
                services.do_issue_invoice(invoice, acting=_acting(request, operator_actor(request.user)))
            except DomainError as exc:
                messages.error(request, f"{invoice.order.number}: {exc.message}")

    def issue_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """开票 with an uploaded PDF (or, without one, a generated PDF)."""
        invoice = get_object_or_404(Invoice, pk=pk)
        if request.method == "POST":
            upload = request.FILES.get("pdf")
            try:
                services.do_issue_invoice(
                    invoice,
                    pdf=upload.read() if upload is not None else None,
                    acting=_acting(request, operator_actor(request.user)),
                )
                messages.success(request, _("发票已开具。"))
                return HttpResponseRedirect(reverse("backoffice:orders_invoice_changelist"))
            except DomainError as exc:
                messages.error(request, str(exc.message))
        context = {**self.admin_site.each_context(request), "invoice": invoice, "opts": self.model._meta}
        return TemplateResponse(request, "admin/orders/invoice_issue.html", context)
