"""Sign tasks from trading platforms, their documents, the application records (应用记录) every
signature writes, and the callback deliveries (a persistent job table with retries)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import Party, Person
from inkseal.pki.models import Certificate
from inkseal.platforms.models import TradingPlatform


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    SIGNING = "signing", _("签章中")
    COMPLETED = "completed", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")  # never confirmed before its confirm link expired


class IntentMethod(models.TextChoices):
    SMS = "sms", _("短信验证码")
    PIN = "pin", _("PIN码")


SELF_SERVICE_PLATFORM = "自助签署"  # 交易平台 of a task the holder started in the portal (stored as data)


class SignTask(models.Model):
    public_id = models.CharField(max_length=32, unique=True, verbose_name=_("公开编号"))
    # None: self-service (自助签署) started in the portal by `requested_by`; API lookups always filter
    # on a platform, so they never see these.
    platform = models.ForeignKey(
        TradingPlatform,
        on_delete=models.PROTECT,
        related_name="sign_tasks",
        null=True,
        blank=True,
        verbose_name=_("交易平台"),
    )
    requested_by = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="self_sign_tasks",
        verbose_name=_("发起人"),
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="sign_tasks", verbose_name=_("证书")
    )
    confirmer_name = models.CharField(_("被授权人"), max_length=64)
    confirmer_phone = models.CharField(_("被授权人手机号"), max_length=20)
    idempotency_key = models.CharField(max_length=128, blank=True, verbose_name=_("幂等键"))
    # SHA-256 over the request (files' SHA-256 and the spec): a reused Idempotency-Key must name the same request
    request_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("请求SHA-256"))
    spec = models.JSONField(default=dict, verbose_name=_("任务参数"))
    pades_level = models.CharField(_("PAdES 级别"), max_length=8, default="B-T")
    business_type = models.CharField(_("业务类型"), max_length=64, blank=True)
    business_id = models.CharField(_("业务ID"), max_length=128, blank=True)
    callback_url = models.URLField(_("回调地址"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    failure_code = models.CharField(max_length=64, blank=True, verbose_name=_("失败代码"))
    failure_reason = models.CharField(_("失败原因"), max_length=500, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("令牌摘要"))
    token_enc = models.TextField(
        editable=False, verbose_name=_("令牌（加密）")
    )  # returned again for a repeated Idempotency-Key
    token_expires_at = models.DateTimeField(verbose_name=_("令牌过期时间"))
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("确认时间"))
    intent_method = models.CharField(
        max_length=8, choices=IntentMethod.choices, blank=True, verbose_name=_("意愿认证方式")
    )
    confirm_ip = models.CharField(max_length=64, blank=True, verbose_name=_("确认IP"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("完成时间"))
    # while "signing": the worker holding the task (a random id) and its last sign of life, renewed
    # before each document; the recovery job takes over a task whose heartbeat stopped
    lease = models.CharField(max_length=32, blank=True, verbose_name=_("执行租约"))
    heartbeat_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("心跳时间"))
    recoveries = models.PositiveSmallIntegerField(default=0, verbose_name=_("恢复次数"))

    class Meta:
        verbose_name = _("签章任务")
        verbose_name_plural = _("签章任务")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="sign_task_idempotency",
            )
        ]

    def __str__(self) -> str:
        return self.public_id

    @cached_property
    def documents_in_order(self) -> list[SignDocument]:
        """The documents in the order of `files`, read once per instance; whoever creates or signs
        them assigns the list they hold (the same objects, their states kept up to date)."""
        return list(self.documents.order_by("number"))

    @property
    def is_self_service(self) -> bool:
        return self.platform_id is None

    @property
    def platform_name(self) -> str:
        return self.platform.name if self.platform is not None else SELF_SERVICE_PLATFORM


class SignDocument(models.Model):
    task = models.ForeignKey(SignTask, on_delete=models.CASCADE, related_name="documents", verbose_name=_("签章任务"))
    number = models.PositiveIntegerField(verbose_name=_("序号"))  # 1-based, the order of `files`
    name = models.CharField(_("文件名称"), max_length=255)
    original = models.FileField(upload_to="signing/original/%Y/%m/", blank=True, verbose_name=_("原文件"))
    signed = models.FileField(upload_to="signing/signed/%Y/%m/", blank=True, verbose_name=_("已签署文件"))
    placements = models.JSONField(default=list, verbose_name=_("盖章位置"))
    pages = models.PositiveIntegerField(default=0, verbose_name=_("页数"))
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING, verbose_name=_("状态")
    )
    error = models.CharField(max_length=500, blank=True, verbose_name=_("错误"))
    sha256_before = models.CharField(max_length=64, verbose_name=_("签署前SHA-256"))
    sha256_after = models.CharField(max_length=64, blank=True, verbose_name=_("签署后SHA-256"))
    purged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("清除时间"))

    class Meta:
        verbose_name = _("签章文件")
        verbose_name_plural = _("签章文件")
        ordering = ["task", "number"]
        constraints = [models.UniqueConstraint(fields=["task", "number"], name="sign_document_number")]

    def __str__(self) -> str:
        return self.name


class TaskApproval(models.Model):
    """用印审批: a document of a task waits for this approval of one of its seals (a request
    bound to the document's SHA-256 and its placements' digest; signing.tasks.approvals)."""

    task = models.ForeignKey(SignTask, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("签章任务"))
    document = models.ForeignKey(SignDocument, on_delete=models.CASCADE, related_name="+", verbose_name=_("签章文件"))
    approval = models.ForeignKey(
        "seals.SealApproval", on_delete=models.PROTECT, related_name="+", verbose_name=_("用印审批")
    )

    class Meta:
        verbose_name = _("签章任务的用印审批")
        verbose_name_plural = _("签章任务的用印审批")
        constraints = [models.UniqueConstraint(fields=["document", "approval"], name="task_approval_unique")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.approval_id}"


class SigningRecord(models.Model):
    """应用记录: one per signed (or refused) document; kept after the files are purged."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")

    event_id = models.CharField(_("事件ID"), max_length=64, unique=True)
    holder = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="signing_records", verbose_name=_("持有人")
    )
    task = models.ForeignKey(
        SignTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="records", verbose_name=_("签章任务")
    )
    document = models.ForeignKey(
        SignDocument, on_delete=models.SET_NULL, null=True, blank=True, related_name="records", verbose_name=_("文件")
    )
    platform_name = models.CharField(_("交易平台"), max_length=128)
    business_type = models.CharField(_("业务类型"), max_length=64, blank=True)
    user_name = models.CharField(_("使用人姓名"), max_length=64)
    medium = models.CharField(_("介质"), max_length=16)
    certificate_serial = models.CharField(_("序列号"), max_length=64)
    seal_types = models.CharField(_("印章类型"), max_length=255)
    file_name = models.CharField(_("文件名称"), max_length=255)
    at = models.DateTimeField(_("操作时间"), db_index=True)
    sha256_before = models.CharField(_("签署前 SHA-256"), max_length=64)
    sha256_after = models.CharField(_("签署后 SHA-256"), max_length=64, blank=True)
    intent_method = models.CharField(_("意愿认证方式"), max_length=8, choices=IntentMethod.choices)
    ip = models.CharField(_("IP地址"), max_length=64, blank=True)
    result = models.CharField(_("结果"), max_length=16, choices=Result.choices)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    pades_level = models.CharField(_("PAdES 级别"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("应用记录")
        verbose_name_plural = _("应用记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return self.event_id

    # The record keeps 交易平台, 介质 and 印章类型 as the Chinese text of the moment it was made
    # (evidence does not change); shown here in the reader's language.
    @property
    def platform_label(self) -> str:
        return str(_("自助签署")) if self.platform_name == SELF_SERVICE_PLATFORM else self.platform_name

    @property
    def medium_label(self) -> str:
        return _stored_label(self.medium, Certificate.Medium.labels)

    @property
    def seal_types_label(self) -> str:
        from inkseal.seals.models import SealType

        parts = [_stored_label(part, SealType.labels) for part in self.seal_types.split("、") if part]
        return str(_("、")).join(parts)


def _stored_label(text: str, labels: list[Any]) -> str:
    """A choice label stored as its Chinese text, translated; any other text as it is."""
    with translation.override("zh-hans"):
        by_source = {str(label): label for label in labels}
    return str(by_source.get(text, text))


class CallbackDelivery(models.Model):
    """A callback to the task's platform and how its delivery went (the back office lists them):
    written when the task finishes, then by the delivery job on Huey at each attempt, retried
    with backoff until the platform answers 2xx or CALLBACK_MAX_ATTEMPTS is reached.

    `ticket` names the one queued attempt allowed to run: an operator's retry or the sweep of
    stranded deliveries replaces it, so an attempt queued earlier finds it changed and does nothing."""

    class State(models.TextChoices):
        PENDING = "pending", _("待投递")
        DELIVERED = "delivered", _("已送达")
        GAVE_UP = "gave_up", _("已放弃")

    task = models.ForeignKey(
        SignTask, on_delete=models.CASCADE, null=True, blank=True, related_name="callbacks", verbose_name=_("签章任务")
    )
    # a sign flow's callbacks (one per signer event and one when it ends) have no task
    flow = models.ForeignKey(
        "signing.SignFlow",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("签署流程"),
    )
    url = models.URLField(_("回调地址"), max_length=500)
    body = models.TextField(verbose_name=_("内容"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), db_index=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    ticket = models.CharField(_("投递凭据"), max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = _("回调投递")
        verbose_name_plural = _("回调投递")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_id or self.flow_id} → {self.url}"


class ElectronicSignature(models.Model):
    """电子签章数据 (GB/T 38540 SES_Signature) of an SM2 signature, kept with its 应用记录: one per
    seal the document was sealed with (公章 + 法定代表人章 make two), each carrying that seal's
    electronic seal and signing the same signed PDF.

    A table of its own rather than a column of SigningRecord: each one embeds the seal picture and
    certificates (tens of kilobytes), which record lists should not load."""

    record = models.ForeignKey(
        SigningRecord, on_delete=models.PROTECT, related_name="electronic_signatures", verbose_name=_("应用记录")
    )
    # the seal whose electronic seal it carries (null only for rows made before seals were kept)
    seal = models.ForeignKey(
        "seals.Seal", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("印章")
    )
    der = models.BinaryField(verbose_name=_("DER编码"))
    es_id = models.CharField(_("电子印章标识"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("电子签章数据")
        verbose_name_plural = _("电子签章数据")
        ordering = ["record", "pk"]  # the seals' placement order
        constraints = [models.UniqueConstraint(fields=["record", "es_id"], name="electronic_signature_per_seal")]

    def __str__(self) -> str:
        return f"{self.record_id} · {self.es_id}"


from inkseal.signing.flows.models import FlowDocument, FlowSigner, FlowStatus, SignFlow  # noqa: E402, F401 - sign flows
