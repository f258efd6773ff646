"""Fixed-window rate limits shared by every worker: a counter row per subject and window.

Limits that have a row of their own to count (SMS codes, verification attempts) count those rows;
a limit on requests that leave no row (验签) counts here. Per-process counters (Django's local
memory cache) would let each of N workers accept the limit, N times in all.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from inkseal.core.models import RateCounter


def hit(subject: str, window_seconds: int) -> int:
    """Count one hit of `subject` in the current window; return the window's count so far."""
    now = timezone.now()
    window = int(now.timestamp() // window_seconds)
    key = f"{subject}:{window}"
    with transaction.atomic():
        if RateCounter.objects.filter(key=key).update(count=F("count") + 1):
            return _count(key)
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, count=1, expires_at=now + timedelta(seconds=2 * window_seconds))
        except IntegrityError:  # another worker opened the window first
            RateCounter.objects.filter(key=key).update(count=F("count") + 1)
            return _count(key)
        RateCounter.objects.filter(expires_at__lt=now).delete()  # once per new window and subject
        return 1


def _count(key: str) -> int:
    # the row is locked by this transaction's update: nobody changed it since
    return int(RateCounter.objects.values_list("count", flat=True).get(key=key))
