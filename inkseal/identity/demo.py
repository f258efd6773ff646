"""Demo data: reviewers (审核员) may work the identity review queue."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission


def demo_step(document: dict[str, Any]) -> None:
    reviewers = Group.objects.filter(name="审核员").first()
    if reviewers is None:
        return
    codenames = ["view_verificationattempt", "view_pendingreview", "review_verificationattempt"]
    reviewers.permissions.add(*Permission.objects.filter(content_type__app_label="identity", codename__in=codenames))
