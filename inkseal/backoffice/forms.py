from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.backoffice.security import (
    LoginLocked,
    check_login_code,
    check_not_locked,
    has_totp,
    note_failure,
    note_success,
    operator_actor,
)
from inkseal.core.http import client_ip


class OperatorAuthenticationForm(AdminAuthenticationForm):
    """The back office sign-in: refused at once while the account or the IP is locked; a wrong
    password or TOTP code counts towards the locks; enrolled operators need the TOTP code."""

    otp_code = forms.CharField(
        label=_("动态验证码"),
        required=False,
        max_length=8,
        help_text=_("已绑定动态验证码（TOTP）的运营人员必填"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else ""
        try:
            check_not_locked(username, ip)
        except LoginLocked as locked:
            raise ValidationError(str(locked.message), code="locked") from locked
        try:
            super().clean()  # the password (Django's user_login_failed signal audits a wrong one)
        except ValidationError:
            self._failed(username, ip, "password")
            raise
        user = self.get_user()
        if has_totp(user) and not check_login_code(user, self.cleaned_data.get("otp_code") or ""):
            record(events.OPERATOR_LOGIN_FAILED, actor=operator_actor(user), ip=ip, data={"reason": "totp"})
            self._failed(username, ip, "totp")
            raise ValidationError(_("请输入正确的动态验证码（每个验证码只能使用一次）。"), code="totp")
        note_success(username)
        return self.cleaned_data

    def _failed(self, username: str, ip: str, reason: str) -> None:
        lock = note_failure(username, ip, reason=reason)
        if lock is not None:
            raise ValidationError(str(lock.message), code="locked")
