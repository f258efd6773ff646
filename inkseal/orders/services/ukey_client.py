"""The UKEY client tool: its bearer token, the identity it acts as and the delivery of the
escrowed encryption key (双证书)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Party
from inkseal.accounts.services import person_actor
from inkseal.audit import events
from inkseal.core.acting import Acting
from inkseal.core.errors import PermissionDenied
from inkseal.orders.errors import ApplicationInvalid
from inkseal.orders.models import Application, Medium
from inkseal.orders.services._common import _audit, _locked
from inkseal.orders.services.access import check_can_manage
from inkseal.pki.escrow import EncryptionKeyDelivery
from inkseal.pki.escrow import deliver_encryption_key as deliver_escrowed_key


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_issue_client_token(identity: CurrentIdentity, application: Application, *, acting: Acting) -> str:
    """A bearer token for the client tool to submit this application's PKCS#10 and fetch the
    certificate; shown once, stored as a hash, replaced by the next one."""
    check_can_manage(identity)
    if application.medium != Medium.UKEY:
        raise ApplicationInvalid(_("只有 UKEY 办理单需要客户端工具。"))
    token = f"{application.number}.{secrets.token_urlsafe(24)}"
    with transaction.atomic():
        locked = _locked(application)
        locked.client_token_hash = _token_hash(token)
        locked.save(update_fields=["client_token_hash", "updated_at"])
        _audit(events.APPLICATION_CLIENT_TOKEN, locked, acting)
    return token


def application_for_client_token(number: str, token: str) -> Application:
    application = Application.objects.filter(number=number).exclude(client_token_hash="").first()
    if application is None or not hmac.compare_digest(application.client_token_hash, _token_hash(token)):
        raise PermissionDenied(_("客户端令牌无效。"), status=401)
    return application


def deliver_encryption_key(application: Application, *, acting: Acting) -> EncryptionKeyDelivery:
    """双证书: the issued UKEY pair's encryption key for the client tool, as an SM2EnvelopedKey
    sealed to the token's signing key (key management audits each delivery)."""
    if application.certificate is None:
        raise ApplicationInvalid(
            _("办理单当前状态为“%(state)s”，证书尚未签发。") % {"state": application.get_state_display()}, status=409
        )
    identity = client_identity(application)
    acting = Acting(person_actor(application.person), acting.ip, acting.identity or identity.key)
    return deliver_escrowed_key(application.certificate, acting=acting)


def client_identity(application: Application) -> CurrentIdentity:
    """The identity the client tool acts as: the applicant, as the application's party."""
    enterprise = (
        getattr(application.party, "enterprise", None) if application.party.kind == Party.Kind.ENTERPRISE else None
    )
    return CurrentIdentity(application.person, enterprise, "admin" if enterprise else "")
