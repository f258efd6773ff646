from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# What each purpose (its part before ":" or the first "."; "sign:11" names a sign task) is for.
PURPOSE_LABELS = {
    "login": _("登录验证码"),
    "sign": _("签章确认验证码"),
    "verify": _("实名认证验证码"),
    "verify_notice": _("企业认证授权通知"),
    "bank_deposit": _("银行卡打款验证通知"),
    "orders": _("订单通知"),
}


class SmsMessage(models.Model):
    """Every SMS sent, whatever the gateway. The outbox backend stops here (sandbox)."""

    phone = models.CharField(_("手机号"), max_length=20, db_index=True)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=32)
    backend = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("短信")
        verbose_name_plural = _("短信")

    def __str__(self) -> str:
        return f"{self.phone} {self.purpose}"

    @property
    def purpose_label(self) -> str:
        kind = self.purpose.split(":", 1)[0].split(".", 1)[0]
        return str(PURPOSE_LABELS.get(kind, self.purpose))


class SmsCode(models.Model):
    """A one-time SMS code (hashed), its expiry and how many wrong tries it has had."""

    phone = models.CharField(max_length=20, db_index=True)
    purpose = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=128)
    ip = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} {self.purpose}"
