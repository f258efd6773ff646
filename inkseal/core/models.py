from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """Hits of one rate-limited subject in one time window (core.ratelimit). In the database so
    that every worker process and every app server counts against the same limit."""

    key = models.CharField(max_length=160, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
