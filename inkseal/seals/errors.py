"""Seal refusals, and the one mapping from the pure core's error codes to translated messages.

The pure modules (render, imports, checks) raise `SealImageError`s carrying English and Chinese
text of their own; the Django layer re-words them through `localise` so that every message
comes from the translation catalogue in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from inkseal.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from inkseal.seals.image_errors import SealImageError
from inkseal.seals.render_spec import SIZE_RANGE_MM


class SealNotFound(NotFound):
    code = "seal_not_found"


class SealInactive(DomainError):
    """The seal exists but may not be used or changed in its present state (作废, 待变更)."""

    code = "seal_inactive"
    status = 409


class SealTypeTaken(Conflict):
    code = "seal_type_taken"


class SealKindNotAllowed(PermissionDenied):
    code = "seal_kind_not_allowed"


class SealManageDenied(PermissionDenied):
    code = "seal_manage_denied"


class SealNotBound(DomainError):
    """The seal is not bound to the certificate that would sign with it (绑定印章 first)."""

    code = "seal_not_bound"
    status = 409


class BindingCertificateUnusable(DomainError):
    """Binding a seal to a certificate that is revoked, expired or not a signing certificate."""

    code = "certificate_unusable"
    status = 409


class SealRequestInvalid(DomainError):
    code = "seal_request_invalid"


class RiskNoticeNotAccepted(DomainError):
    code = "risk_notice_required"


class SealShapeMismatch(DomainError):
    code = "upload_wrong_shape"


class LoginRequired(DomainError):
    code = "login_required"
    status = 401


_TEMPLATE_HINT = gettext_noop("您可以改用模板制作印章。")


def _hint() -> str:
    return _(_TEMPLATE_HINT)


def _detail(error: SealImageError, key: str) -> Any:
    return error.details.get(key, "")


def _expected(error: SealImageError) -> str:
    result = getattr(error, "result", None)
    return str(getattr(result, "expected", ""))


# Every code the pure seal modules raise, worded for the user. Keep in step with image_errors.py.
MESSAGES: dict[str, Callable[[SealImageError], str]] = {
    "seal_image_invalid": lambda e: _("无法生成印章图片。"),
    "seal_font_missing": lambda e: _("服务器未安装印章中文字体，请联系管理员。"),
    "unrenderable_character": lambda e: (
        _("印章字体不支持字符“%(char)s”，请联系管理员。") % {"char": _detail(e, "char")}
    ),
    "empty_name": lambda e: _("印章名称不能为空。"),
    "name_too_long": lambda e: (
        _("名称有 %(length)s 个字，此类印章最多 %(limit)s 个字。")
        % {"length": _detail(e, "length"), "limit": _detail(e, "limit")}
    ),
    "lower_text_too_long": lambda e: (
        _("下弦文有 %(length)s 个字符，最多 %(limit)s 个。")
        % {"length": _detail(e, "length"), "limit": _detail(e, "limit")}
    ),
    "unknown_ink_color": lambda e: _("不支持的印章颜色，请选择红色、蓝色或黑色。"),
    "seal_size_out_of_range": lambda e: (
        _("印章尺寸须在 %(low)s–%(high)s 毫米之间。")
        % {"low": f"{SIZE_RANGE_MM[0]:g}", "high": f"{SIZE_RANGE_MM[1]:g}"}
    ),
    "unknown_seal_kind": lambda e: _("未知的印章类型。"),
    "unknown_border": lambda e: _("未知的边框样式。"),
    "stamp_size_required": lambda e: _("缺少印章图片的尺寸。"),
    "upload_rejected": lambda e: _("上传的图片不能用作印章。") + _hint(),
    "upload_too_large": lambda e: _("文件超过 2 MB。") + _hint(),
    "upload_not_an_image": lambda e: _("文件不是 JPG 或 PNG 图片。") + _hint(),
    "upload_corrupt": lambda e: _("图片文件已损坏或不完整。") + _hint(),
    "upload_too_many_pixels": lambda e: _("图片像素过多。") + _hint(),
    "upload_too_small": lambda e: _("图片太小，无法清晰显示印章。") + _hint(),
    "upload_not_a_seal": lambda e: _("图片中未找到印章。") + _hint(),
    "upload_no_seal_ink": lambda e: _("图片中未找到红色、蓝色或黑色的印章印迹。") + _hint(),
    "upload_no_seal_shape": lambda e: _("图片中的印迹不是圆形或方形印章。") + _hint(),
    "text_mismatch": lambda e: _("图片文字与名称“%(name)s”不一致。") % {"name": _expected(e)},
    "seal_text_mismatch": lambda e: _("印章文字与名称“%(name)s”不一致。") % {"name": _expected(e)} + _hint(),
    "handwriting_mismatch": lambda e: _("手写签名无法识别为“%(name)s”，请工整书写您的姓名。") % {"name": _expected(e)},
    "handwriting_empty": lambda e: _("手写签名为空，请先在签名区书写您的姓名。"),
}


def localise(error: SealImageError) -> SealImageError:
    """The same error (code, status, details kept) with its message in the user's language."""
    wording = MESSAGES.get(error.code)
    if wording is not None:
        error.message = wording(error)
    else:
        error.message = error.message_zh if (get_language() or "zh").startswith("zh") else error.message_en
    return error
