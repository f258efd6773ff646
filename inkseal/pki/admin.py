"""Back office (CA管理): certificates (search, revoke with a reason, recover the escrowed key of
an encryption certificate), CAs (health, force a CRL) and the trusted roots of other CAs
(CA互信互认). Changes go through the services, which audit them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.backoffice.site import AuditedModelAdmin, backoffice
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.core.http import client_ip
from inkseal.pki.authority_setup import OCSP_RENEW_BEFORE
from inkseal.pki.crl_publishing import issue_crl
from inkseal.pki.escrow import MAX_REASON_LENGTH, recover_encryption_key
from inkseal.pki.forms import RevokeReasonForm
from inkseal.pki.models import Certificate, CertificateAuthority, TrustedRoot
from inkseal.pki.services import revoke_certificate
from inkseal.pki.status import certificate_status
from inkseal.pki.trust import add_trusted_root, check_trusted_root


class KeyRecoveryForm(forms.Form):
    """密钥恢复: why, and the holder's SM2 signing certificate to seal the key to."""

    reason = forms.CharField(label=gettext_lazy("恢复原因"), max_length=MAX_REASON_LENGTH)
    recipient_file = forms.FileField(label=gettext_lazy("接收证书文件（PEM 或 DER）"), required=False)
    recipient_pem = forms.CharField(
        label=gettext_lazy("或粘贴接收证书（PEM）"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("recipient_file")
        pasted = data.get("recipient_pem", "").encode()
        recipient = bytes(upload.read(64 * 1024 + 1)) if upload is not None else pasted
        if not recipient.strip():
            message = _("请上传或粘贴接收证书：持有人当前有效的 SM2 签名证书（如新 UKEY 的签名证书）。")
            raise forms.ValidationError(message)
        data["recipient"] = recipient
        return data


class ReadOnlyAdmin(AuditedModelAdmin):
    """Rows the services own: operators look and act through actions, never edit fields."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Certificate, site=backoffice)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = [
        "serial",
        "common_name",
        "holder",
        "ca_name",
        "medium",
        "subject_kind",
        "usage",
        "algorithm",
        "status",
        "not_after",
        "revoked_at",
    ]
    list_filter = ["medium", "subject_kind", "usage", "algorithm", "ca_name"]
    search_fields = ["serial", "common_name", "ukey_serial", "fingerprint"]
    fields = [
        "serial", "common_name", "holder", "ca_name", "medium", "subject_kind", "usage", "algorithm", "ukey_serial",
        "not_before", "not_after", "revoked_at", "revocation_reason", "renews", "signing_certificate",
        "encryption_pair", "fingerprint", "has_pin", "pin_failures", "pin_locked_until", "created_at",
    ]  # fmt: skip
    actions = ["revoke_selected", "recover_key"]
    list_select_related = ["holder__person", "holder__enterprise"]

    @admin.display(description=gettext_lazy("状态"))
    def status(self, obj: Certificate) -> str:
        return str(certificate_status(obj).label)

    @admin.display(description=gettext_lazy("已设置 PIN 码"), boolean=True)
    def has_pin(self, obj: Certificate) -> bool:
        return obj.has_pin

    @admin.display(description=gettext_lazy("对应加密证书"))
    def encryption_pair(self, obj: Certificate) -> str:
        pair = None if obj.is_encryption else obj.pair()
        return str(pair) if pair is not None else "--"

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("pki.change_certificate"))

    def has_recover_key_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("pki.recover_encryption_key"))

    @admin.action(description=gettext_lazy("恢复加密密钥（数字信封）"), permissions=["recover_key"])
    def recover_key(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> HttpResponse | None:
        """One encryption certificate at a time: a reason and the recipient certificate, then the
        SM2EnvelopedKey is the response (a download; it is not kept anywhere)."""
        if queryset.count() != 1 or not queryset[0].is_encryption:
            self.message_user(request, _("请只选择一张加密证书进行密钥恢复。"), messages.WARNING)
            return None
        certificate = queryset[0]
        form = KeyRecoveryForm(request.POST if "apply" in request.POST else None, request.FILES or None)
        error = ""
        if "apply" in request.POST and form.is_valid():
            try:
                envelope = recover_encryption_key(
                    certificate,
                    recipient=form.cleaned_data["recipient"],
                    reason=form.cleaned_data["reason"],
                    acting=Acting.operator(request.user, client_ip(request)),
                )
            except DomainError as exc:
                error = str(exc.message)
            else:
                response = HttpResponse(envelope, content_type="application/octet-stream")
                response["Content-Disposition"] = f'attachment; filename="sm2-enveloped-key-{certificate.serial}.der"'
                response["Cache-Control"] = "no-store"
                return response
        return TemplateResponse(
            request,
            "admin/pki/certificate/recover_key.html",
            {
                **self.admin_site.each_context(request),
                "title": _("恢复加密密钥"),
                "certificate": certificate,
                "form": form,
                "error": error,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
            status=400 if error else 200,
        )

    @admin.action(description=gettext_lazy("吊销所选证书"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> HttpResponse | None:
        form = RevokeReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            revoked: set[int] = set()
            refused = []
            for certificate in queryset.order_by("pk"):
                if certificate.pk in revoked:
                    continue  # revoked a moment ago with its pair (双证书)
                try:
                    revoke_certificate(
                        certificate,
                        reason=form.cleaned_data["reason"],
                        acting=Acting.operator(request.user, client_ip(request)),
                    )
                except DomainError as exc:
                    refused.append(f"{certificate.serial}: {exc.message}")
                    continue
                pair = certificate.pair()
                revoked.update({certificate.pk} if pair is None else {certificate.pk, pair.pk})
            self.message_user(request, _("已吊销 %(count)d 张证书。") % {"count": len(revoked)}, messages.SUCCESS)
            for line in refused:
                self.message_user(request, line, messages.WARNING)
            return None
        return TemplateResponse(
            request,
            "admin/pki/certificate/revoke_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": _("吊销证书"),
                "certificates": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(CertificateAuthority, site=backoffice)
class CertificateAuthorityAdmin(ReadOnlyAdmin):
    list_display = [
        "ca_id",
        "name",
        "role",
        "algorithm",
        "not_after",
        "crl_number",
        "crl_next_update",
        "ocsp_not_after",
        "health",
        "active",
    ]
    fields = [
        "ca_id", "name", "organization", "role", "algorithm", "parent", "serial", "fingerprint", "not_before",
        "not_after", "key_backend", "crl_number", "crl_this_update", "crl_next_update", "ocsp_not_after", "active",
    ]  # fmt: skip
    actions = ["force_crl"]

    @admin.display(description=gettext_lazy("健康状况"))
    def health(self, obj: CertificateAuthority) -> str:
        now = timezone.now()
        problems = []
        if obj.not_after - now < timedelta(days=365):
            problems.append(_("CA 证书一年内到期"))
        if obj.role != CertificateAuthority.Role.TSA and (obj.crl_next_update is None or obj.crl_next_update < now):
            problems.append(_("CRL 已过期"))
        if obj.role == CertificateAuthority.Role.ISSUING and (
            obj.ocsp_not_after is None or obj.ocsp_not_after - now < OCSP_RENEW_BEFORE
        ):
            problems.append(_("OCSP 签名证书即将到期"))
        return "；".join(problems) or _("正常")

    def has_force_crl_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("pki.change_certificateauthority"))

    @admin.action(description=gettext_lazy("立即签发 CRL"), permissions=["force_crl"])
    def force_crl(self, request: HttpRequest, queryset: QuerySet[CertificateAuthority]) -> None:
        issued = []
        for ca in queryset.exclude(role=CertificateAuthority.Role.TSA):
            ca = issue_crl(ca, acting=Acting.operator(request.user, client_ip(request)))
            issued.append(f"{ca.ca_id} #{ca.crl_number}")
        self.message_user(request, _("已签发 CRL：%(list)s") % {"list": ", ".join(issued) or "--"}, messages.SUCCESS)


class TrustedRootForm(forms.ModelForm):
    certificate_file = forms.FileField(label=gettext_lazy("根证书文件（PEM 或 DER）"), required=False)

    class Meta:
        model = TrustedRoot
        fields = ["name", "enabled"]

    def clean_certificate_file(self) -> bytes:
        upload = self.cleaned_data.get("certificate_file")
        if self.instance.pk:
            return b""
        if upload is None:
            raise forms.ValidationError(_("请上传根证书文件。"))
        data = bytes(upload.read(64 * 1024 + 1))
        try:
            check_trusted_root(data)
        except DomainError as exc:
            raise forms.ValidationError(str(exc.message))
        return data


@admin.register(TrustedRoot, site=backoffice)
class TrustedRootAdmin(AuditedModelAdmin):
    form = TrustedRootForm
    list_display = ["name", "subject", "not_after", "enabled", "created_at"]
    search_fields = ["name", "subject", "fingerprint"]
    readonly_fields = ["subject", "fingerprint", "not_after"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # registered certificates refer to it: disable instead

    def save_model(self, request: HttpRequest, obj: TrustedRoot, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        added = add_trusted_root(
            obj.name, form.cleaned_data["certificate_file"], acting=Acting.operator(request.user, client_ip(request))
        )
        if not obj.enabled:
            TrustedRoot.objects.filter(pk=added.pk).update(enabled=False)
        obj.pk = added.pk
        obj.certificate_der, obj.fingerprint = added.certificate_der, added.fingerprint
        obj.subject, obj.not_after = added.subject, added.not_after
