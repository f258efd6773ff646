from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from inkseal.audit.events import describe
from inkseal.audit.models import AuditEntry
from inkseal.backoffice.models import LoginThrottle, OperatorTotp
from inkseal.backoffice.security import reset_totp
from inkseal.backoffice.site import backoffice
from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OperatorTotp, site=backoffice)
class OperatorTotpAdmin(ReadOnlyAdmin):
    """Recovery of a lost authenticator: another operator with the role resets the enrolment."""

    list_display = ["user", "confirmed_at", "created_at"]
    fields = ("user", "confirmed_at", "created_at")  # never the sealed secret
    readonly_fields = fields
    actions = ["reset_totp"]

    def has_reset_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("backoffice.reset_operator_totp"))

    @admin.action(description=_("重置所选运营人员的动态验证码（需重新绑定）"), permissions=["reset"])
    def reset_totp(self, request: HttpRequest, queryset: QuerySet[OperatorTotp]) -> None:
        for row in queryset.select_related("user"):
            try:
                reset_totp(row, by=request.user, ip=client_ip(request), reason=request.POST.get("reason", ""))
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(request, _("已重置 %(user)s 的动态验证码。") % {"user": row.user})


@admin.register(LoginThrottle, site=backoffice)
class LoginThrottleAdmin(ReadOnlyAdmin):
    list_display = ["scope", "key", "failures", "locks", "locked_until", "last_failure_at"]
    list_filter = ["scope"]
    search_fields = ["key"]


@admin.register(AuditEntry, site=backoffice)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log, read-only. Registered here, not in the audit app: the back office builds on
    the audit log (it writes every operator change to it), so the audit app never imports it."""

    list_display = ["seq", "at", "event_described", "actor_kind", "actor_label", "identity", "ip", "target"]
    list_filter = ["event", "actor_kind"]
    search_fields = ["event", "actor_label", "target", "ip"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields] + ["description"]

    class Media:
        css = {"all": ["audit/admin.css"]}  # long values wrap: the table fits a 1366 px screen

    @admin.display(description=gettext_lazy("事件"), ordering="event")
    def event_described(self, obj: AuditEntry) -> str:
        """The raw name (what operators search and filter by) with its description beside it."""
        return format_html(
            '<code>{}</code><br><span class="event-description">{}</span>', obj.event, describe(obj.event)
        )

    @admin.display(description=gettext_lazy("事件说明"))
    def description(self, obj: AuditEntry) -> str:
        return describe(obj.event)
