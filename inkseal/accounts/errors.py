from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from inkseal.core.errors import DomainError, PermissionDenied

PHONE_OWNERSHIP_NOTE = _(
    "采购平台个人资料中使用的手机号，一定要在自己的名下：姓名、身份证、手机号都是同一个经办人的；"
    "否则办理证书进行实名认证时会出现无法认证通过，或认证后通过采购平台再次跳转还需实名的现象。"
)


class SsoError(DomainError):
    """A refused single sign-on; `code` says which check failed."""

    status = 403
    code = "sso_refused"
    default_message = _("单点登录失败，请回到交易平台重新点击“电子签章”。")


class IdentityConflict(DomainError):
    code = "identity_conflict"
    status = 409
    default_message = _("交易平台提供的姓名或证件号与该手机号已实名的用户不一致。")


class EnterpriseInvalid(DomainError):
    code = "enterprise_invalid"
    default_message = _("请输入企业名称（2–128个字）。")


class AddressInvalid(DomainError):
    code = "address_invalid"
    default_message = _("请完整填写收件人、所在地区和详细地址。")


class DutyRequired(PermissionDenied):
    """The identity lacks the seal duty (三权分立) the action needs; the message names it."""

    code = "duty_required"
    default_message = _("您在该企业没有执行此操作的角色。")


class DutiesConflict(DomainError):
    code = "duties_conflict"
    default_message = _("审计员不能同时担任印章管理员、用印人或审批人（三权分立）。")


class MemberDutiesDenied(PermissionDenied):
    code = "member_duties_denied"
    default_message = _("只有企业管理员（经办人）可以设置成员角色和三权分立。")


class SealUserRequired(PermissionDenied):
    """At the signing instant: the confirmer is not a seal user of the enterprise holding the seals."""

    code = "seal_user_required"
    default_message = _("确认人不是该企业的用印人：已启用三权分立的企业，只有用印人可以确认使用企业印章签章。")
