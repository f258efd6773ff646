"""Refusals of the portal's own pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from inkseal.core.errors import DomainError


class ManualUnavailable(DomainError):
    """The user manual cannot be built (docs/ missing from the deployment, or unrenderable)."""

    code = "manual_unavailable"
    status = 503
    default_message = _("用户手册暂不可用，请稍后再试。")
