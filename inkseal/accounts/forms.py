from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import ENTERPRISE_TYPES

__all__ = ["ENTERPRISE_TYPES"]  # the choices live with the model; forms and flows import them here too



class SmsLoginForm(forms.Form):
    phone = forms.RegexField(
        label=_("手机号"), regex=r"^1[3-9]\d{9}$", error_messages={"invalid": _("请输入正确的11位手机号。")}
    )
    code = forms.RegexField(label=_("验证码"), regex=r"^\d{6}$", error_messages={"invalid": _("验证码为6位数字。")})


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=128)
    enterprise_type = forms.ChoiceField(label=_("企业类型"), choices=ENTERPRISE_TYPES)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    legal_rep_name = forms.CharField(label=_("法定代表人姓名"), max_length=64, required=False)


class AddressForm(forms.Form):
    recipient = forms.CharField(label=_("收件人"), max_length=64)
    phone = forms.RegexField(
        label=_("联系电话"), regex=r"^1[3-9]\d{9}$", error_messages={"invalid": _("请输入正确的11位手机号。")}
    )
    region = forms.CharField(label=_("所在地区"), max_length=128)
    detail = forms.CharField(label=_("详细地址"), max_length=255)
    is_default = forms.BooleanField(label=_("设为默认地址"), required=False)
