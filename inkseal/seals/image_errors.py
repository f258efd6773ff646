"""Errors of the pure seal-image modules (fonts, render, imports, checks).

No Django here: each error has a stable `code`, an English text for logs (`message_en`, also the
exception text) and the message users read (`default_message`, Chinese msgid, translated through
inkseal.core.errors). The Django layer calls `localised()` so that users read the latter; since
these subclass `DomainError`, any of them reaches the user as a 4xx with its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inkseal.core.errors import DomainError, gettext_lazy


class SealImageError(DomainError, ValueError):
    """Base of every refusal raised while drawing, importing or checking a seal image."""

    code = "seal_image_unusable"
    default_message = gettext_lazy("无法生成印章图片。")
    speaks_english = True
    message_en = "The seal image could not be made."

    def __init__(self, message_en: str | None = None, **details: Any):
        if message_en is not None:
            self.message_en = message_en
        super().__init__(self.message_en, **details)


# --- fonts and template rendering -------------------------------------------------------------


class SealFontMissing(SealImageError):
    code = "seal_font_missing"
    status = 503
    default_message = gettext_lazy("服务器未安装印章中文字体，请联系管理员。")
    message_en = "No Chinese seal font is installed on the server (install fonts-noto-cjk or set INKSEAL_SEAL_FONT)."


class UnrenderableCharacter(SealImageError):
    """The seal font has no glyph for `char`; we refuse rather than draw a tofu box."""

    code = "unrenderable_character"
    default_message = gettext_lazy("印章字体不支持字符“%(char)s”，请联系管理员。")

    def __init__(self, char: str):
        self.char = char
        super().__init__(f"The character {char!r} (U+{ord(char):04X}) cannot be drawn in a seal.", char=char)


class EmptyName(SealImageError):
    code = "empty_name"
    default_message = gettext_lazy("印章名称不能为空。")
    message_en = "The name on the seal is empty."


class NameTooLong(SealImageError):
    code = "name_too_long"
    default_message = gettext_lazy("名称有 %(length)s 个字，此类印章最多 %(limit)s 个字。")

    def __init__(self, length: int, limit: int):
        super().__init__(
            f"The name has {length} characters; this seal holds at most {limit}.", length=length, limit=limit
        )


class LowerTextTooLong(SealImageError):
    code = "lower_text_too_long"
    default_message = gettext_lazy("下弦文有 %(length)s 个字符，最多 %(limit)s 个。")

    def __init__(self, length: int, limit: int):
        super().__init__(
            f"The lower-arc text has {length} characters; at most {limit} fit.", length=length, limit=limit
        )


class UnknownInkColor(SealImageError):
    code = "unknown_ink_color"
    default_message = gettext_lazy("不支持的印章颜色，请选择红色、蓝色或黑色。")

    def __init__(self, value: str):
        super().__init__(f"Unknown ink colour {value!r}: use red, blue or black.", value=value)


class SealSizeOutOfRange(SealImageError):
    code = "seal_size_out_of_range"
    default_message = gettext_lazy("印章尺寸须在 %(low)s–%(high)s 毫米之间。")

    def __init__(self, size_mm: float, low: float, high: float):
        self.low, self.high = low, high
        super().__init__(f"A seal of {size_mm:g} mm is outside {low:g}–{high:g} mm.", size_mm=size_mm)

    def params(self) -> Mapping[str, Any]:
        return {**self.details, "low": f"{self.low:g}", "high": f"{self.high:g}"}


class UnknownSealKind(SealImageError):
    code = "unknown_seal_kind"
    default_message = gettext_lazy("未知的印章类型。")

    def __init__(self, value: str):
        super().__init__(f"Unknown seal kind {value!r}.", value=value)


class UnknownBorder(SealImageError):
    code = "unknown_border"
    default_message = gettext_lazy("未知的边框样式。")

    def __init__(self, value: str):
        super().__init__(f"Unknown border {value!r}.", value=value)


class StampSizeRequired(SealImageError):
    code = "stamp_size_required"
    default_message = gettext_lazy("缺少印章图片的尺寸。")
    message_en = "The stamp size is required for a seal image."


# --- uploaded seal photos ---------------------------------------------------------------------

_USE_TEMPLATE_EN = " You can make the seal from a template instead."


class UploadRejected(SealImageError):
    """An uploaded seal image we will not use; every message points to the template option."""

    code = "upload_rejected"
    default_message = gettext_lazy("上传的图片不能用作印章。")
    hint = gettext_lazy("您可以改用模板制作印章。")
    message_en = "The uploaded image cannot be used as a seal." + _USE_TEMPLATE_EN


class UploadTooLarge(UploadRejected):
    code = "upload_too_large"
    default_message = gettext_lazy("文件超过 2 MB。")
    message_en = "The file is larger than 2 MB." + _USE_TEMPLATE_EN


class UploadNotAnImage(UploadRejected):
    code = "upload_not_an_image"
    default_message = gettext_lazy("文件不是 JPG 或 PNG 图片。")
    message_en = "The file is not a JPG or PNG image." + _USE_TEMPLATE_EN


class UploadCorrupt(UploadRejected):
    code = "upload_corrupt"
    default_message = gettext_lazy("图片文件已损坏或不完整。")
    message_en = "The image file is damaged or incomplete." + _USE_TEMPLATE_EN


class UploadTooManyPixels(UploadRejected):
    code = "upload_too_many_pixels"
    default_message = gettext_lazy("图片像素过多。")
    message_en = "The image has too many pixels." + _USE_TEMPLATE_EN


class UploadTooSmall(UploadRejected):
    code = "upload_too_small"
    default_message = gettext_lazy("图片太小，无法清晰显示印章。")
    message_en = "The image is too small to show a seal clearly." + _USE_TEMPLATE_EN


class NotASeal(UploadRejected):
    code = "upload_not_a_seal"
    default_message = gettext_lazy("图片中未找到印章。")
    message_en = "No seal was found in the image." + _USE_TEMPLATE_EN


class NoSealInk(NotASeal):
    code = "upload_no_seal_ink"
    default_message = gettext_lazy("图片中未找到红色、蓝色或黑色的印章印迹。")
    message_en = "No red, blue or black seal ink was found in the image." + _USE_TEMPLATE_EN


class NoSealShape(NotASeal):
    code = "upload_no_seal_shape"
    default_message = gettext_lazy("图片中的印迹不是圆形或方形印章。")
    message_en = "The ink in the image does not form a round or square seal." + _USE_TEMPLATE_EN


# --- OCR checks -------------------------------------------------------------------------------


class TextMismatch(SealImageError):
    """OCR read something other than the expected name; `result` holds what was read."""

    code = "text_mismatch"
    default_message = gettext_lazy("图片文字与名称“%(name)s”不一致。")

    def __init__(self, result: Any, message_en: str | None = None):
        self.result = result
        super().__init__(
            message_en or f"The text does not match the name {result.expected!r}.",
            read=result.read,
            score=round(result.score, 3),
        )

    def params(self) -> Mapping[str, Any]:
        return {**self.details, "name": str(getattr(self.result, "expected", ""))}


class SealTextMismatch(TextMismatch):
    code = "seal_text_mismatch"
    default_message = gettext_lazy("印章文字与名称“%(name)s”不一致。")
    hint = UploadRejected.hint

    def __init__(self, result: Any):
        super().__init__(result, f"The seal text does not match the name {result.expected!r}." + _USE_TEMPLATE_EN)


class HandwritingMismatch(TextMismatch):
    code = "handwriting_mismatch"
    default_message = gettext_lazy("手写签名无法识别为“%(name)s”，请工整书写您的姓名。")

    def __init__(self, result: Any):
        super().__init__(result, f"The signature does not read as {result.expected!r}; please write your name clearly.")


class HandwritingEmpty(SealImageError):
    code = "handwriting_empty"
    default_message = gettext_lazy("手写签名为空，请先在签名区书写您的姓名。")
    message_en = "The signature is empty."
