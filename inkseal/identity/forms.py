"""Form shapes for the verification pages. Domain rules (check digits, consent, quotas) are the
services' job; these only say which fields exist and how long they may be."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import EnterpriseType
from inkseal.identity.agreements import AGREEMENTS
from inkseal.identity.models import IdType, Liveness

AGREEMENT_CHOICES = [(a.slug, a.title) for a in AGREEMENTS]


class AgreementsMixin(forms.Form):
    agreements = forms.MultipleChoiceField(choices=AGREEMENT_CHOICES, required=False)


class PhoneVerificationForm(AgreementsMixin):
    name = forms.CharField(label=_("姓名"), max_length=40)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdType.choices, initial=IdType.RESIDENT_ID)
    id_number = forms.CharField(label=_("证件号"), max_length=32)
    code = forms.CharField(label=_("验证码"), max_length=8)
    document = forms.FileField(label=_("证件照片"), required=False)


class FaceVerificationForm(AgreementsMixin):
    name = forms.CharField(label=_("姓名"), max_length=40)
    id_number = forms.CharField(label=_("证件号"), max_length=32)
    liveness = forms.ChoiceField(
        label=_("认证类型"), choices=Liveness.choices, initial=Liveness.SILENT, widget=forms.RadioSelect
    )


class EnterpriseVerificationForm(AgreementsMixin):
    METHODS = ("legal_rep_phone", "bank_card", "licence")

    name = forms.CharField(label=_("企业名称"), max_length=128)
    enterprise_type = forms.ChoiceField(
        label=_("企业类型"), choices=[("", _("请选择企业类型")), *EnterpriseType.choices]
    )
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=24)
    id_front = forms.FileField(label=_("身份证人像面"), required=False)
    id_back = forms.FileField(label=_("身份证国徽面"), required=False)
    legal_rep_name = forms.CharField(label=_("法人姓名"), max_length=40, required=False)
    legal_rep_id_number = forms.CharField(label=_("法人身份证号"), max_length=32, required=False)
    # 法定代表人手机号认证
    phone = forms.CharField(label=_("法人手机号"), max_length=20, required=False)
    code = forms.CharField(label=_("验证码"), max_length=8, required=False)
    # 法定代表人银行卡认证
    card_number = forms.CharField(label=_("银行卡号"), max_length=32, required=False)
    bank_phone = forms.CharField(label=_("银行预留手机号"), max_length=20, required=False)
    # 单位证件认证
    licence = forms.FileField(label=_("营业执照/单位证件"), required=False)


class DepositForm(forms.Form):
    amount = forms.CharField(label=_("打款金额（元）"), max_length=10)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("驳回"))])
    reason = forms.CharField(
        label=_("原因/备注"), max_length=255, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
