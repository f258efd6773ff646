from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TradingPlatform(models.Model):
    """A trading platform (交易平台): logs users in by SSO and, later, calls the signing API."""

    class TicketAlgorithm(models.TextChoices):
        NONE = "", _("不启用")
        ES256 = "ES256", "ES256"
        RS256 = "RS256", "RS256"
        HS256 = "HS256", _("HS256（共享密钥）")

    name = models.CharField(_("交易平台名称"), max_length=128)
    code = models.SlugField(_("平台编码"), max_length=64, unique=True)
    enabled = models.BooleanField(_("启用"), default=True)
    # Signed jump ticket: GET /sso/jump?platform=<code>&ticket=<JWT>
    ticket_algorithm = models.CharField(
        _("跳转票据算法"), max_length=8, choices=TicketAlgorithm.choices, blank=True, default=""
    )
    ticket_issuer = models.CharField(_("票据签发者 iss"), max_length=255, blank=True)
    ticket_public_key = models.TextField(_("票据验签公钥（PEM）"), blank=True)
    ticket_secret_enc = models.TextField(
        blank=True, editable=False, verbose_name=_("票据密钥（加密）")
    )  # HS256 secret, encrypted
    # OpenID Connect (authorization code + PKCE); the platform is the OpenID provider.
    oidc_enabled = models.BooleanField(_("启用 OpenID Connect"), default=False)
    oidc_issuer = models.URLField(_("OIDC 签发方"), blank=True)
    oidc_client_id = models.CharField(_("OIDC 客户端ID"), max_length=255, blank=True)
    oidc_client_secret_enc = models.TextField(blank=True, editable=False, verbose_name=_("OIDC 客户端密钥（加密）"))
    oidc_scope = models.CharField(_("OIDC 授权范围"), max_length=255, default="openid profile phone")
    callback_url = models.URLField(_("回调地址"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("交易平台")
        verbose_name_plural = _("交易平台")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def expected_ticket_issuer(self) -> str:
        return self.ticket_issuer or self.code


class UsedTicket(models.Model):
    """A jti seen once; kept until the ticket's expiry so that replays are refused."""

    platform = models.ForeignKey(TradingPlatform, on_delete=models.CASCADE, verbose_name=_("交易平台"))
    jti = models.CharField(max_length=255, verbose_name=_("票据ID"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("过期时间"))
    used_at = models.DateTimeField(auto_now_add=True, verbose_name=_("使用时间"))

    class Meta:
        verbose_name = _("已使用的登录票据")
        verbose_name_plural = _("已使用的登录票据")
        constraints = [models.UniqueConstraint(fields=["platform", "jti"], name="used_ticket_unique")]

    def __str__(self) -> str:
        return f"{self.platform.code}:{self.jti}"


class ApiClient(models.Model):
    """OAuth 2.0 client credentials of a trading platform for the signing API. The secret is
    stored as a SHA-256 hash (it is 256 random bits, so a fast hash suffices); the callback
    signing key is stored encrypted because Inkseal must use it."""

    platform = models.ForeignKey(
        TradingPlatform, on_delete=models.CASCADE, related_name="api_clients", verbose_name=_("交易平台")
    )
    client_id = models.CharField(_("客户端ID"), max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64, editable=False, verbose_name=_("密钥摘要"))
    callback_secret_enc = models.TextField(blank=True, editable=False, verbose_name=_("回调密钥（加密）"))
    enabled = models.BooleanField(_("启用"), default=True)
    rotated_at = models.DateTimeField(_("密钥更新时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("接口凭证")
        verbose_name_plural = _("接口凭证")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.client_id


class AccessToken(models.Model):
    """A short-lived bearer token; only its hash is kept."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("接入客户端"))
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("令牌摘要"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("过期时间"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("接口访问令牌")
        verbose_name_plural = _("接口访问令牌")

    def __str__(self) -> str:
        return f"{self.client.client_id}@{self.expires_at:%Y-%m-%d %H:%M}"


class CertificateAuthorization(models.Model):
    """证书授权: a certificate may be used on a platform, confirmed by a named person, for a term."""

    certificate = models.ForeignKey(
        "pki.Certificate", on_delete=models.CASCADE, related_name="authorizations", verbose_name=_("证书")
    )
    platform = models.ForeignKey(
        TradingPlatform, on_delete=models.PROTECT, related_name="authorizations", verbose_name=_("交易平台")
    )
    grantee_name = models.CharField(_("被授权人"), max_length=64)
    grantee_phone = models.CharField(_("被授权人手机号"), max_length=20)
    valid_from = models.DateTimeField(_("开始时间"))
    valid_until = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # Pending (待确认) until the authorised person proves the phone: a typo must not hand signing
    # authority to a stranger. The link in the SMS carries a token kept here only as a hash.
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.CharField(_("确认方式"), max_length=16, blank=True)
    confirm_token_hash = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("确认令牌摘要")
    )
    created_by = models.CharField(_("授权人"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证书授权")
        verbose_name_plural = _("证书授权")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["certificate", "platform", "grantee_phone"], name="authorization_lookup")]

    def __str__(self) -> str:
        return f"{self.platform} / {self.grantee_name}"


class PlatformLink(models.Model):
    """A trading platform may sign a person in (SSO) only through a link the person proved: the
    platform's user `subject` is that person. Made by the first SSO (SMS code to the person's own
    phone), listed and revocable in 个人中心."""

    class Method(models.TextChoices):
        SMS = "sms", _("短信验证码")
        SEED = "seed", _("预置（演示数据）")

    platform = models.ForeignKey(
        TradingPlatform, on_delete=models.CASCADE, related_name="links", verbose_name=_("交易平台")
    )
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="platform_links", verbose_name=_("个人用户")
    )
    subject = models.CharField(_("平台用户标识"), max_length=255)
    method = models.CharField(_("关联方式"), max_length=16, choices=Method.choices)
    linked_at = models.DateTimeField(_("关联时间"))
    last_login_at = models.DateTimeField(_("最近登录"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("交易平台关联")
        verbose_name_plural = _("交易平台关联")
        ordering = ["-linked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "person", "subject"], name="platform_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} / {self.person}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
