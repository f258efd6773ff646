"""The signing app's parts of the certificate detail page (see inkseal.pki.sections)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.pki.models import Certificate
from inkseal.platforms.models import CertificateAuthorization
from inkseal.platforms.services import authorization_state


def _term(start: Any, end: Any) -> str:
    return f"{timezone.localtime(start):%Y-%m-%d} {_('至')} {timezone.localtime(end):%Y-%m-%d}"


def authorization_rows(certificate: Certificate) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = CertificateAuthorization.objects.filter(certificate=certificate).select_related("platform")
    return [
        {
            "platform": row.platform.name,
            "grantee": f"{row.grantee_name}（{row.grantee_phone[:3]}****{row.grantee_phone[-4:]}）",
            "state": authorization_state(row, now),
            "term": _term(row.valid_from, row.valid_until),
        }
        for row in rows
    ]


def add_authorization_url(certificate: Certificate) -> str | None:
    if certificate.revoked_at is not None or certificate.not_after < timezone.now():
        return None
    return reverse("platforms:authorizations", args=[certificate.pk])
