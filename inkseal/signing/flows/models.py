"""Sign flows (签署流程): several signers on the same documents, in steps (same step: in parallel,
会签; steps in order). Each signer signs through a sign task of its own (SignTask, one SignDocument
per flow document it places seals on), so confirmation, the signing instant's checks, records and
seal usages are the sign task's; the flow document keeps the current version that the next
signature is applied to, one signer at a time (its row is locked while a signature is applied)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from inkseal.pki.models import Certificate
from inkseal.platforms.models import TradingPlatform
from inkseal.signing.models import SignTask


class FlowStatus(models.TextChoices):
    PENDING = "pending", _("待签署")
    WAITING = "waiting", _("等待前序签署")  # a signer whose step has not come yet
    SIGNING = "signing", _("签章中")  # a signer who confirmed: the signature is being applied
    SIGNED = "signed", _("已签署")
    REFUSED = "refused", _("已拒签")
    EXPIRED = "expired", _("已过期")
    CANCELLED = "cancelled", _("已取消")
    FAILED = "failed", _("失败")


class SignFlow(models.Model):
    public_id = models.CharField(max_length=32, unique=True, verbose_name=_("公开编号"))
    platform = models.ForeignKey(
        TradingPlatform, on_delete=models.PROTECT, related_name="sign_flows", verbose_name=_("交易平台")
    )
    idempotency_key = models.CharField(max_length=128, blank=True, verbose_name=_("幂等键"))
    request_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("请求SHA-256"))
    spec = models.JSONField(default=dict, verbose_name=_("流程参数"))
    pades_level = models.CharField(_("PAdES 级别"), max_length=8, default="B-T")
    business_type = models.CharField(_("业务类型"), max_length=64, blank=True)
    business_id = models.CharField(_("业务ID"), max_length=128, blank=True)
    callback_url = models.URLField(_("回调地址"), max_length=500, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=FlowStatus.choices, default=FlowStatus.PENDING)
    reason_code = models.CharField(_("原因代码"), max_length=64, blank=True)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    completed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签署流程")
        verbose_name_plural = _("签署流程")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="sign_flow_idempotency",
            )
        ]

    def __str__(self) -> str:
        return self.public_id


class FlowDocument(models.Model):
    """A document of a flow and its current version: the original, then each signer's signed
    file in turn. Its row is the lock that serialises the signatures applied to it."""

    flow = models.ForeignKey(SignFlow, on_delete=models.CASCADE, related_name="documents", verbose_name=_("签署流程"))
    number = models.PositiveIntegerField(verbose_name=_("序号"))  # 1-based, the order of `files`
    name = models.CharField(_("文件名称"), max_length=255)
    original = models.FileField(upload_to="signing/flows/%Y/%m/", verbose_name=_("原文件"))
    current = models.FileField(upload_to="signing/flows/%Y/%m/", verbose_name=_("当前版本"))
    version = models.PositiveIntegerField(default=0, verbose_name=_("已签次数"))
    pages = models.PositiveIntegerField(default=0, verbose_name=_("页数"))
    sha256_original = models.CharField(max_length=64, verbose_name=_("原文件SHA-256"))
    sha256_current = models.CharField(max_length=64, verbose_name=_("当前版本SHA-256"))
    purged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("清除时间"))

    class Meta:
        verbose_name = _("流程文件")
        verbose_name_plural = _("流程文件")
        ordering = ["flow", "number"]
        constraints = [models.UniqueConstraint(fields=["flow", "number"], name="flow_document_number")]

    def __str__(self) -> str:
        return self.name


class FlowSigner(models.Model):
    flow = models.ForeignKey(SignFlow, on_delete=models.CASCADE, related_name="signers", verbose_name=_("签署流程"))
    number = models.PositiveIntegerField(verbose_name=_("序号"))  # 1-based, the order of `signers`
    step = models.PositiveIntegerField(verbose_name=_("步骤"))
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="flow_signers", verbose_name=_("证书")
    )
    # the signer's own sign task: its confirmation, documents (one per flow document it seals), records
    task = models.OneToOneField(
        SignTask, on_delete=models.PROTECT, related_name="flow_signer", verbose_name=_("签章任务")
    )
    confirmer_name = models.CharField(_("被授权人"), max_length=64)
    confirmer_phone = models.CharField(_("被授权人手机号"), max_length=20)
    status = models.CharField(_("状态"), max_length=16, choices=FlowStatus.choices, default=FlowStatus.WAITING)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("令牌摘要"))
    token_enc = models.TextField(editable=False, verbose_name=_("令牌（加密）"))
    signed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("签署时间"))
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("通知时间"))
    reminders = models.PositiveSmallIntegerField(default=0, verbose_name=_("催签次数"))
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近催签时间"))

    class Meta:
        verbose_name = _("流程签署人")
        verbose_name_plural = _("流程签署人")
        ordering = ["flow", "number"]
        constraints = [models.UniqueConstraint(fields=["flow", "number"], name="flow_signer_number")]

    def __str__(self) -> str:
        return f"{self.flow_id} · {self.number}"
