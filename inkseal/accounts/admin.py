from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy

from inkseal.accounts.models import Enterprise, Membership, Person
from inkseal.backoffice.site import AuditedModelAdmin, backoffice


@admin.register(Person, site=backoffice)
class PersonAdmin(AuditedModelAdmin):
    list_display = ["account_id", "name", "masked_phone", "id_number_masked", "verification_state", "registered_at"]
    search_fields = ["account_id", "name", "phone"]
    list_filter = ["verification_state"]
    exclude = ["id_number_enc", "id_number_index", "party"]
    readonly_fields = ["account_id", "id_number_masked", "registered_at", "last_login_at", "verified_at"]

    @admin.display(description=gettext_lazy("手机号"), ordering="phone")
    def masked_phone(self, obj: Person) -> str:
        return obj.masked_phone


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Enterprise, site=backoffice)
class EnterpriseAdmin(AuditedModelAdmin):
    list_display = ["name", "uscc", "enterprise_type", "state", "created_at"]
    search_fields = ["name", "uscc"]
    list_filter = ["state", "enterprise_type"]
    exclude = ["party"]
    inlines = [MembershipInline]


@admin.register(User, site=backoffice)
class OperatorAdmin(AuditedModelAdmin, UserAdmin):
    """Operator accounts (运营/审核员): separate from portal users."""


@admin.register(Group, site=backoffice)
class RoleAdmin(AuditedModelAdmin, GroupAdmin):
    pass
