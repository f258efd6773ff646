from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from inkseal.backoffice.site import AuditedModelAdmin, backoffice
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import set_oidc_client_secret, set_ticket_secret


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
