from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from inkseal.audit.events import describe
from inkseal.audit.models import AuditEntry
from inkseal.backoffice.site import backoffice


@admin.register(AuditEntry, site=backoffice)
class AuditEntryAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
