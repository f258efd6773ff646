from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inkseal.pki.services import reason_choices

MAX_UPLOAD = 64 * 1024


def _reason_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("吊销原因"),
        choices=lambda: [("", _("请选择吊销原因")), *reason_choices()],
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": _("请选择吊销原因。"), "invalid_choice": _("请选择吊销原因。")},
    )


class RevokeReasonForm(forms.Form):
    """Step 1 of 吊销 (操作提示): the reason, required."""

    reason = _reason_field()


class RevokeConfirmForm(forms.Form):
    """Step 2 (风险提示): the reason again and an explicit acknowledgement of the risk."""

    reason = _reason_field()
    confirm = forms.BooleanField(
        label=_("我已知晓：证书吊销后立即失效且不可恢复，使用该证书的签章将无法继续进行。"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        error_messages={"required": _("请确认已知晓吊销风险。")},
    )


def _pin_field(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=6,
        widget=forms.PasswordInput(
            attrs={"class": "form-control", "inputmode": "numeric", "autocomplete": "off", "maxlength": "6"}
        ),
    )


class _NewPinForm(forms.Form):
    pin = _pin_field(_("新 PIN 码"))
    pin_again = _pin_field(_("确认新 PIN 码"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", _("两次输入的 PIN 码不一致。"))
        return data


class SetPinForm(_NewPinForm):
    pass


class ChangePinForm(_NewPinForm):
    old_pin = _pin_field(_("原 PIN 码"))
    field_order = ["old_pin", "pin", "pin_again"]


class ExternalCertificateForm(forms.Form):
    """CA互信互认: register a UKEY certificate issued by a trusted other CA."""

    certificate = forms.FileField(
        label=_("证书文件（PEM 或 DER）"), widget=forms.FileInput(attrs={"class": "form-control"})
    )
    intermediates = forms.FileField(
        label=_("中级CA证书（可选，PEM）"), required=False, widget=forms.FileInput(attrs={"class": "form-control"})
    )
    ukey_serial = forms.CharField(
        label=_("UKEY序列号"), max_length=64, widget=forms.TextInput(attrs={"class": "form-control"})
    )

    def _bounded(self, name: str) -> bytes:
        upload = self.cleaned_data.get(name)
        if upload is None:
            return b""
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件过大（不超过 64 KB）。"))
        return bytes(upload.read())

    def clean_certificate(self) -> bytes:
        return self._bounded("certificate")

    def clean_intermediates(self) -> bytes:
        return self._bounded("intermediates")
