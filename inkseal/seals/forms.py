from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from inkseal.seals.models import SealType

SEAL_COLORS = [("red", _("红色")), ("blue", _("蓝色")), ("black", _("黑色"))]
INK_COLORS = [("black", _("黑色")), ("red", _("红色")), ("blue", _("蓝色"))]
METHODS = [("template", _("模板制作")), ("upload", _("上传图章"))]
NAME_STYLES = [("square", _("方形章")), ("strip", _("条形章"))]
BORDERS = [("single", _("单边框")), ("double", _("双边框"))]


class NewSealForm(forms.Form):
    """新增印章. Which fields matter depends on the type and method; services check the rest."""

    kind = forms.ChoiceField(label=_("印章类型"))
    method = forms.ChoiceField(label=_("制章方式"), choices=METHODS, required=False)
    style = forms.ChoiceField(label=_("印章样式"), choices=NAME_STYLES, required=False)
    color = forms.ChoiceField(label=_("印章颜色"), choices=SEAL_COLORS, required=False)
    border = forms.ChoiceField(label=_("边框"), choices=BORDERS, required=False)
    with_lower_text = forms.BooleanField(label=_("带下弦文"), required=False)
    lower_text = forms.CharField(label=_("下弦文"), max_length=20, required=False)
    texture = forms.BooleanField(label=_("印泥纹理"), required=False)
    risk_acknowledged = forms.BooleanField(label=_("我已阅读并同意风险提示"), required=False)
    image = forms.FileField(label=_("印章图片"), required=False)
    ink = forms.ChoiceField(label=_("笔迹颜色"), choices=INK_COLORS, required=False)
    signature = forms.FileField(label=_("手写签名"), required=False)

    def __init__(self, *args: Any, types: list[SealType], **kwargs: Any):
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(t.value, t.label) for t in types]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["method"] = data.get("method") or "template"
        data["style"] = data.get("style") or "square"
        data["color"] = data.get("color") or "red"
        data["border"] = data.get("border") or "single"
        data["ink"] = data.get("ink") or "black"
        if not data.get("with_lower_text"):
            data["lower_text"] = ""
        return data
