from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from inkseal.audit import events
from inkseal.backoffice.site import AuditedModelAdmin, backoffice
from inkseal.signing.callbacks.delivery import retry_delivery
from inkseal.signing.models import CallbackDelivery, SigningRecord, SignTask


class ReadOnlyAdmin(AuditedModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SignTask, site=backoffice)
class SignTaskAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "platform", "business_type", "business_id", "status", "created_at", "completed_at"]
    list_filter = ["status", "platform"]
    search_fields = ["public_id", "business_id", "certificate__serial"]
    exclude = ["token_hash", "token_enc"]


@admin.register(SigningRecord, site=backoffice)
class SigningRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "platform_name",
        "business_type",
        "user_name",
        "certificate_serial",
        "seal_types",
        "file_name",
        "at",
        "result",
    ]
    list_filter = ["result", "intent_method"]
    search_fields = ["event_id", "certificate_serial", "file_name", "user_name"]


@admin.register(CallbackDelivery, site=backoffice)
class CallbackDeliveryAdmin(ReadOnlyAdmin):
    """Callbacks to platforms as the delivery job left them: delivered, waiting for the next try
    (with the last error), or given up; an operator can queue an attempt now."""

    list_display = ["task", "url", "state", "attempts", "next_attempt_at", "last_error", "delivered_at"]
    list_filter = ["state"]
    search_fields = ["task__public_id", "url"]
    exclude = ["ticket"]
    actions = ["retry"]

    @admin.action(description=_("立即重试"))
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        queued = 0
        for delivery in queryset:
            if retry_delivery(delivery.pk):
                self._audit(request, delivery, events.BACKOFFICE_CALLBACK_RETRY, "")
                queued += 1
        if queued:
            messages.success(request, _("已安排重试。"))
        else:
            messages.warning(request, _("所选回调已送达或正在投递，未安排重试。"))
