from __future__ import annotations

from django.conf import settings
from django.db import models

from inkseal.core import secretbox


class Bidder(models.Model):
    """The portal's own record of a user: what it tells Inkseal at single sign-on. The ID number
    is kept encrypted (AES-256-GCM under settings.FIELD_KEY, bound to the user): a copy of the
    database shows no ID number."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bidder")
    name = models.CharField("姓名", max_length=64)
    phone = models.CharField("手机号", max_length=20)
    id_number_enc = models.TextField("身份证号（加密）", blank=True, editable=False)
    company = models.CharField("单位", max_length=128, blank=True)

    def __str__(self) -> str:
        return self.name

    def _purpose(self) -> str:
        return f"procurement-portal:bidder:{self.user_id}:id_number"

    @property
    def id_number(self) -> str:
        if not self.id_number_enc:
            return ""
        return secretbox.open_(settings.FIELD_KEY, self.id_number_enc, self._purpose())

    def set_id_number(self, number: str) -> None:
        self.id_number_enc = secretbox.seal(settings.FIELD_KEY, number, self._purpose()) if number else ""


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


class Bid(models.Model):
    """A bid file (投标文件) uploaded by a bidder for a project, and its signing at Inkseal."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "待签章"
        PENDING = "pending", "待确认"
        SIGNING = "signing", "签章中"
        SIGNED = "signed", "已签章"
        FAILED = "failed", "签章失败"

    bidder = models.ForeignKey(Bidder, on_delete=models.CASCADE, related_name="bids")
    project = models.CharField("项目编号", max_length=32)
    number = models.CharField("投标文件编号", max_length=40, unique=True)
    filename = models.CharField("文件名", max_length=255)
    original = models.FileField("原文件", upload_to="bids/original/")
    pages = models.PositiveIntegerField("页数", default=1)
    sha256 = models.CharField(max_length=64)
    certificate_serial = models.CharField("签章证书序列号", max_length=64)
    certificate_label = models.CharField("签章证书", max_length=200)
    seal_types = models.JSONField("印章类型", default=list)
    cross_page = models.BooleanField("骑缝章", default=False)
    placements = models.JSONField("盖章位置", default=list)
    placement_note = models.CharField("盖章位置说明", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.UPLOADED)
    attempt = models.PositiveIntegerField("签章次数", default=0)
    task_id = models.CharField("签章任务", max_length=64, blank=True, db_index=True)
    task_status = models.CharField("任务状态", max_length=16, blank=True)
    error = models.TextField("错误信息", blank=True)
    signed = models.FileField("签章后文件", upload_to="bids/signed/", blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    signed_at = models.DateTimeField("签章完成时间", null=True, blank=True)
    callback_at = models.DateTimeField("收到回调时间", null=True, blank=True)
    checked_at = models.DateTimeField("最近查询时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def idempotency_key(self) -> str:
        """The bid's id, and a suffix for each new attempt after a failed task."""
        return self.number if self.attempt <= 1 else f"{self.number}-{self.attempt}"

    @property
    def is_ofd(self) -> bool:
        return self.original.name.lower().endswith(".ofd")

    @property
    def extension(self) -> str:
        return "ofd" if self.is_ofd else "pdf"

    @property
    def signed_filename(self) -> str:
        suffix = f".{self.extension}"
        stem = self.filename[: -len(suffix)] if self.filename.lower().endswith(suffix) else self.filename
        return f"{stem}（已签章）{suffix}"
