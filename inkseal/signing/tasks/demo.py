"""Demo signing set-up (see core.demo): signing-API credentials for the demo platform, the demo
certificates authorised to it for their people, and the demo seals bound to the certificates.
Adds document["platform"]["api"] and, per entry of document["certificates"], the seal types and
the authorised person. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from inkseal.accounts.models import Person
from inkseal.audit.services import Actor
from inkseal.conf import secret_file
from inkseal.core.acting import Acting
from inkseal.pki.models import Certificate
from inkseal.platforms.models import ApiClient, CertificateAuthorization, TradingPlatform
from inkseal.platforms.services import (
    callback_secret,
    do_authorize_certificate,
    do_create_api_client,
    set_client_secret,
)
from inkseal.seals.services import do_bind_seal, live_seals

DEMO_ACTOR = Actor("system", "", "demo")
DEMO_ACTING = Acting(DEMO_ACTOR)


def _api_client(platform: TradingPlatform) -> tuple[ApiClient, str]:
    secret = secret_file("demo_platform_api_client_secret", 32)
    client = ApiClient.objects.filter(client_id=f"{platform.code}-demo").first()
    if client is None:
        client, _ = do_create_api_client(
            platform,
            acting=DEMO_ACTING,
            client_id=f"{platform.code}-demo",
            secret=secret,
            callback_key=secret_file("demo_platform_callback_secret", 32),
        )
    set_client_secret(client, secret)
    client.save(update_fields=["secret_hash"])
    return client, secret


def _authorised_person(certificate: Certificate, document: dict[str, Any]) -> Person:
    if certificate.subject_kind == Certificate.SubjectKind.ENTERPRISE:
        return Person.objects.get(phone=document["enterprise"]["admin_phone"])
    return Person.objects.get(party=certificate.holder)


@transaction.atomic
def demo_step(document: dict[str, Any]) -> None:
    if "platform" not in document or "certificates" not in document:
        raise RuntimeError("the signing demo step needs the platforms and pki steps first")
    platform = TradingPlatform.objects.get(code=document["platform"]["code"])
    platform.callback_url = f"{document['portal_url']}/signing/callback"
    platform.save(update_fields=["callback_url"])
    client, secret = _api_client(platform)
    document["platform"]["api"] = {
        "token_url": f"{document['inkseal_url']}/api/v1/oauth/token",
        "sign_tasks_url": f"{document['inkseal_url']}/api/v1/sign-tasks",
        "client_id": client.client_id,
        "client_secret": secret,
        "callback_url": platform.callback_url,
        "callback_secret": callback_secret(client),
        "callback_signature_header": "X-Inkseal-Signature",
    }
    now = timezone.now()
    for entry in document["certificates"]:
        certificate = Certificate.objects.select_related("holder").get(serial=entry["serial"], issuer__isnull=False)
        person = _authorised_person(certificate, document)
        live = CertificateAuthorization.objects.filter(
            certificate=certificate,
            platform=platform,
            grantee_phone=person.phone,
            revoked_at__isnull=True,
            valid_until__gt=now,
        )
        if not live.exists():
            do_authorize_certificate(
                certificate,
                platform,
                grantee_name=person.name,
                grantee_phone=person.phone,
                valid_from=now - timedelta(minutes=1),
                valid_until=certificate.not_after,
                acting=DEMO_ACTING,
            )
        seals = [seal for seal in live_seals(certificate.holder) if seal.state == "active"]
        for seal in seals:
            do_bind_seal(seal, certificate, acting=DEMO_ACTING)
        entry["seal_types"] = [seal.kind for seal in seals]
        entry["authorised_person"] = {"name": person.name, "phone": person.phone}
