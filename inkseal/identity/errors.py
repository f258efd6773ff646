"""Refusals of identity verification, and the words for malformed numbers and failed checks."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from inkseal.accounts.errors import PHONE_OWNERSHIP_NOTE
from inkseal.core.errors import DomainError
from inkseal.identity.numbers import NumberCheck


class IdentityUnverified(DomainError):
    """The person has not completed personal verification (实名认证)."""

    code = "identity_unverified"
    status = 403
    default_message = gettext_lazy("请先完成个人实名认证（个人中心 → 实名认证）。")


class EnterpriseUnverified(DomainError):
    code = "enterprise_unverified"
    status = 403
    default_message = gettext_lazy("请先完成企业实名认证。")


class VerificationInvalid(DomainError):
    """Bad input to a verification form: nothing was recorded."""

    code = "verification_invalid"
    default_message = gettext_lazy("填写的认证信息有误，请检查后重新提交。")


class VerificationNotAllowed(DomainError):
    """The subject is in a state that does not allow this step (already verified, under review…)."""

    code = "verification_not_allowed"
    status = 409
    default_message = gettext_lazy("当前状态下不能进行该认证步骤。")


class IdNumberTaken(VerificationNotAllowed):
    code = "id_number_taken"
    default_message = gettext_lazy("该证件号已由另一个帐号完成实名认证。")
    hint = PHONE_OWNERSHIP_NOTE


class ConsentRequired(DomainError):
    code = "consent_required"
    default_message = gettext_lazy("请先阅读提示信息并点击同意。")


class FaceLinkGone(DomainError):
    """The phone link expired or was already used."""

    code = "face_link_gone"
    status = 410
    default_message = gettext_lazy("该链接已失效。如需重新认证，请在电脑上重新生成二维码。")


class UploadRefused(DomainError):
    code = "upload_refused"
    default_message = gettext_lazy("上传的文件无法使用，请重新录制。")


class UploadTooLarge(UploadRefused):
    code = "video_too_large"  # "upload_too_large" is the seal image's (seals.image_errors)
    status = 413
    default_message = gettext_lazy("视频文件过大，请录制2~3秒的视频。")


class UploadNotVideo(UploadRefused):
    code = "upload_not_video"
    status = 415
    default_message = gettext_lazy("上传的文件不是视频，请使用摄像头录制2~3秒人像视频。")


_ID_NAMES = {  # as they read inside a sentence
    "id-number": pgettext_lazy("in a sentence", "身份证号"),
    "uscc": pgettext_lazy("in a sentence", "统一社会信用代码"),
    "bank-card": pgettext_lazy("in a sentence", "银行卡号"),
    "document": pgettext_lazy("in a sentence", "证件号"),
}


def describe(check: NumberCheck) -> str:
    """The reason a number is malformed, for people (support staff read it in the CLI too)."""
    what = str(_ID_NAMES[check.kind])
    p: dict[str, Any] = {"what": what, **check.params}
    messages = {
        "length": _("%(what)s应为%(expected)d位，当前为%(actual)d位。"),
        "card_length": _("%(what)s应为%(minimum)d–%(maximum)d位数字，当前为%(actual)d位。"),
        "character": _("%(what)s第%(position)d位“%(char)s”不是允许的字符。"),
        "birth_date": _("%(what)s中的出生日期“%(digits)s”不是有效日期。"),
        "check_digit": _("%(what)s校验位应为“%(expected)s”，实际为“%(actual)s”：请核对是否输错。"),
        "document_format": _("%(what)s应为5–20位字母或数字。"),
    }
    if check.ok:
        return _("%(what)s格式正确，校验位无误。") % p
    return messages[check.problem] % p


def image_message(label: str, refused: DomainError) -> str:
    """A refused ID photo's message, naming which photo (身份证人像面…)."""
    return f"{label}：{refused.message}"
