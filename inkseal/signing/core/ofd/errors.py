"""Refusals of the OFD core, each with a stable code (see inkseal.core.errors). Pure."""

from __future__ import annotations

from inkseal.core.errors import DomainError, gettext_lazy


class OfdError(DomainError):
    """The uploaded file cannot be read or signed as an OFD document."""

    code = "ofd_invalid"
    speaks_english = True  # raised with English for logs; localised() gives users the message below
    default_message = gettext_lazy("无法读取或签署该 OFD 文件。")


class OfdMalformed(OfdError):
    """A ZIP that is not a readable OFD package (XML, structure, references)."""

    code = "ofd_malformed"
    default_message = gettext_lazy("OFD 文件结构有误，无法读取。")


class OfdNotOfd(OfdMalformed):
    """Not a ZIP at all, or a ZIP without OFD.xml."""

    code = "ofd_not_ofd"
    default_message = gettext_lazy("上传的文件不是 OFD 文件。")


class OfdTruncated(OfdMalformed):
    code = "ofd_truncated"
    default_message = gettext_lazy("OFD 文件不完整（可能上传中断或已损坏）。")


class OfdUnsafePath(OfdMalformed):
    """An entry name that could escape the package: `..`, absolute, drive letters, backslashes."""

    code = "ofd_unsafe_path"
    default_message = gettext_lazy("OFD 文件包含不安全的路径，已拒绝。")


class OfdDuplicateEntry(OfdMalformed):
    """Two entries with the same name: readers would disagree on which one is the document."""

    code = "ofd_duplicate_entry"
    default_message = gettext_lazy("OFD 文件包含重名的条目，已拒绝。")


class OfdEncrypted(OfdError):
    code = "ofd_encrypted"
    default_message = gettext_lazy("不支持加密的 OFD 文件。")


class OfdTooLarge(OfdError):
    code = "ofd_too_large"
    status = 413
    default_message = gettext_lazy("OFD 文件过大。")


class OfdZipBomb(OfdTooLarge):
    """Declared or actual sizes beyond the limits, or a compression ratio no document has."""

    code = "ofd_zip_bomb"
    default_message = gettext_lazy("OFD 文件解压后过大或条目过多，已拒绝。")


class OfdLocked(OfdError):
    """An existing signature protects Signatures.xml: another seal would break it."""

    code = "ofd_locked"
    status = 409
    default_message = gettext_lazy("该 OFD 文件已有签章保护了需要修改的内容，再次签章会使其失效。")


class OfdSealNotForSigner(OfdError):
    """The seal does not list the signer's certificate, or the key does not match it."""

    code = "ofd_seal_not_for_signer"
    status = 409
    default_message = gettext_lazy("该电子印章不属于签章者的证书。")


class OfdTimestampUnsupported(OfdError):
    """GM/T 0031 signatures have no field for a time stamp."""

    code = "ofd_timestamp_unsupported"
    status = 422
    default_message = gettext_lazy("GM/T 0031 格式的电子签章不支持时间戳。")


class OfdTooManyPages(OfdError):
    code = "ofd_too_many_pages"
    default_message = gettext_lazy("OFD 文件页数过多。")


class OfdNoPages(OfdMalformed):
    """A document without any page: nothing to put a seal on."""

    code = "ofd_no_pages"
    default_message = gettext_lazy("OFD 文件中没有页面，无法签章。")


class OfdCertificateNotSm2(OfdError):
    """OFD seals are GB/T 38540 electronic seals, SM2 by definition; an RSA or ECDSA certificate
    would need a GB/T 35275 `Type="Sign"` signature, which the platform does not write."""

    code = "ofd_certificate_not_sm2"
    status = 422
    default_message = gettext_lazy(
        "OFD 文件只能使用 SM2（国密）证书签章（GB/T 38540 电子签章）；请选择 SM2 证书，或改为上传 PDF 文件。"
    )
