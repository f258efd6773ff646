"""The sign-task errors: each carries its stable code and the message in the user's language."""

from __future__ import annotations

import logging

from inkseal.core.errors import DomainError, gettext_lazy

log = logging.getLogger(__name__)


class SpecInvalid(DomainError):
    code = "spec_invalid"
    default_message = gettext_lazy("签章参数（spec）有误。")


class ConfirmTokenExpired(DomainError):
    code = "confirm_token_expired"
    status = 410
    default_message = gettext_lazy("签章确认链接已过期，请交易平台重新发起签章。")


class ConfirmTokenUsed(DomainError):
    code = "confirm_token_used"
    status = 409
    default_message = gettext_lazy("该签章任务已确认过，链接不能重复使用。")


class IntentMissing(DomainError):
    code = "intent_not_confirmed"
    status = 409
    default_message = gettext_lazy("尚未完成意愿认证（短信验证码或 PIN 码）。")


class TaskNotReady(DomainError):
    code = "task_not_ready"
    status = 409
    default_message = gettext_lazy("文件尚未签署完成。")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 409
    default_message = gettext_lazy(
        "该 Idempotency-Key 已用于另一个签章请求（文件、证书或 spec 不同）。新的请求请使用新的 Idempotency-Key。"
    )


class SigningInternalError(DomainError):
    """An unexpected error signing one document (logged with its traceback; the user and the
    platform get this code, never the exception)."""

    code = "signing_internal_error"
    status = 500
    default_message = gettext_lazy("签章服务内部错误，请稍后重试。")


class SigningInterrupted(DomainError):
    """The worker signing the task stopped and the task could not be resumed."""

    code = "signing_interrupted"
    status = 500
    default_message = gettext_lazy("签章过程被中断，请重新发起签章。")


class TaskTakenOver(Exception):
    """This worker no longer holds the task (the recovery job took it over): stop, commit nothing."""


class DocumentPurged(DomainError):
    """The task's files were deleted when their retention period ended."""

    code = "document_purged"
    status = 410
    default_message = gettext_lazy("签署文件已超过保存期限并已删除。")
