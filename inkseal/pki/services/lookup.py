"""The portal's access gate (the certificates an identity holds, who may manage them) and downloads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.core.errors import NotFound, PermissionDenied
from inkseal.pki.models import Certificate
from inkseal.pki.pem import armor
from inkseal.pki.services.chain_cache import certificate_chain


def certificates_of(identity: CurrentIdentity) -> QuerySet[Certificate]:
    """Every certificate the identity's party holds (the only way portal pages query them)."""
    return Certificate.objects.filter(holder=identity.party).select_related(
        "holder__person",
        "holder__enterprise",
        "issuer",
        "trusted_root",
        "renewed_by",
        "signing_certificate",
        "encryption_certificate",
    )


def certificate_for(identity: CurrentIdentity, certificate_id: Any) -> Certificate:
    """The identity's certificate, or NotFound (404) for anything else, existing or not."""
    try:
        return certificates_of(identity).get(pk=int(certificate_id))
    except (Certificate.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("证书不存在。"))


def check_can_manage(identity: CurrentIdentity, certificate: Certificate | None = None) -> None:
    """Revoking, renewing and PINs of an enterprise's certificates are for its administrators."""
    if not identity.is_admin:
        raise PermissionDenied(_("只有企业管理员（经办人）可以吊销、续期企业证书或设置其 PIN 码。"))


def certificate_pem(certificate: Certificate) -> str:
    return armor(bytes(certificate.der), "CERTIFICATE")


def chain_pem(certificate: Certificate) -> str:
    """The certificate followed by its CA certificates up to the root (what `openssl verify` wants)."""
    return certificate_pem(certificate) + "".join(armor(der, "CERTIFICATE") for der in certificate_chain(certificate))
