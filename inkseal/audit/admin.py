from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from inkseal.audit.models import AuditEntry
from inkseal.backoffice.site import backoffice


@admin.register(AuditEntry, site=backoffice)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "event", "actor_kind", "actor_label", "identity", "ip", "target"]
    list_filter = ["event", "actor_kind"]
    search_fields = ["event", "actor_label", "target", "ip"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
