from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from inkseal.backoffice.site import AuditedModelAdmin, backoffice
from inkseal.core.acting import Acting
from inkseal.core.http import client_ip
from inkseal.platforms.models import ApiClient, CertificateAuthorization, PlatformLink, TradingPlatform
from inkseal.platforms.services import (
    do_create_api_client,
    do_rotate_client_secret,
    set_oidc_client_secret,
    set_ticket_secret,
)


class TradingPlatformForm(forms.ModelForm):
    """Secrets are write-only: typed in, stored encrypted, never shown again."""

    ticket_secret = forms.CharField(
        label=_("HS256 共享密钥（留空则不修改）"), required=False, widget=forms.PasswordInput(render_value=False)
    )
    oidc_client_secret = forms.CharField(
        label=_("OIDC Client Secret（留空则不修改）"), required=False, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = TradingPlatform
        fields = [
            "name",
            "code",
            "enabled",
            "ticket_algorithm",
            "ticket_issuer",
            "ticket_public_key",
            "oidc_enabled",
            "oidc_issuer",
            "oidc_client_id",
            "oidc_scope",
            "callback_url",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        algorithm = data.get("ticket_algorithm")
        if algorithm in ("ES256", "RS256") and not data.get("ticket_public_key", "").strip():
            self.add_error("ticket_public_key", _("ES256/RS256 票据需要登记交易平台的公钥。"))
        if algorithm == "HS256" and not (
            data.get("ticket_secret") or (self.instance and self.instance.ticket_secret_enc)
        ):
            self.add_error("ticket_secret", _("HS256 票据需要设置共享密钥。"))
        return data


@admin.register(TradingPlatform, site=backoffice)
class TradingPlatformAdmin(AuditedModelAdmin):
    form = TradingPlatformForm
    list_display = ["name", "code", "enabled", "ticket_algorithm", "oidc_enabled", "created_at"]
    search_fields = ["name", "code"]
    list_filter = ["enabled", "ticket_algorithm", "oidc_enabled"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The code is bound into the encrypted secrets and into issued tickets: fixed once created.
        return ["code"] if obj else []

    def save_model(self, request: HttpRequest, obj: TradingPlatform, form: Any, change: bool) -> None:
        if form.cleaned_data.get("ticket_secret"):
            set_ticket_secret(obj, form.cleaned_data["ticket_secret"])
        if form.cleaned_data.get("oidc_client_secret"):
            set_oidc_client_secret(obj, form.cleaned_data["oidc_client_secret"])
        super().save_model(request, obj, form, change)


@admin.register(ApiClient, site=backoffice)
class ApiClientAdmin(AuditedModelAdmin):
    """Signing-API credentials. 新建 and 轮换密钥 show the new secret once (stored hashed)."""

    list_display = ["client_id", "platform", "enabled", "rotated_at", "created_at"]
    list_filter = ["enabled", "platform"]
    search_fields = ["client_id", "platform__name", "platform__code"]
    fields = ["platform", "client_id", "enabled", "rotated_at", "created_at"]
    readonly_fields = ["client_id", "rotated_at", "created_at"]
    actions = ["rotate_secret"]

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        client, secret = do_create_api_client(obj.platform, acting=Acting.operator(request.user, client_ip(request)))
        obj.pk, obj.client_id, obj.secret_hash = client.pk, client.client_id, client.secret_hash
        # on the request, not on this admin (one instance serves every thread)
        request.shown_once = [(client.client_id, secret)]  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiClient, post_url_continue: Any = None) -> HttpResponse:
        return self._show_secrets(request, getattr(request, "shown_once", []))

    @admin.action(description=_("轮换 client_secret"))
    def rotate_secret(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        shown = [
            (c.client_id, do_rotate_client_secret(c, acting=Acting.operator(request.user, client_ip(request))))
            for c in queryset
        ]
        return self._show_secrets(request, shown)

    def _show_secrets(self, request: HttpRequest, credentials: list[tuple[str, str]]) -> HttpResponse:
        """The new secrets in this page's body only: not in the messages cookie (signed, not
        encrypted), not in the session, not cached."""
        context = {**self.admin_site.each_context(request), "opts": self.opts, "credentials": credentials}
        response = TemplateResponse(request, "admin/platforms/apiclient/secret_shown.html", context)
        add_never_cache_headers(response)
        return response


@admin.register(CertificateAuthorization, site=backoffice)
class CertificateAuthorizationAdmin(AuditedModelAdmin):
    list_display = [
        "certificate",
        "platform",
        "grantee_name",
        "valid_from",
        "valid_until",
        "confirmed_at",
        "confirmed_by",
        "revoked_at",
    ]
    list_filter = ["platform"]
    search_fields = ["certificate__serial", "grantee_name", "grantee_phone"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # holders authorise from the certificate page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PlatformLink, site=backoffice)
class PlatformLinkAdmin(AuditedModelAdmin):
    """Which people each platform may sign in (made by the person's SMS proof; read-only here)."""

    list_display = ["platform", "person", "subject", "method", "linked_at", "last_login_at", "revoked_at"]
    list_filter = ["platform", "method"]
    search_fields = ["subject", "person__account_id", "person__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only the person's proof makes a link

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
