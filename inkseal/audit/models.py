from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One append-only, hash-chained audit record. Never updated or deleted by the application."""

    seq = models.PositiveBigIntegerField(unique=True, verbose_name=_("序号"))
    at = models.DateTimeField(_("时间"), db_index=True)
    event = models.CharField(_("事件"), max_length=64, db_index=True)
    actor_kind = models.CharField(_("操作者类型"), max_length=16)  # person | operator | platform | system
    actor_id = models.CharField(max_length=64, blank=True, verbose_name=_("操作者ID"))
    actor_label = models.CharField(_("操作者"), max_length=128, blank=True)
    identity = models.CharField(_("身份"), max_length=64, blank=True)
    ip = models.CharField(_("IP地址"), max_length=64, blank=True)
    target = models.CharField(_("对象"), max_length=128, blank=True)
    data = models.JSONField(default=dict, verbose_name=_("数据"))
    content_hash = models.CharField(max_length=64, verbose_name=_("内容摘要"))
    prev_hash = models.CharField(max_length=64, verbose_name=_("前一条目摘要"))
    entry_hash = models.CharField(max_length=64, verbose_name=_("条目摘要"))

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"#{self.seq} {self.event}"

    def content(self) -> dict[str, Any]:
        return entry_content(*(getattr(self, name) for name in CONTENT_FIELDS))


# The fields an entry's content hash covers, in entry_content's order.
CONTENT_FIELDS = ("at", "event", "actor_kind", "actor_id", "actor_label", "identity", "ip", "target", "data")


def entry_content(
    at: datetime,
    event: str,
    actor_kind: str,
    actor_id: str,
    actor_label: str,
    identity: str,
    ip: str,
    target: str,
    data: Any,
) -> dict[str, Any]:
    return {
        "at": at.isoformat(),
        "event": event,
        "actor_kind": actor_kind,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "identity": identity,
        "ip": ip,
        "target": target,
        "data": data,
    }


class AuditHead(models.Model):
    """Single row holding the chain head; locking it serialises appends on every database."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0, verbose_name=_("序号"))
    entry_hash = models.CharField(max_length=64, verbose_name=_("条目摘要"))

    def __str__(self) -> str:
        return f"head #{self.seq}"


class AuditAnchor(models.Model):
    """The chain head at a moment, time-stamped by the platform's TSA (RFC 3161 token over
    chain.anchor_statement). Also appended to settings.AUDIT_ANCHOR_FILE, outside the database:
    `audit verify` checks the log still reaches every anchor (a shrunk or emptied log does not)."""

    seq = models.PositiveBigIntegerField(_("条目数"))
    entry_hash = models.CharField(max_length=64, verbose_name=_("条目摘要"))
    stamped_at = models.DateTimeField(_("时间戳时间"))
    token = models.BinaryField(blank=True, default=b"", verbose_name=_("令牌"))

    class Meta:
        ordering = ["-seq", "-id"]
        verbose_name = _("审计日志锚点")
        verbose_name_plural = _("审计日志锚点")

    def __str__(self) -> str:
        return f"anchor #{self.seq}"
