"""The agreements a person accepts before verification, with the versions stored on each attempt.

Changing an agreement's text means a new version here (and a new template), so that every
attempt keeps which wording was accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Agreement:
    slug: str
    title: Promise
    version: str

    @property
    def template(self) -> str:
        return f"identity/agreements/{self.slug}-{self.version}.html"


AGREEMENTS = (
    Agreement("service", gettext_lazy("电子认证服务协议"), "2025.1"),
    Agreement("privacy", gettext_lazy("隐私协议"), "2025.1"),
    Agreement("biometrics", gettext_lazy("个人信息处理授权书"), "2025.1"),
)
BY_SLUG = {a.slug: a for a in AGREEMENTS}


def consent_record() -> dict[str, str]:
    """What an attempt stores: the version of every agreement accepted."""
    return {a.slug: a.version for a in AGREEMENTS}


def consent_notice() -> str:
    return _(
        "为获取身份认证服务，您同意授权%(operator)s处理您提交的姓名、身份证号、人脸图像信息"
        "并向合法数据持有者核实您的身份信息。"
    ) % {"operator": settings.IDENTITY_OPERATOR_NAME}
