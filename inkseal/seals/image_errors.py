"""Errors of the pure seal-image modules (fonts, render, imports, checks).

No Django here: each error has a stable `code`, an English message (`message`, also the exception
text) and a Chinese one (`message_zh`). The Django layer maps codes to translated messages; since
these subclass `DomainError`, an unmapped one still reaches the user as a 400 with its code.
"""

from __future__ import annotations

from typing import Any

from inkseal.core.errors import DomainError


class SealImageError(DomainError, ValueError):
    """Base of every refusal raised while drawing, importing or checking a seal image."""

    code = "seal_image_invalid"
    message_en = "The seal image could not be made."
    message_zh = "无法生成印章图片。"

    def __init__(self, message_en: str | None = None, message_zh: str | None = None, **details: Any):
        if message_en is not None:
            self.message_en = message_en
        if message_zh is not None:
            self.message_zh = message_zh
        super().__init__(self.message_en, **details)


# --- fonts and template rendering -------------------------------------------------------------


class SealFontMissing(SealImageError):
    code = "seal_font_missing"
    status = 503
    message_en = "No Chinese seal font is installed on the server (install fonts-noto-cjk or set INKSEAL_SEAL_FONT)."
    message_zh = "服务器未安装印章中文字体（请安装 fonts-noto-cjk 或设置 INKSEAL_SEAL_FONT）。"


class UnrenderableCharacter(SealImageError):
    """The seal font has no glyph for `char`; we refuse rather than draw a tofu box."""

    code = "unrenderable_character"

    def __init__(self, char: str):
        self.char = char
        super().__init__(
            f"The character {char!r} (U+{ord(char):04X}) cannot be drawn in a seal.",
            f"印章字体不支持字符“{char}”（U+{ord(char):04X}）。",
            char=char,
        )


class EmptyName(SealImageError):
    code = "empty_name"
    message_en = "The name on the seal is empty."
    message_zh = "印章名称不能为空。"


class NameTooLong(SealImageError):
    code = "name_too_long"

    def __init__(self, length: int, limit: int):
        super().__init__(
            f"The name has {length} characters; this seal holds at most {limit}.",
            f"名称有 {length} 个字，此类印章最多 {limit} 个字。",
            length=length,
            limit=limit,
        )


class LowerTextTooLong(SealImageError):
    code = "lower_text_too_long"

    def __init__(self, length: int, limit: int):
        super().__init__(
            f"The lower-arc text has {length} characters; at most {limit} fit.",
            f"下弦文有 {length} 个字符，最多 {limit} 个。",
            length=length,
            limit=limit,
        )


class UnknownInkColor(SealImageError):
    code = "unknown_ink_color"

    def __init__(self, value: str):
        super().__init__(
            f"Unknown ink colour {value!r}: use red, blue or black.",
            f"不支持的印章颜色“{value}”：请选择红色、蓝色或黑色。",
            value=value,
        )


class SealSizeOutOfRange(SealImageError):
    code = "seal_size_out_of_range"

    def __init__(self, size_mm: float, low: float, high: float):
        super().__init__(
            f"A seal of {size_mm:g} mm is outside {low:g}–{high:g} mm.",
            f"印章尺寸 {size_mm:g} mm 超出范围（{low:g}–{high:g} mm）。",
            size_mm=size_mm,
        )


# --- uploaded seal photos ---------------------------------------------------------------------

_USE_TEMPLATE_EN = " You can make the seal from a template instead."
_USE_TEMPLATE_ZH = "您可以改用模板制作印章。"


class UploadRejected(SealImageError):
    """An uploaded seal image we will not use; every message points to the template option."""

    code = "upload_rejected"
    message_en = "The uploaded image cannot be used as a seal." + _USE_TEMPLATE_EN
    message_zh = "上传的图片不能用作印章。" + _USE_TEMPLATE_ZH


class UploadTooLarge(UploadRejected):
    code = "upload_too_large"
    message_en = "The file is larger than 2 MB." + _USE_TEMPLATE_EN
    message_zh = "文件超过 2 MB。" + _USE_TEMPLATE_ZH


class UploadNotAnImage(UploadRejected):
    code = "upload_not_an_image"
    message_en = "The file is not a JPG or PNG image." + _USE_TEMPLATE_EN
    message_zh = "文件不是 JPG 或 PNG 图片。" + _USE_TEMPLATE_ZH


class UploadCorrupt(UploadRejected):
    code = "upload_corrupt"
    message_en = "The image file is damaged or incomplete." + _USE_TEMPLATE_EN
    message_zh = "图片文件已损坏或不完整。" + _USE_TEMPLATE_ZH


class UploadTooManyPixels(UploadRejected):
    code = "upload_too_many_pixels"
    message_en = "The image has too many pixels." + _USE_TEMPLATE_EN
    message_zh = "图片像素过多。" + _USE_TEMPLATE_ZH


class UploadTooSmall(UploadRejected):
    code = "upload_too_small"
    message_en = "The image is too small to show a seal clearly." + _USE_TEMPLATE_EN
    message_zh = "图片太小，无法清晰显示印章。" + _USE_TEMPLATE_ZH


class NotASeal(UploadRejected):
    code = "upload_not_a_seal"
    message_en = "No seal was found in the image." + _USE_TEMPLATE_EN
    message_zh = "图片中未找到印章。" + _USE_TEMPLATE_ZH


class NoSealInk(NotASeal):
    code = "upload_no_seal_ink"
    message_en = "No red, blue or black seal ink was found in the image." + _USE_TEMPLATE_EN
    message_zh = "图片中未找到红色、蓝色或黑色的印章印迹。" + _USE_TEMPLATE_ZH


class NoSealShape(NotASeal):
    code = "upload_no_seal_shape"
    message_en = "The ink in the image does not form a round or square seal." + _USE_TEMPLATE_EN
    message_zh = "图片中的印迹不是圆形或方形印章。" + _USE_TEMPLATE_ZH


# --- OCR checks -------------------------------------------------------------------------------


class TextMismatch(SealImageError):
    """OCR read something other than the expected name; `result` holds what was read."""

    code = "text_mismatch"

    def __init__(self, result: Any, message_en: str, message_zh: str):
        self.result = result
        super().__init__(message_en, message_zh, read=result.read, score=round(result.score, 3))


class SealTextMismatch(TextMismatch):
    code = "seal_text_mismatch"

    def __init__(self, result: Any):
        super().__init__(
            result,
            f"The seal text does not match the name {result.expected!r}." + _USE_TEMPLATE_EN,
            f"印章文字与名称“{result.expected}”不一致。" + _USE_TEMPLATE_ZH,
        )


class HandwritingMismatch(TextMismatch):
    code = "handwriting_mismatch"

    def __init__(self, result: Any):
        super().__init__(
            result,
            f"The signature does not read as {result.expected!r}; please write your name clearly.",
            f"手写签名无法识别为“{result.expected}”，请工整书写您的姓名。",
        )


class HandwritingEmpty(SealImageError):
    code = "handwriting_empty"
    message_en = "The signature is empty."
    message_zh = "手写签名为空。"
