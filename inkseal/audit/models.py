from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One append-only, hash-chained audit record. Never updated or deleted by the application."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    event = models.CharField(_("事件"), max_length=64, db_index=True)
    actor_kind = models.CharField(_("操作者类型"), max_length=16)  # person | operator | platform | system
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(_("操作者"), max_length=128, blank=True)
    identity = models.CharField(_("身份"), max_length=64, blank=True)
    ip = models.CharField(_("IP"), max_length=64, blank=True)
    target = models.CharField(_("对象"), max_length=128, blank=True)
    data = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"#{self.seq} {self.event}"

    def content(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "event": self.event,
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "identity": self.identity,
            "ip": self.ip,
            "target": self.target,
            "data": self.data,
        }


class AuditHead(models.Model):
    """Single row holding the chain head; locking it serialises appends on every database."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"
