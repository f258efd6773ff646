"""Verification records: every attempt (method, provider, result, reason, time, consents), the
one-time phone links of the face flow, micro-deposits, and the document photos for review.

Personal numbers (ID, bank card) are stored encrypted with a masked copy for display; the
encryption purpose includes the row's public reference so ciphertexts cannot be moved around.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import Enterprise, Person


class Method(models.TextChoices):
    PHONE = "phone", _("手机号认证")
    FACE = "face", _("人脸认证")
    DOCUMENT = "document", _("证件人工审核")
    LEGAL_REP_PHONE = "legal_rep_phone", _("法定代表人手机号认证")
    BANK_CARD = "bank_card", _("法定代表人银行卡认证")
    LICENCE = "licence", _("单位证件认证")


PERSONAL_METHODS = {Method.PHONE, Method.FACE, Method.DOCUMENT}
REVIEWED_METHODS = {Method.DOCUMENT, Method.LICENCE}


class AttemptState(models.TextChoices):
    PENDING = "pending", _("认证中")
    SUCCEEDED = "succeeded", _("认证成功")
    FAILED = "failed", _("认证失败")
    CANCELLED = "cancelled", _("已取消")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    HK_MACAO_PERMIT = "hk_macao_permit", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan_permit", _("台湾居民来往大陆通行证")
    PASSPORT = "passport", _("护照")
    FOREIGN_RESIDENCE = "foreign_permanent_residence", _("外国人永久居留身份证")


class Liveness(models.TextChoices):
    SILENT = "silent", _("H5静默")
    BLINK = "blink", _("H5眨眼")


class VerificationAttempt(models.Model):
    """One try at verifying a person or an enterprise, whatever its outcome."""

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("业务编号"))
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="verification_attempts", verbose_name=_("申请人")
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verification_attempts",
        verbose_name=_("企业"),
    )
    method = models.CharField(_("认证方式"), max_length=32, choices=Method.choices)
    provider = models.CharField(_("服务商"), max_length=128)
    provider_reference = models.CharField(_("服务商流水号"), max_length=128, blank=True)
    state = models.CharField(_("结果"), max_length=16, choices=AttemptState.choices, default=AttemptState.PENDING)
    reason_code = models.CharField(max_length=64, blank=True, verbose_name=_("原因代码"))
    reason = models.CharField(_("原因"), max_length=255, blank=True)
    consents = models.JSONField(_("同意的协议版本"), default=dict, blank=True)
    # The person whose identity is checked: the applicant, or the enterprise's legal representative.
    name = models.CharField(_("姓名"), max_length=64)
    id_type = models.CharField(_("证件类型"), max_length=32, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number_enc = models.TextField(blank=True, verbose_name=_("证件号码（加密）"))
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("证件号码索引"))
    id_number_masked = models.CharField(_("证件号"), max_length=32, blank=True)
    phone_masked = models.CharField(_("手机号"), max_length=20, blank=True)
    details = models.JSONField(_("核验详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    reviewed_by = models.CharField(_("审核人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("认证记录")
        verbose_name_plural = _("认证记录")
        permissions = [("review_verificationattempt", _("可审核实名认证"))]
        indexes = [models.Index(fields=["person", "created_at"]), models.Index(fields=["state", "method"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} · {self.name} · {self.get_state_display()}"

    @property
    def is_pending(self) -> bool:
        return self.state == AttemptState.PENDING

    @property
    def succeeded(self) -> bool:
        return self.state == AttemptState.SUCCEEDED

    @property
    def subject_label(self) -> str:
        return self.enterprise.name if self.enterprise_id and self.enterprise else str(self.person)


class PendingReview(VerificationAttempt):
    """The back office's review queue: document and licence cases waiting for an operator."""

    class Meta:
        proxy = True
        verbose_name = _("待审核实名认证")
        verbose_name_plural = _("待审核实名认证")


class FaceLink(models.Model):
    """The one-time link in the QR code that opens the recording page on a phone.

    Only the token's SHA-256 is stored; the token itself appears once, in the QR code.
    """

    attempt = models.ForeignKey(
        VerificationAttempt, on_delete=models.CASCADE, related_name="face_links", verbose_name=_("认证申请")
    )
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("令牌摘要"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))
    expires_at = models.DateTimeField(verbose_name=_("过期时间"))
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("打开时间"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("使用时间"))

    class Meta:
        verbose_name = _("人脸识别链接")
        verbose_name_plural = _("人脸识别链接")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"face link #{self.pk} for attempt #{self.attempt_id}"


class MicroDeposit(models.Model):
    """The random amount paid into the legal representative's card; only its keyed hash is kept."""

    attempt = models.OneToOneField(
        VerificationAttempt, on_delete=models.CASCADE, related_name="micro_deposit", verbose_name=_("认证申请")
    )
    card_number_enc = models.TextField(verbose_name=_("银行卡号（加密）"))
    card_number_masked = models.CharField(_("银行卡号"), max_length=32)
    amount_hash = models.CharField(max_length=64, verbose_name=_("金额摘要"))
    failed_tries = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    expires_at = models.DateTimeField(verbose_name=_("过期时间"))
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("确认时间"))

    class Meta:
        verbose_name = _("银行卡打款验证")
        verbose_name_plural = _("银行卡打款验证")

    def __str__(self) -> str:
        return f"{self.card_number_masked} ({self.failed_tries})"


class IdentityDocument(models.Model):
    """A photo submitted with an attempt (ID card sides, licence); the file is encrypted at rest."""

    class Kind(models.TextChoices):
        ID_FRONT = "id_front", _("身份证人像面")
        ID_BACK = "id_back", _("身份证国徽面")
        LICENCE = "licence", _("营业执照/单位证件")
        PERSON_DOCUMENT = "person_document", _("证件照片")

    attempt = models.ForeignKey(
        VerificationAttempt, on_delete=models.CASCADE, related_name="documents", verbose_name=_("认证申请")
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    storage_name = models.CharField(max_length=255, verbose_name=_("存储文件名"))
    content_type = models.CharField(max_length=32, verbose_name=_("文件类型"))
    size = models.PositiveIntegerField(verbose_name=_("大小"))
    width = models.PositiveIntegerField(verbose_name=_("宽度"))
    height = models.PositiveIntegerField(verbose_name=_("高度"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["attempt", "kind"]
        verbose_name = _("认证材料")
        verbose_name_plural = _("认证材料")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
