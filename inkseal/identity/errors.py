"""Refusals of identity verification, and the words for malformed numbers and failed checks."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from inkseal.core.errors import DomainError
from inkseal.identity.numbers import NumberCheck


class IdentityUnverified(DomainError):
    """The person has not completed personal verification (实名认证)."""

    code = "identity_unverified"
    status = 403


class EnterpriseUnverified(DomainError):
    code = "enterprise_unverified"
    status = 403


class VerificationInvalid(DomainError):
    """Bad input to a verification form: nothing was recorded."""

    code = "verification_invalid"


class VerificationNotAllowed(DomainError):
    """The subject is in a state that does not allow this step (already verified, under review…)."""

    code = "verification_not_allowed"
    status = 409


class ConsentRequired(DomainError):
    code = "consent_required"


class FaceLinkGone(DomainError):
    """The phone link expired or was already used."""

    code = "face_link_gone"
    status = 410


class UploadRefused(DomainError):
    code = "upload_refused"


class UploadTooLarge(UploadRefused):
    code = "upload_too_large"
    status = 413


class UploadNotVideo(UploadRefused):
    code = "upload_not_video"
    status = 415


UNVERIFIED_MESSAGE = gettext_lazy("请先完成个人实名认证（个人中心 → 实名认证）。")

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


LIVENESS_MESSAGES = {
    "unreadable": gettext_lazy("无法解析上传的视频，请重新录制。"),
    "too_short": gettext_lazy("视频时长%(seconds)s秒，太短：请录制2~3秒人像视频。"),
    "too_long": gettext_lazy("视频时长%(seconds)s秒，太长：请录制2~3秒人像视频。"),
    "no_face": gettext_lazy("未能在视频中持续检测到人脸：请正对摄像头，保持光线充足、面部无遮挡。"),
    "multiple_faces": gettext_lazy("视频中检测到多张人脸：请确保画面中只有本人。"),
    "no_blink": gettext_lazy("未检测到眨眼动作：请在录制时正对摄像头眨眼。"),
}


def liveness_message(code: str, params: dict[str, Any]) -> str:
    template = LIVENESS_MESSAGES.get(code, gettext_lazy("人脸视频未通过检测，请重新录制。"))
    return str(template) % params if params else str(template)


IMAGE_MESSAGES = {
    "too_large": gettext_lazy("图片大小%(size_mb)sMB，超过%(limit_mb)sMB上限。"),
    "type": gettext_lazy("仅支持JPG、PNG格式的图片。"),
    "corrupt": gettext_lazy("图片文件已损坏或无法打开。"),
    "dimensions": gettext_lazy("图片太小，短边至少需要%(min_side)s像素。"),
    "blank": gettext_lazy("图片内容空白，请重新拍摄。"),
    "too_dark": gettext_lazy("图片过暗，请在光线充足处重新拍摄。"),
    "too_bright": gettext_lazy("图片过亮，文字已看不清，请避开强光或反光重新拍摄。"),
    "blurred": gettext_lazy("图片模糊无法辨认，请对焦后重新拍摄。"),
}


def image_message(label: str, code: str, params: dict[str, Any]) -> str:
    return f"{label}：" + str(IMAGE_MESSAGES[code]) % params
