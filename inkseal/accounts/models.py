from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from inkseal.core.masking import mask_phone

_ACCOUNT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_account_id() -> str:
    """Account IDs look like L00011QFJRK3K3IG0: 'L' and 16 characters."""
    return "L" + "".join(secrets.choice(_ACCOUNT_ALPHABET) for _ in range(16))


class Party(models.Model):
    """What seals, certificates and applications belong to: a person or an enterprise."""

    class Kind(models.TextChoices):
        PERSON = "person", _("个人")
        ENTERPRISE = "enterprise", _("企业")

    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("类型"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("主体")
        verbose_name_plural = _("主体")

    def __str__(self) -> str:
        holder = getattr(self, "person", None) or getattr(self, "enterprise", None)
        return str(holder) if holder else f"{self.kind}#{self.pk}"


class VerificationState(models.TextChoices):
    UNVERIFIED = "unverified", _("未实名")
    PENDING = "pending", _("认证中")
    VERIFIED = "verified", _("已实名")
    REJECTED = "rejected", _("未通过")


class Person(models.Model):
    """A portal user (个人用户). Logs in by phone; operators are separate (Django auth users)."""

    party = models.OneToOneField(Party, on_delete=models.PROTECT, related_name="person", verbose_name=_("主体"))
    account_id = models.CharField(_("帐号ID"), max_length=17, unique=True, default=new_account_id)
    phone = models.CharField(_("手机号"), max_length=20, unique=True)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    account_name = models.CharField(_("帐号名"), max_length=64, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    id_type = models.CharField(_("证件类型"), max_length=32, default="resident_id")
    # The ID number is kept encrypted; the blind index allows equality checks; only the mask is shown.
    id_number_enc = models.TextField(blank=True, verbose_name=_("证件号码（加密）"))
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("证件号码索引"))
    id_number_masked = models.CharField(_("证件号"), max_length=32, blank=True)
    verification_state = models.CharField(
        _("实名认证"), max_length=16, choices=VerificationState.choices, default=VerificationState.UNVERIFIED
    )
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("认证时间"))
    registered_at = models.DateTimeField(_("注册时间"), auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近登录时间"))
    # Bumped by "logout everywhere": sessions carrying an older epoch are no longer valid.
    session_epoch = models.PositiveIntegerField(default=0, verbose_name=_("会话版本"))
    is_active = models.BooleanField(default=True, verbose_name=_("启用"))

    class Meta:
        verbose_name = _("个人用户")
        verbose_name_plural = _("个人用户")

    def __str__(self) -> str:
        return self.name or mask_phone(self.phone)

    @property
    def is_verified(self) -> bool:
        return self.verification_state == VerificationState.VERIFIED

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Address(models.Model):
    """地址管理: shipping addresses for UKEY tokens and invoices."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("个人用户"))
    recipient = models.CharField(_("收件人"), max_length=64)
    phone = models.CharField(_("联系电话"), max_length=20)
    region = models.CharField(_("所在地区"), max_length=128)
    detail = models.CharField(_("详细地址"), max_length=255)
    is_default = models.BooleanField(_("默认地址"), default=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["-is_default", "-created_at"]
        verbose_name = _("地址")
        verbose_name_plural = _("地址")

    def __str__(self) -> str:
        return f"{self.recipient} {self.region}{self.detail}"


class EnterpriseState(models.TextChoices):
    UNVERIFIED = "unverified", _("待认证")
    PENDING = "pending", _("认证中")
    VERIFIED = "verified", _("已认证")
    REJECTED = "rejected", _("未通过")


class EnterpriseType(models.TextChoices):
    """The legal form an enterprise declares when it applies for real-name verification."""

    ENTERPRISE = "enterprise", _("企业法人")
    INDIVIDUAL_BUSINESS = "individual_business", _("个体工商户")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    GOVERNMENT = "government", _("政府机关")
    SOCIAL_ORGANISATION = "social_organisation", _("社会团体")
    OTHER = "other", _("其他组织")


class Enterprise(models.Model):
    party = models.OneToOneField(Party, on_delete=models.PROTECT, related_name="enterprise", verbose_name=_("主体"))
    name = models.CharField(_("企业名称"), max_length=128)
    enterprise_type = models.CharField(_("企业类型"), max_length=32, choices=EnterpriseType.choices, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    legal_rep_name = models.CharField(_("法定代表人"), max_length=64, blank=True)
    state = models.CharField(
        _("实名认证状态"), max_length=16, choices=EnterpriseState.choices, default=EnterpriseState.UNVERIFIED
    )
    state_reason = models.CharField(_("原因"), max_length=255, blank=True)
    # 三权分立: when on, nobody holds a seal duty implicitly (the administrator included) and only
    # seal users confirm signatures with the enterprise's seals; see docs/seal-roles.md.
    separation_of_duties = models.BooleanField(_("三权分立"), default=False)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~models.Q(uscc=""), name="enterprise_uscc_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Duty(models.TextChoices):
    """An enterprise member's seal duties (三权分立); the field of the same name on Membership."""

    SEAL_ADMIN = "seal_admin", _("印章管理员")
    SEAL_USER = "seal_user", _("用印人")
    APPROVER = "approver", _("审批人")
    AUDITOR = "auditor", _("审计员")


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("管理员（经办人）")
        MEMBER = "member", _("成员")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("个人用户"))
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("企业")
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    # Seal duties (印章角色), assigned by the administrator: accounts.duties says what each allows.
    seal_admin = models.BooleanField(_("印章管理员"), default=False)
    seal_user = models.BooleanField(_("用印人"), default=False)
    approver = models.BooleanField(_("审批人"), default=False)
    auditor = models.BooleanField(_("审计员"), default=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("企业成员")
        verbose_name_plural = _("企业成员")
        constraints = [
            models.UniqueConstraint(fields=["person", "enterprise"], name="membership_unique"),
            # 三权分立: the auditor audits the others, so holds no other seal duty (accounts.duties)
            models.CheckConstraint(
                condition=models.Q(auditor=False) | models.Q(seal_admin=False, seal_user=False, approver=False),
                name="membership_auditor_alone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.enterprise} ({self.role})"

    @property
    def duties(self) -> frozenset[str]:
        return frozenset(duty for duty in Duty.values if getattr(self, duty))
