"""What the PKI keeps in the database: wrapped key blobs, the CAs, issued certificates, trusted
roots of other CAs, and counters.

Private keys are never stored here in the clear: a soft-keystore `KeyBlob` is AES-256-GCM sealed
under a key-encryption key that lives outside the database; PKCS#11 keys stay in the token and
only their ids are recorded. Escrowed encryption keys of dual certificates (双证书) are
`EscrowKeyBlob`s, sealed under key management's own KEK (see keystore_config.escrow_keystore).
A certificate's status (有效/待续期/...) is derived at read time (see `status.py`), never stored.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import Party
from inkseal.pki.errors import UnsupportedAlgorithm
from inkseal.pki.reasons import RevocationReason

# The labels of crl.REASON_LABELS_ZH, marked for translation.
REASON_LABELS = {
    RevocationReason.UNSPECIFIED: _("未指定原因"),
    RevocationReason.KEY_COMPROMISE: _("密钥泄露"),
    RevocationReason.CA_COMPROMISE: _("CA 密钥泄露"),
    RevocationReason.AFFILIATION_CHANGED: _("从属关系变更"),
    RevocationReason.SUPERSEDED: _("证书已被替换"),
    RevocationReason.CESSATION_OF_OPERATION: _("停止使用"),
    RevocationReason.CERTIFICATE_HOLD: _("证书冻结"),
    RevocationReason.REMOVE_FROM_CRL: _("从 CRL 中删除"),
    RevocationReason.PRIVILEGE_WITHDRAWN: _("权限撤销"),
    RevocationReason.AA_COMPROMISE: _("属性机构密钥泄露"),
}
REASON_CHOICES = [(int(reason), label) for reason, label in REASON_LABELS.items()]


class KeyBlob(models.Model):
    """A private key sealed by the soft keystore (see keystores/soft.py); unusable without the KEK."""

    key_id = models.CharField(max_length=64, primary_key=True, verbose_name=_("密钥ID"))
    blob = models.BinaryField(verbose_name=_("数据"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("密钥密文")
        verbose_name_plural = _("密钥密文")

    def __str__(self) -> str:
        return self.key_id


class EscrowKeyBlob(models.Model):
    """An escrowed encryption key (双证书), sealed under the escrow KEK, never the signing keystore's."""

    key_id = models.CharField(max_length=64, primary_key=True, verbose_name=_("密钥ID"))
    blob = models.BinaryField(verbose_name=_("数据"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("托管密钥密文")
        verbose_name_plural = _("托管密钥密文")

    def __str__(self) -> str:
        return self.key_id


class CertificateAuthority(models.Model):
    """A CA of the platform (root or issuing) or its time-stamp authority, with its key's location,
    its latest CRL and, for issuing CAs, the delegated OCSP responder certificate and key."""

    class Role(models.TextChoices):
        ROOT = "root", _("根CA")
        ISSUING = "issuing", _("签发CA")
        TSA = "tsa", _("时间戳服务")

    ca_id = models.SlugField(_("标识"), max_length=64, unique=True)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)
    name = models.CharField(_("名称"), max_length=128)
    organization = models.CharField(_("CA机构"), max_length=128)
    algorithm = models.CharField(_("算法"), max_length=32)
    family = models.CharField(max_length=16, verbose_name=_("算法族"))  # the algorithm family it certifies keys of
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级CA")
    )
    certificate_der = models.BinaryField(verbose_name=_("证书（DER）"))
    serial = models.CharField(_("证书序列号"), max_length=64)  # lowercase hex
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("到期时间"))
    key_backend = models.CharField(max_length=16, verbose_name=_("密钥存储"))
    key_id = models.CharField(max_length=64, verbose_name=_("密钥ID"))
    crl_number = models.PositiveBigIntegerField(_("CRL 编号"), default=0)
    crl_der = models.BinaryField(null=True, blank=True, verbose_name=_("证书吊销列表（DER）"))
    crl_this_update = models.DateTimeField(_("CRL 生成时间"), null=True, blank=True)
    crl_next_update = models.DateTimeField(_("CRL 下次更新"), null=True, blank=True)
    ocsp_certificate_der = models.BinaryField(null=True, blank=True, verbose_name=_("OCSP签名证书（DER）"))
    ocsp_key_backend = models.CharField(max_length=16, blank=True, verbose_name=_("OCSP密钥存储"))
    ocsp_key_id = models.CharField(max_length=64, blank=True, verbose_name=_("OCSP密钥ID"))
    ocsp_not_after = models.DateTimeField(_("OCSP 签名证书到期"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("证书颁发机构（CA）")
        verbose_name_plural = _("CA 管理")

    def __str__(self) -> str:
        return self.name


class TrustedRoot(models.Model):
    """A root certificate of another CA the operator trusts (CA互信互认)."""

    name = models.CharField(_("CA机构"), max_length=128)
    certificate_der = models.BinaryField(verbose_name=_("证书（DER）"))
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    subject = models.CharField(_("主题"), max_length=255)
    not_after = models.DateTimeField(_("到期时间"))
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("互信根证书")
        verbose_name_plural = _("互信根证书")

    def __str__(self) -> str:
        return self.name


class Certificate(models.Model):
    """An end-entity certificate held by a person or an enterprise: issued by our CA (cloud key in
    the keystore, or UKEY key on a token) or registered from a trusted other CA."""

    class Medium(models.TextChoices):
        CLOUD = "cloud", _("云证书")
        UKEY = "ukey", _("UKEY")

    class SubjectKind(models.TextChoices):
        PERSONAL = "personal", _("个人")
        ENTERPRISE = "enterprise", _("企业")

    class Usage(models.TextChoices):
        SIGNING = "signing", _("签名证书")
        ENCRYPTION = "encryption", _("加密证书")

    serial = models.CharField(_("证书序列号"), max_length=64)  # lowercase hex
    issuer = models.ForeignKey(
        CertificateAuthority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("签发者"),
    )
    trusted_root = models.ForeignKey(
        TrustedRoot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("受信任根证书"),
    )
    ca_name = models.CharField(_("CA机构"), max_length=128)
    holder = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("持有人"))
    medium = models.CharField(_("介质"), max_length=8, choices=Medium.choices)
    subject_kind = models.CharField(_("类型"), max_length=16, choices=SubjectKind.choices)
    usage = models.CharField(_("用途"), max_length=16, choices=Usage.choices, default=Usage.SIGNING)
    algorithm = models.CharField(_("算法"), max_length=32)
    common_name = models.CharField(_("通用名称（CN）"), max_length=128)
    der = models.BinaryField(verbose_name=_("DER编码"))
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("开始时间"))
    not_after = models.DateTimeField(_("到期时间"), db_index=True)
    key_backend = models.CharField(max_length=16, blank=True, verbose_name=_("密钥存储"))
    key_id = models.CharField(max_length=64, blank=True, verbose_name=_("密钥ID"))
    ukey_serial = models.CharField(_("UKEY序列号"), max_length=64, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revocation_reason = models.PositiveSmallIntegerField(_("吊销原因"), null=True, blank=True, choices=REASON_CHOICES)
    renews = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="renewed_by", verbose_name=_("续期自")
    )
    # On an encryption certificate of a dual pair (双证书): its signing certificate. The key of an
    # encryption certificate is escrowed (key_backend "escrow"), the signing key never is.
    signing_certificate = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="encryption_certificate",
        verbose_name=_("对应签名证书"),
    )
    # The holder's name and ID (blind index) or USCC when issued: 待变更 once they differ.
    holder_snapshot = models.JSONField(default=dict, verbose_name=_("持有人信息快照"))
    pin_hash = models.CharField(max_length=255, blank=True, verbose_name=_("PIN码摘要"))
    pin_failures = models.PositiveSmallIntegerField(default=0, verbose_name=_("PIN码错误次数"))
    pin_locked_until = models.DateTimeField(_("PIN 锁定至"), null=True, blank=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        permissions = [("recover_encryption_key", _("可恢复加密证书的托管密钥"))]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "serial"], condition=models.Q(issuer__isnull=False), name="certificate_serial_per_ca"
            ),
            models.CheckConstraint(
                condition=models.Q(issuer__isnull=True) | models.Q(trusted_root__isnull=True),
                name="certificate_one_issuer_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(signing_certificate__isnull=True) | models.Q(usage="encryption"),
                name="certificate_pair_on_encryption",
            ),
        ]
        indexes = [models.Index(fields=["holder", "medium"], name="certificate_holder_medium")]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.serial})"

    @property
    def is_external(self) -> bool:
        return self.trusted_root_id is not None

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)

    @property
    def algorithm_label(self) -> str:
        try:
            from inkseal.pki.algorithms import get_algorithm  # cryptography, GmSSL: on first use

            return get_algorithm(self.algorithm).label
        except UnsupportedAlgorithm:  # e.g. another CA's certificate of an algorithm not registered here
            return self.algorithm

    @property
    def is_encryption(self) -> bool:
        return self.usage == self.Usage.ENCRYPTION

    def pair(self) -> Certificate | None:
        """The other certificate of a dual pair (signing ↔ encryption), or None."""
        if self.is_encryption:
            return self.signing_certificate
        try:
            return self.encryption_certificate
        except Certificate.DoesNotExist:
            return None

    @property
    def reason(self) -> RevocationReason | None:
        return RevocationReason(self.revocation_reason) if self.revocation_reason is not None else None


class Counter(models.Model):
    """Named monotonic counters (the TSA serial) and lock rows, incremented under a row lock."""

    name = models.CharField(max_length=32, primary_key=True, verbose_name=_("名称"))
    value = models.PositiveBigIntegerField(default=0, verbose_name=_("值"))

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class PinLockout(models.Model):
    """Wrong-PIN count and lock of a cloud certificate in one scope: a sign task (or a portal form),
    or a trading platform (or the portal). See pki.pins: scoped so that one platform's confirm
    links cannot lock the holder out everywhere; the certificate itself locks only when several
    platforms locked (Certificate.pin_locked_until)."""

    class Scope(models.TextChoices):
        TASK = "task", _("签章任务")
        PLATFORM = "platform", _("交易平台")

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="pin_lockouts", verbose_name=_("证书")
    )
    scope = models.CharField(max_length=8, choices=Scope.choices, verbose_name=_("范围"))
    key = models.CharField(max_length=64, verbose_name=_("键"))  # the task's public id, or the platform's id ("portal")
    label = models.CharField(_("范围"), max_length=128, blank=True)  # what the holder is shown
    failures = models.PositiveSmallIntegerField(default=0, verbose_name=_("失败次数"))
    locks = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("锁定次数")
    )  # locks in a row, for the growing lock time
    locked_until = models.DateTimeField(_("PIN 锁定至"), null=True, blank=True)
    last_locked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近锁定时间"))

    class Meta:
        verbose_name = _("PIN 锁定")
        verbose_name_plural = _("PIN 锁定")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "scope", "key"], name="pin_lockout_per_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.scope}:{self.key}"


class OcspAnswer(models.Model):
    """A pre-signed OCSP answer about one of our certificates (see responders.py): read by primary
    key with one raw SQL statement on every OCSP request, refreshed before `expires` by the
    pki.refresh_ocsp_answers job, replaced in the revoking transaction. Public data, no secret."""

    key = models.CharField(max_length=200, primary_key=True, verbose_name=_("键"))  # "<ca_id>:<serial hex>"
    der = models.BinaryField(verbose_name=_("DER编码"))
    expires = models.BigIntegerField(verbose_name=_("失效时间"))  # nextUpdate, Unix seconds
    responder = models.CharField(max_length=64, verbose_name=_("响应者证书"))  # its SHA-256
    revoked = models.BooleanField(default=False, verbose_name=_("已吊销"))

    class Meta:
        verbose_name = _("预签名OCSP应答")
        verbose_name_plural = _("预签名OCSP应答")

    def __str__(self) -> str:
        return self.key
