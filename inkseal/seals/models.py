"""Seals (印章) owned by a person or an enterprise, and the record of each use in a signature.

A seal's state machine lives in states.py (SEAL), as data; services.py performs the moves.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import Party, Person


class SealType(models.TextChoices):
    """What a seal is for; one live seal per type and owner. The values are the codes the
    signing API uses. A 人名章 is one type whether square or strip (see `template_kind`)."""

    OFFICIAL = "official", _("公章")
    LEGAL_REPRESENTATIVE = "legal_representative", _("法定代表人章")
    CONTRACT = "contract", _("合同专用章")
    FINANCE = "finance", _("财务专用章")
    NAME = "name", _("人名章")
    HANDWRITING = "handwriting", _("手写签名")


ENTERPRISE_TYPES = (SealType.OFFICIAL, SealType.LEGAL_REPRESENTATIVE, SealType.CONTRACT, SealType.FINANCE)
PERSONAL_TYPES = (SealType.NAME, SealType.HANDWRITING)


class SealSource(models.TextChoices):
    TEMPLATE = "template", _("模板制作")
    UPLOAD = "upload", _("上传图章")
    HANDWRITING = "handwriting", _("手写")


class SealState(models.TextChoices):
    ACTIVE = "active", _("可用")
    PENDING_CHANGE = "pending_change", _("待变更")
    VOID = "void", _("作废")


LIVE_STATES = (SealState.ACTIVE, SealState.PENDING_CHANGE)


class Seal(models.Model):
    owner = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="seals", verbose_name=_("所属主体"))
    kind = models.CharField(_("印章类型"), max_length=32, choices=SealType.choices)
    source = models.CharField(_("制章方式"), max_length=16, choices=SealSource.choices)
    name = models.CharField(_("印章文字"), max_length=128, help_text=_("刻在印章上的名称，或手写签名的姓名。"))
    # The template the image was drawn from (render_spec.SealKind code, e.g. name_square); blank otherwise.
    template_kind = models.CharField(_("模板"), max_length=32, blank=True)
    color = models.CharField(_("颜色"), max_length=8, default="red")
    border = models.CharField(_("边框"), max_length=8, default="single")
    lower_text = models.CharField(_("下弦文"), max_length=20, blank=True)
    texture = models.BooleanField(_("印泥纹理"), default=False)
    image = models.FileField(_("印章图片"), upload_to="seals/%Y/%m/")
    image_sha256 = models.CharField(max_length=64, verbose_name=_("图片SHA-256"))
    width_mm = models.FloatField(_("宽（毫米）"))
    height_mm = models.FloatField(_("高（毫米）"))
    state = models.CharField(_("状态"), max_length=16, choices=SealState.choices, default=SealState.ACTIVE)
    state_reason = models.CharField(_("状态说明"), max_length=255, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("制作人"))
    created_at = models.DateTimeField(_("制作时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("印章")
        verbose_name_plural = _("印章")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind"],
                condition=models.Q(state__in=["active", "pending_change"]),
                name="seal_one_live_per_type",
            ),
            models.CheckConstraint(
                condition=models.Q(state="void", voided_at__isnull=False) | ~models.Q(state="void"),
                name="seal_void_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def is_active(self) -> bool:
        return self.state == SealState.ACTIVE

    @property
    def style_label(self) -> str:
        """方形 / 条形 for 人名章, else empty."""
        return str({"name_square": _("方形章"), "name_strip": _("条形章")}.get(self.template_kind, ""))


class SealUsage(models.Model):
    """印章使用记录: one row per seal per signing event, written by the signing service."""

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="usages", verbose_name=_("印章"))
    used_at = models.DateTimeField(_("使用时间"), db_index=True)
    document_name = models.CharField(_("签署文件"), max_length=255)
    platform_name = models.CharField(_("交易系统"), max_length=128)
    # The signing record's id (应用记录 事件ID); a plain string so that signing can own that table.
    event_id = models.CharField(_("事件ID"), max_length=64, db_index=True)
    certificate_serial = models.CharField(_("证书序列号"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("印章使用记录")
        verbose_name_plural = _("印章使用记录")
        ordering = ["-used_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["seal", "event_id"], name="seal_usage_once_per_event")]

    def __str__(self) -> str:
        return f"{self.event_id} · {self.document_name}"


class SealBinding(models.Model):
    """A seal bound to a certificate (绑定印章): signing with the certificate may show this seal."""

    seal = models.ForeignKey(Seal, on_delete=models.CASCADE, related_name="bindings", verbose_name=_("印章"))
    certificate = models.ForeignKey(
        "pki.Certificate", on_delete=models.CASCADE, related_name="seal_bindings", verbose_name=_("证书")
    )
    created_at = models.DateTimeField(_("绑定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("印章绑定")
        verbose_name_plural = _("印章绑定")
        constraints = [models.UniqueConstraint(fields=["seal", "certificate"], name="seal_binding_unique")]

    def __str__(self) -> str:
        return f"{self.seal_id}↔{self.certificate_id}"


class SealMaker(models.Model):
    """制章者: the platform's seal-making certificate (SM2, from the SM2 issuing CA, seal-maker
    policy) and where its key lives. It signs every electronic seal (SES_Seal) we make; one is
    active at a time and a new one is made before it runs out (ses_services.ensure_seal_maker)."""

    issuer = models.ForeignKey(
        "pki.CertificateAuthority", on_delete=models.PROTECT, related_name="+", verbose_name=_("签发者")
    )
    certificate_der = models.BinaryField(verbose_name=_("证书（DER）"))
    serial = models.CharField(_("证书序列号"), max_length=64)  # lowercase hex
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("到期时间"))
    key_backend = models.CharField(max_length=16, verbose_name=_("密钥存储"))
    key_id = models.CharField(max_length=64, verbose_name=_("密钥ID"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("制章者证书")
        verbose_name_plural = _("制章者证书")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.serial


class ElectronicSeal(models.Model):
    """电子印章 (GB/T 38540 SES_Seal) of a seal bound to an SM2 certificate: the seal's picture and
    size, the certificate as the one signer, the certificate's validity, signed by our seal maker."""

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="electronic_seals", verbose_name=_("印章"))
    certificate = models.ForeignKey(
        "pki.Certificate", on_delete=models.PROTECT, related_name="electronic_seals", verbose_name=_("证书")
    )
    maker = models.ForeignKey(SealMaker, on_delete=models.PROTECT, related_name="seals", verbose_name=_("制章者"))
    es_id = models.CharField(_("电子印章标识"), max_length=64, unique=True)
    der = models.BinaryField(verbose_name=_("DER编码"))
    valid_start = models.DateTimeField(_("有效期起始"))
    valid_end = models.DateTimeField(_("有效期终止"))
    created_at = models.DateTimeField(_("制作时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("电子印章")
        verbose_name_plural = _("电子印章")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["seal", "certificate"], name="electronic_seal_per_binding")]

    def __str__(self) -> str:
        return self.es_id


class ApprovalRule(models.Model):
    """用印审批: the enterprise's seals of `kind` are used only after one of `approvers` approves
    the exact document and placements (seals.services.approvals)."""

    owner = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="approval_rules", verbose_name=_("所属主体")
    )
    kind = models.CharField(_("印章类型"), max_length=32, choices=SealType.choices)
    approvers = models.ManyToManyField(Person, related_name="+", verbose_name=_("审批人"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("用印审批设置")
        verbose_name_plural = _("用印审批设置")
        constraints = [models.UniqueConstraint(fields=["owner", "kind"], name="approval_rule_unique")]

    def __str__(self) -> str:
        return f"{self.owner} {self.kind}"


class ApprovalState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")


class SealApproval(models.Model):
    """One request to use `seal` on one document with one set of placements: bound to the SHA-256
    of the document and the digest of the placements, so any change needs a new approval."""

    public_id = models.UUIDField(_("审批编号"), unique=True, default=uuid.uuid4, editable=False)
    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("印章"))
    document_sha256 = models.CharField(_("文件SHA-256"), max_length=64)
    placements_digest = models.CharField(_("签章位置摘要"), max_length=64)
    document_name = models.CharField(_("签署文件"), max_length=255, blank=True)
    requested_by = models.CharField(_("申请方"), max_length=128, blank=True)
    requester_phone = models.CharField(_("用印人手机号"), max_length=20, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=ApprovalState.choices, default=ApprovalState.PENDING)
    decided_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审批人")
    )
    reason = models.CharField(_("审批意见"), max_length=255, blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("用印审批")
        verbose_name_plural = _("用印审批")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["seal", "document_sha256", "placements_digest"], name="approval_binding")]

    def __str__(self) -> str:
        return f"{self.seal} {self.document_sha256[:12]} {self.state}"
