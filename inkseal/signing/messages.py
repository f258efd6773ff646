"""User-facing (translated) messages for the signing core's refusals, by stable code."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from inkseal.core.errors import DomainError

MESSAGES: dict[str, Promise] = {
    "pdf_invalid": _("文件无法签章。"),
    "pdf_malformed": _("文件不是有效的 PDF 或已损坏。"),
    "pdf_not_pdf": _("文件不是 PDF。"),
    "pdf_truncated": _("PDF 文件不完整（已截断）。"),
    "pdf_encrypted": _("PDF 已加密，请上传未加密的文件。"),
    "pdf_too_large": _("文件过大。"),
    "pdf_too_many_pages": _("文件页数过多。"),
    "pdf_too_complex": _("文件结构过于复杂，超出了处理限额（CPU 时间、内存或处理时间）。"),
    "pdf_parser_busy": _("当前待处理的文件较多，请稍后重试。"),
    "pdf_locked": _("文件已被认证签名锁定，不能再签章。"),
    "pdf_locked_for_annotations": _("文件的认证签名不允许添加骑缝章。"),
    "pdf_form_appearance_unavailable": _(
        "文件中的表单域无法固定显示内容，签章后显示会与签章前不同，请在编辑软件中将表单拼合（扁平化）后再上传。"
    ),
    "placement_invalid": _("签章位置参数有误。"),
    "placement_missing": _("每个文件至少需要一个签章位置。"),
    "placement_page_out_of_range": _("签章页码超出文件页数。"),
    "placement_off_page": _("印章超出页面范围，请调整坐标。"),
    "placement_keyword_not_found": _("文件中未找到定位关键字。"),
    "seal_image_invalid": _("印章图片无效。"),
    "signer_unsupported": _("证书的密钥算法暂不支持 PDF 签章。"),
    "timestamp_failed": _("时间戳服务暂不可用，请稍后重试。"),
    "revocation_info_unavailable": _("无法获取证书吊销信息（B-LT）。"),
}


def localised(exc: DomainError) -> DomainError:
    """The same error with a message in the user's language (the core speaks English)."""
    message = MESSAGES.get(exc.code)
    if message is None:
        return exc
    details = {**exc.details, "detail": str(exc.message)}
    return type(exc)(str(message), code=exc.code, status=exc.status, **details)
