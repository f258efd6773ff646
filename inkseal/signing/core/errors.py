"""Refusals of the PDF signing core, each with a stable code and the message users read (see
inkseal.core.errors). The core raises them with English text for logs; the services call
`localised()` so that users read the message here, in their language."""

from __future__ import annotations

from inkseal.core.errors import DomainError, gettext_lazy


class PdfError(DomainError):
    """The uploaded file cannot be signed as it is."""

    code = "pdf_invalid"
    speaks_english = True
    default_message = gettext_lazy("无法处理该 PDF 文件。")


class PdfMalformed(PdfError):
    code = "pdf_malformed"
    default_message = gettext_lazy("文件不是有效的 PDF 或已损坏。")


class PdfNotPdf(PdfMalformed):
    code = "pdf_not_pdf"
    default_message = gettext_lazy("该文件不是 PDF 文件。")


class PdfTruncated(PdfMalformed):
    code = "pdf_truncated"
    default_message = gettext_lazy("PDF 文件不完整（可能上传中断或已截断）。")


class PdfTooComplex(PdfError):
    """Reading the PDF needed more CPU time, wall-clock time or memory than its budget allows."""

    code = "pdf_too_complex"
    status = 422
    default_message = gettext_lazy("文件结构过于复杂，超出了处理限额（CPU 时间、内存或处理时间）。")


class PdfParserBusy(PdfError):
    """Every parse slot of this web process is taken (PDF_PARSE_CONCURRENCY) and none freed within
    PDF_PARSE_QUEUE_SECONDS: try again shortly (503 with Retry-After)."""

    code = "pdf_parser_busy"
    status = 503
    default_message = gettext_lazy("当前待处理的文件较多，请稍后重试。")


class PdfEncrypted(PdfError):
    """Encrypted and no (or a wrong) password was given."""

    code = "pdf_encrypted"
    default_message = gettext_lazy("PDF 已加密，请上传未加密的文件。")


class PdfPasswordWrong(PdfEncrypted):
    code = "pdf_password_wrong"
    default_message = gettext_lazy("PDF 打开密码不正确。")


class PdfTooLarge(PdfError):
    code = "pdf_too_large"
    status = 413
    default_message = gettext_lazy("文件过大。")


class PdfTooManyPages(PdfError):
    code = "pdf_too_many_pages"
    default_message = gettext_lazy("文件页数过多。")


class PdfLocked(PdfError):
    """An existing certification signature forbids any further change."""

    code = "pdf_locked"
    status = 409
    default_message = gettext_lazy("文件已被认证签名锁定，不能再签章。")


class PdfSigningNotPermitted(PdfLocked):
    """The document's permissions (its encryption dictionary) forbid signing."""

    code = "pdf_signing_not_permitted"
    default_message = gettext_lazy("文件的权限设置不允许签章。")


class PdfLockedForAnnotations(PdfLocked):
    """The certification signature allows form filling but no new annotations (cross-page seals)."""

    code = "pdf_locked_for_annotations"
    default_message = gettext_lazy("文件的认证签名不允许添加骑缝章。")


class FormAppearanceUnavailable(PdfError):
    """The form leaves drawing its fields to the viewer, and they could not be drawn for good
    before signing: signing would make the document show something else than the signer saw."""

    code = "pdf_form_appearance_unavailable"
    status = 422
    default_message = gettext_lazy(
        "文件中的表单域无法固定显示内容，签章后显示会与签章前不同，请在编辑软件中将表单拼合（扁平化）后再上传。"
    )


class PlacementError(DomainError):
    code = "placement_invalid"
    speaks_english = True
    default_message = gettext_lazy("签章位置参数有误。")


class PlacementMissing(PlacementError):
    code = "placement_missing"
    default_message = gettext_lazy("每个文件至少需要一个签章位置。")


class CrossPageTooFewPages(PlacementError):
    code = "placement_cross_page_too_few"
    default_message = gettext_lazy("骑缝章需要文件至少有两页。")


class PageOutOfRange(PlacementError):
    code = "placement_page_out_of_range"
    default_message = gettext_lazy("签章页码超出文件页数。")


class PlacementOffPage(PlacementError):
    code = "placement_off_page"
    default_message = gettext_lazy("印章超出页面范围，请调整坐标。")


class KeywordNotFound(PlacementError):
    code = "placement_keyword_not_found"
    default_message = gettext_lazy("文件中未找到定位关键字。")


class SealImageInvalid(DomainError):
    code = "seal_image_invalid"
    speaks_english = True
    default_message = gettext_lazy("印章图片无效。")


class SignerUnsupported(DomainError):
    code = "signer_unsupported"
    speaks_english = True
    default_message = gettext_lazy("证书的密钥算法暂不支持 PDF 签章。")


class SignerCertificateInvalid(DomainError):
    """The signer's certificate does not validate (untrusted, expired, revoked) at signing time."""

    code = "signer_certificate_invalid"
    speaks_english = True
    status = 409
    default_message = gettext_lazy("签章证书无效（不受信任、已过期或已吊销）。")


class TimestampFailed(DomainError):
    """The time-stamping authority did not answer with a usable token."""

    code = "timestamp_failed"
    speaks_english = True
    status = 503
    default_message = gettext_lazy("时间戳服务暂不可用，请稍后重试。")


class RevocationInfoUnavailable(DomainError):
    """B-LT asked for, but the OCSP/CRL data to embed could not be gathered."""

    code = "revocation_info_unavailable"
    speaks_english = True
    status = 503
    default_message = gettext_lazy("无法获取证书吊销信息（B-LT）。")
