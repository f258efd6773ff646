from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginThrottle(models.Model):
    """Failed operator sign-ins of one account (username, case-folded) or one IP address, and the
    lock they earned. In the database so that every worker and server sees the same counts."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("账号")
        IP = "ip", _("IP")

    scope = models.CharField(max_length=8, choices=Scope.choices, verbose_name=_("范围"))
    key = models.CharField(max_length=150, verbose_name=_("键"))
    failures = models.PositiveIntegerField(default=0, verbose_name=_("失败次数"))
    locks = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("锁定次数")
    )  # locks in a row, for the growing lock time
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近失败时间"))
    last_locked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近锁定时间"))

    class Meta:
        verbose_name = _("登录限制")
        verbose_name_plural = _("登录限制")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_per_scope")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class OperatorTotp(models.Model):
    """An operator's TOTP authenticator (RFC 6238). The secret is sealed with the field key
    (core.secretbox, bound to the operator), never stored in the clear; `last_step` refuses a
    code a second time. Confirmed once the operator typed a code from the enrolled app."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp", verbose_name=_("运营人员")
    )
    secret_sealed = models.TextField(verbose_name=_("密钥（加密）"))
    confirmed_at = models.DateTimeField(_("绑定时间"), null=True, blank=True)
    last_step = models.BigIntegerField(default=0, verbose_name=_("最近使用的时间步"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("运营人员动态验证码")
        verbose_name_plural = _("运营人员动态验证码")
        permissions = [("reset_operator_totp", _("可重置其他运营人员的动态验证码"))]

    def __str__(self) -> str:
        return str(self.user)
