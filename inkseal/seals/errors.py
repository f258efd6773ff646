"""Seal refusals of the Django layer. The pure modules' refusals (render, imports, checks) are
in seals.image_errors, each with its message; services call `localised()` on them."""

from __future__ import annotations

from inkseal.core.errors import Conflict, DomainError, NotFound, PermissionDenied, gettext_lazy


class SealNotFound(NotFound):
    code = "seal_not_found"
    default_message = gettext_lazy("印章不存在。")


class SealInactive(DomainError):
    """The seal exists but may not be used or changed in its present state (作废, 待变更)."""

    code = "seal_inactive"
    status = 409
    default_message = gettext_lazy("该印章当前不可使用或修改（已作废或待变更）。")


class SealTypeTaken(Conflict):
    code = "seal_type_taken"
    default_message = gettext_lazy("已有可用的同类印章：请使用“修改/变更”，或先作废原印章。")


class SealKindNotAllowed(PermissionDenied):
    code = "seal_kind_not_allowed"
    default_message = gettext_lazy("当前身份不能制作该类型的印章。")


class SealManageDenied(PermissionDenied):
    code = "seal_manage_denied"
    default_message = gettext_lazy("只有企业的印章管理员可以制作、变更或作废企业印章。")


class SealNotBound(DomainError):
    """The seal is not bound to the certificate that would sign with it (绑定印章 first)."""

    code = "seal_not_bound"
    status = 409
    default_message = gettext_lazy("印章未绑定到该证书，请先在印章管理中绑定。")


class BindingCertificateUnusable(DomainError):
    """Binding a seal to a certificate that is revoked, expired or not a signing certificate."""

    code = "certificate_unusable"
    status = 409
    default_message = gettext_lazy("证书已吊销或已过期，不能再绑定印章。")


class SealRequestInvalid(DomainError):
    code = "seal_request_invalid"
    default_message = gettext_lazy("印章请求参数有误。")


class RiskNoticeNotAccepted(DomainError):
    code = "risk_notice_required"
    default_message = gettext_lazy("请先阅读并勾选风险提示，再上传印章图片。")


class SealShapeMismatch(DomainError):
    code = "upload_wrong_shape"
    default_message = gettext_lazy("上传的印章形状与印章类型不符。")


class LoginRequired(DomainError):
    code = "login_required"
    status = 401
    default_message = gettext_lazy("请先登录。")


class SealParamsInvalid(SealRequestInvalid):
    """A preview request (the seals API) with a parameter out of its form."""

    code = "invalid_params"
    default_message = gettext_lazy("印章参数有误。")


class LegalRepMissing(SealRequestInvalid):
    code = "legal_rep_missing"
    default_message = gettext_lazy("企业信息中没有法定代表人姓名，无法制作法定代表人章。")


class VoidNotConfirmed(SealRequestInvalid):
    code = "void_not_confirmed"
    default_message = gettext_lazy("请确认作废该印章。")


class HandwrittenSignatureInvalid(SealRequestInvalid):
    """The handwritten signature's image is not a usable picture (too large, unreadable)."""

    code = "handwriting_invalid"
    default_message = gettext_lazy("签名图片无效，请重新书写后保存。")


class ApprovalDecided(Conflict):
    code = "seal_approval_decided"
    default_message = gettext_lazy("该用印申请已处理。")


class ApprovalInvalid(DomainError):
    code = "seal_approval_invalid"
    default_message = gettext_lazy("用印申请无效：文件摘要和签章位置摘要须为 64 位十六进制 SHA-256。")


class ApprovalPending(Conflict):
    """The seal needs 用印审批 and the exact document and placements have no approval yet."""

    code = "seal_approval_pending"
    default_message = gettext_lazy("该印章的使用需要审批，审批人尚未同意。")


class ApprovalRejected(PermissionDenied):
    code = "seal_approval_rejected"
    default_message = gettext_lazy("用印申请已被审批人驳回。")


class ApprovalDenied(PermissionDenied):
    code = "seal_approval_denied"
    default_message = gettext_lazy("您不是该用印申请的审批人。")


class ApprovalNotFound(NotFound):
    code = "seal_approval_not_found"
    default_message = gettext_lazy("用印申请不存在。")
