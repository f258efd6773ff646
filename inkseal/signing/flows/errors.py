"""The sign-flow errors: each carries its stable code and the message in the user's language."""

from __future__ import annotations

from inkseal.core.errors import DomainError, gettext_lazy


class FlowSpecInvalid(DomainError):
    code = "flow_spec_invalid"
    status = 422
    default_message = gettext_lazy("签署流程参数（spec）有误。")


class FlowStepEmpty(DomainError):
    code = "flow_step_empty"
    status = 422
    default_message = gettext_lazy("签署步骤须从 1 开始连续编号，每一步至少有一个签署人（缺少第 %(step)s 步）。")


class FlowSignerDuplicate(DomainError):
    code = "flow_signer_duplicate"
    status = 422
    default_message = gettext_lazy("同一证书在签署流程中只能作为一个签署人（重复：signers[%(index)s]）。")


class FlowClosed(DomainError):
    """The flow ended (signed, refused, cancelled, expired or failed): nothing more may be signed."""

    code = "flow_closed"
    status = 409
    default_message = gettext_lazy("签署流程已结束，不能再签署或变更。")


class FlowSignerWaiting(DomainError):
    code = "flow_signer_waiting"
    status = 409
    default_message = gettext_lazy("前一步的签署人尚未全部签署，请等待轮到您时再签署。")


class FlowSignerDone(DomainError):
    code = "flow_signer_done"
    status = 409
    default_message = gettext_lazy("您已在该签署流程中确认过，链接不能重复使用。")


class FlowExpired(DomainError):
    code = "flow_expired"
    status = 410
    default_message = gettext_lazy("签署流程已过期，请交易平台重新发起。")


class RefusalReasonMissing(DomainError):
    code = "flow_refusal_reason_missing"
    default_message = gettext_lazy("拒签须填写原因（不超过 500 个字符）。")


class ReminderTooSoon(DomainError):
    code = "flow_reminder_limited"
    status = 429
    default_message = gettext_lazy("催签过于频繁：每位签署人每 %(minutes)s 分钟最多催签一次，共 %(limit)s 次。")


class SignerRefused(DomainError):
    """Kept on the flow when a signer refused (the reason is the signer's own text)."""

    code = "flow_signer_refused"
    status = 409
    default_message = gettext_lazy("签署人拒签。")


class FlowCancelled(DomainError):
    code = "flow_cancelled"
    status = 409
    default_message = gettext_lazy("签署流程已被交易平台取消。")
