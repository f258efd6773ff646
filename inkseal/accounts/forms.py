from __future__ import annotations

from typing import Any

from django import forms
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from inkseal.accounts import regions
from inkseal.accounts.models import EnterpriseType


class SmsLoginForm(forms.Form):
    phone = forms.RegexField(
        label=_("手机号"), regex=r"^1[3-9]\d{9}$", error_messages={"invalid": _("请输入正确的11位手机号。")}
    )
    code = forms.RegexField(label=_("验证码"), regex=r"^\d{6}$", error_messages={"invalid": _("验证码为6位数字。")})


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=128)
    enterprise_type = forms.ChoiceField(label=_("企业类型"), choices=EnterpriseType.choices)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    legal_rep_name = forms.CharField(label=_("法定代表人姓名"), max_length=64, required=False)


class AddressForm(forms.Form):
    recipient = forms.CharField(label=_("收件人"), max_length=64)
    phone = forms.RegexField(
        label=_("联系电话"), regex=r"^1[3-9]\d{9}$", error_messages={"invalid": _("请输入正确的11位手机号。")}
    )
    province = forms.CharField(label=_("所在地区"), widget=forms.Select(attrs={"class": "form-select"}))
    city = forms.CharField(label=_("城市"), widget=forms.Select(attrs={"class": "form-select"}))
    district = forms.CharField(label=_("区县"), widget=forms.Select(attrs={"class": "form-select"}))
    detail = forms.CharField(label=_("详细地址"), max_length=255)
    is_default = forms.BooleanField(label=_("设为默认地址"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """所在地区 as three selects (省/市/区县); the options below a choice follow it."""
        super().__init__(*args, **kwargs)
        chosen = self.data if self.is_bound else {}
        province, city = str(chosen.get("province", "")), str(chosen.get("city", ""))
        options = {
            "province": (_("请选择省份"), regions.provinces()),
            "city": (_("请选择城市"), regions.cities(province)),
            "district": (_("请选择区县"), regions.districts(province, city)),
        }
        for name, (prompt, names) in options.items():
            self.fields[name].widget.choices = [("", prompt), *((n, n) for n in names)]
        self.fields["province"].widget.attrs["data-regions"] = static("accounts/regions.json")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = (data.get("province", ""), data.get("city", ""), data.get("district", ""))
        if all(parts):
            if not regions.is_division(*parts):
                raise forms.ValidationError(_("请从列表中选择省份、城市和区县。"))
            data["region"] = regions.region_text(*parts)
        return data
