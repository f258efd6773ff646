"""Back office: operators see seals and their usage records (read-only: seals change only
through the owner's actions and the lifecycle services, which audit them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from inkseal.backoffice.site import AuditedModelAdmin, backoffice
from inkseal.seals.models import ElectronicSeal, Seal, SealMaker, SealUsage
from inkseal.seals.services import seal_image_bytes


class ReadOnlyAdmin(AuditedModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Seal, site=backoffice)
class SealAdmin(ReadOnlyAdmin):
    list_display = ["id", "owner", "kind", "source", "name", "state", "created_at", "voided_at"]
    list_filter = ["kind", "source", "state"]
    search_fields = ["name", "image_sha256"]
    readonly_fields = ["preview"]
    exclude = ["image"]

    @admin.display(description=_("印章图片"))
    def preview(self, seal: Seal) -> str:
        url = reverse("backoffice:seals_seal_image", args=[seal.pk])
        return format_html('<img src="{}" style="max-height: 200px" alt="">', url)

    def get_urls(self) -> list[URLPattern]:
        image = self.admin_site.admin_view(self.image_view)
        return [path("<int:seal_id>/image.png", image, name="seals_seal_image"), *super().get_urls()]

    def image_view(self, request: HttpRequest, seal_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        seal = Seal.objects.filter(pk=seal_id).first()
        if seal is None:
            raise Http404
        return HttpResponse(seal_image_bytes(seal), content_type="image/png")


@admin.register(SealUsage, site=backoffice)
class SealUsageAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "seal", "used_at", "document_name", "platform_name", "certificate_serial"]
    search_fields = ["event_id", "document_name", "platform_name", "certificate_serial"]
    date_hierarchy = "used_at"


@admin.register(SealMaker, site=backoffice)
class SealMakerAdmin(ReadOnlyAdmin):
    """制章者证书: the seal-making certificates (made by bootstrap, renewed before expiry)."""

    list_display = ["serial", "issuer", "not_before", "not_after", "active", "created_at"]
    list_filter = ["active"]
    exclude = ["certificate_der", "key_backend", "key_id"]


@admin.register(ElectronicSeal, site=backoffice)
class ElectronicSealAdmin(ReadOnlyAdmin):
    """电子印章 (GB/T 38540 SES_Seal) made when seals were bound to SM2 certificates."""

    list_display = ["es_id", "seal", "certificate", "maker", "valid_start", "valid_end", "created_at"]
    search_fields = ["es_id", "certificate__serial", "seal__name"]
    exclude = ["der"]
