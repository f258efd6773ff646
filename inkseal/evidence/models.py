"""The transparency log's rows: leaves, the perfect tree nodes, the head and signed checkpoints.

Writers only INSERT leaves (index NULL: pending); the sequencer gives pending leaves their
indexes in batches under the one head row, stores the tree nodes they complete and moves the
head. No writer ever waits on the head. See docs/evidence.md.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LogLeaf(models.Model):
    id = models.BigAutoField(primary_key=True)
    index = models.BigIntegerField(_("序号"), null=True, blank=True, unique=True)  # NULL: not sequenced yet
    kind = models.CharField(_("事件类型"), max_length=40)
    body = models.TextField(_("规范 JSON"))  # the exact bytes the leaf hash covers (UTF-8)
    leaf_hash = models.CharField(_("叶子哈希"), max_length=64, db_index=True)  # hex SHA-256(0x00 || body)
    # what the leaf is about, to find it again (a signing record's event ID, a report's ID); not hashed
    subject = models.CharField(_("对象"), max_length=80, blank=True, default="", db_default="", db_index=True)
    created_at = models.DateTimeField(_("写入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("存证日志叶子")
        verbose_name_plural = _("存证日志叶子")

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}" if self.index is not None else f"pending {self.kind}"


class LogNode(models.Model):
    """A perfect subtree: leaves [index << level, (index + 1) << level); level 0 is a leaf."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="evidence_node_unique")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class LogHead(models.Model):
    """One row (id 1): how many leaves are sequenced and the root over them; only the sequencer locks it."""

    size = models.BigIntegerField(default=0)
    root_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.size} {self.root_hash}"


class LogKey(models.Model):
    """A key that signs checkpoints; the private key lives in the keystore."""

    name = models.CharField(_("密钥名称"), max_length=255)
    algorithm = models.CharField(_("算法"), max_length=20)
    key_backend = models.CharField(max_length=16)
    key_id = models.CharField(max_length=64)
    spki_der = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("日志签名密钥")
        verbose_name_plural = _("日志签名密钥")

    def __str__(self) -> str:
        return f"{self.name} {self.algorithm}"


class LogCheckpoint(models.Model):
    size = models.BigIntegerField(_("树大小"), unique=True)
    root_hash = models.CharField(_("根哈希"), max_length=64)
    note = models.TextField(_("签名检查点"))
    tsa_token = models.BinaryField(blank=True, default=b"")  # RFC 3161 token over the note's bytes
    stamped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("检查点")
        verbose_name_plural = _("检查点")
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"{self.size} {self.root_hash}"


class ReportSigner(models.Model):
    """The platform's certificate that signs evidence reports (出证), one active per algorithm
    (ECDSA P-256 for the PAdES signature, SM2 for the 国密 one), issued on first use by the
    issuing CA of that algorithm; the private key lives in the keystore."""

    algorithm = models.CharField(_("算法"), max_length=20)
    issuer = models.ForeignKey(
        "pki.CertificateAuthority", on_delete=models.PROTECT, related_name="+", verbose_name=_("签发者")
    )
    certificate_der = models.BinaryField(verbose_name=_("证书（DER）"))
    serial = models.CharField(_("证书序列号"), max_length=64)  # lowercase hex
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    not_after = models.DateTimeField(_("到期时间"))
    key_backend = models.CharField(max_length=16)
    key_id = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("报告签名证书")
        verbose_name_plural = _("报告签名证书")

    def __str__(self) -> str:
        return f"{self.algorithm} {self.serial}"


class EvidenceReport(models.Model):
    """One issue of a 签署报告: who asked for which subject, the file's hash and its log leaf.
    The PDF itself is not kept (it is made again on request, with a newer checkpoint)."""

    report_id = models.CharField(_("报告编号"), max_length=32, unique=True)
    subject_kind = models.CharField(_("报告对象"), max_length=16)  # task, document, record
    subject_id = models.CharField(_("对象编号"), max_length=64)
    requested_by = models.CharField(
        _("申请方"), max_length=128
    )  # "person:<account>", "platform:<id>", "operator:<name>"
    language = models.CharField(_("语言"), max_length=16)
    sha256 = models.CharField(_("报告 SHA-256"), max_length=64)
    checkpoint_size = models.BigIntegerField(_("检查点树大小"))
    leaf = models.ForeignKey(LogLeaf, on_delete=models.PROTECT, related_name="+", verbose_name=_("日志叶子"))
    created_at = models.DateTimeField(_("出具时间"), default=timezone.now)

    class Meta:
        verbose_name = _("签署报告")
        verbose_name_plural = _("签署报告")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.report_id
