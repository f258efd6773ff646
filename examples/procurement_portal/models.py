from __future__ import annotations

from django.conf import settings
from django.db import models


class Bidder(models.Model):
    """The portal's own record of a user: what it tells Inkseal at single sign-on."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bidder")
    name = models.CharField("姓名", max_length=64)
    phone = models.CharField("手机号", max_length=20)
    id_number = models.CharField("身份证号", max_length=18, blank=True)
    company = models.CharField("单位", max_length=128, blank=True)

    def __str__(self) -> str:
        return self.name


class AuthorizationCode(models.Model):
    """An OIDC authorization code: single use, short-lived, bound to the PKCE challenge."""

    code = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=128)
    redirect_uri = models.URLField(max_length=500)
    code_challenge = models.CharField(max_length=128)
    nonce = models.CharField(max_length=255, blank=True)
    scope = models.CharField(max_length=255)
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.code[:8]
