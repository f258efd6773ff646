"""Electronic seals of GB/T 38540 (电子印章) on the platform.

- the seal maker (制章者): our SM2 seal-making certificate, made at bootstrap (a setup step) or
  when first needed, renewed before it runs out (`ensure_seal_maker`);
- an electronic seal (SES_Seal) for every seal bound to an SM2 certificate
  (`do_make_electronic_seal`, called by `services.do_bind_seal` in the binding's transaction);
- what a signature needs (`electronic_seals_for_signing`: one per seal).

Checking an uploaded electronic signature is in `ses_verify_services`. The signing app keeps the
SES_Signature of each 应用记录 (inkseal.signing.records.ses).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.pki import hierarchy
from inkseal.pki.algorithms import SM2
from inkseal.pki.authorities import authority, issuing_ca_for, locked_counter, policy_oids, public_urls
from inkseal.pki.errors import CaNotReady
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate
from inkseal.seals import ses, ses_make
from inkseal.seals.models import ENTERPRISE_TYPES, ElectronicSeal, Seal, SealBinding, SealMaker, SealType

logger = logging.getLogger(__name__)

MAKER_RENEW_BEFORE = timedelta(days=30)


def _current_maker(now: datetime) -> SealMaker | None:
    return SealMaker.objects.filter(active=True, not_before__lte=now, not_after__gt=now).order_by("-not_after").first()


def _fresh(maker: SealMaker | None, now: datetime) -> bool:
    return maker is not None and maker.not_after - now > MAKER_RENEW_BEFORE


def ensure_seal_maker(*, acting: Acting | None = None, now: datetime | None = None) -> SealMaker:
    """The active seal maker, made (under the SM2 issuing CA) when there is none or it runs out
    within MAKER_RENEW_BEFORE; CaNotReady without an SM2 issuing CA. Safe from several processes."""
    now = (now or timezone.now()).replace(microsecond=0)
    maker = _current_maker(now)
    if maker is not None and _fresh(maker, now):
        return maker
    with transaction.atomic():
        locked_counter("seal_maker")
        maker = _current_maker(now)
        if maker is not None and _fresh(maker, now):
            return maker
        issuing = issuing_ca_for(SM2)
        if maker is not None and maker.not_after >= issuing.not_after:
            return maker  # it ends with the CA: a new one would not last longer
        store = keystore()
        keyed = hierarchy.create_seal_maker(
            authority(issuing),
            store,
            organization=settings.PKI_ORGANIZATION,
            urls=public_urls(),
            now=now,
            policies=policy_oids(),
        )
        SealMaker.objects.filter(active=True).update(active=False)
        certificate = keyed.certificate
        maker = SealMaker.objects.create(
            issuer=issuing,
            certificate_der=certificate.der,
            serial=format(certificate.serial, "x"),
            fingerprint=certificate.sha256_fingerprint,
            not_before=certificate.not_before,
            not_after=certificate.not_after,
            key_backend=store.backend,
            key_id=keyed.key_id,
        )
        record(
            events.SEAL_MAKER_CREATED,
            **(acting or Acting.system()).audit(),
            target=f"seal_maker:{maker.serial}",
            data={"issuer": issuing.ca_id, "not_after": maker.not_after},
        )
    return maker


def setup_seal_maker() -> None:
    """The `inkseal bootstrap` step: a seal maker as soon as there is an SM2 issuing CA."""
    try:
        ensure_seal_maker()
    except CaNotReady:
        logger.info("no SM2 issuing CA: electronic seals (GB/T 38540) are not made")


def do_make_electronic_seal(
    seal: Seal,
    certificate: Certificate,
    *,
    acting: Acting,
    now: datetime | None = None,
) -> ElectronicSeal | None:
    """The SES_Seal of `seal` for its SM2 `certificate` (made once per pair); None for other
    algorithms. The seal maker signs the picture, the size in mm, the name and the certificate."""
    if certificate.algorithm != SM2.name:
        return None
    existing = ElectronicSeal.objects.filter(seal=seal, certificate=certificate).first()
    if existing is not None:
        return existing
    now = (now or timezone.now()).replace(microsecond=0)
    maker = ensure_seal_maker(now=now)
    es_id = uuid.uuid4().hex.upper()
    der = ses_make.make_seal(
        maker_certificate=bytes(maker.certificate_der),
        maker_key=keystore(maker.key_backend).signer(maker.key_id),
        es_id=es_id,
        seal_type=ses.SEAL_TYPE_UNIT if seal.kind in ENTERPRISE_TYPES else ses.SEAL_TYPE_PERSONAL,
        name=_seal_name(seal),
        signer_certificates=[bytes(certificate.der)],
        picture=_picture(seal),
        created=now,
        valid_start=certificate.not_before,
        valid_end=certificate.not_after,
    )
    try:
        with transaction.atomic():
            electronic = ElectronicSeal.objects.create(
                seal=seal,
                certificate=certificate,
                maker=maker,
                es_id=es_id,
                der=der,
                valid_start=certificate.not_before,
                valid_end=certificate.not_after,
            )
            record(
                events.SEAL_ELECTRONIC_SEAL,
                **acting.audit(),
                target=f"seal:{seal.pk}",
                data={"es_id": es_id, "certificate": certificate.serial, "maker": maker.serial},
            )
    except IntegrityError:  # made concurrently for the same binding
        return ElectronicSeal.objects.get(seal=seal, certificate=certificate)
    return electronic


def _seal_name(seal: Seal) -> str:
    """印章名称 as the seal says it, e.g. 北京示范科技有限公司合同专用章 (always in Chinese)."""
    with translation.override("zh-hans"):
        label = str(SealType(seal.kind).label)
    return seal.name if seal.name.endswith(label) else f"{seal.name}{label}"


_PICTURE_MAGIC = ((b"\x89PNG", "PNG"), (b"\xff\xd8", "JPG"), (b"GIF8", "GIF"), (b"BM", "BMP"))


def _picture(seal: Seal) -> ses.Picture:
    with seal.image.open("rb") as handle:
        data = handle.read()
    kind = next((name for magic, name in _PICTURE_MAGIC if data.startswith(magic)), "SVG")
    return ses.Picture(kind, data, max(1, round(seal.width_mm)), max(1, round(seal.height_mm)))


def electronic_seals_for_signing(
    certificate: Certificate, seals: Sequence[Seal], *, acting: Acting | None = None
) -> list[ElectronicSeal]:
    """The electronic seals an SM2 signature with these seals carries, one per seal bound to the
    certificate, in placement order (a seal placed twice counts once); each made now if its
    binding predates electronic seals. [] for other algorithms."""
    if certificate.algorithm != SM2.name:
        return []
    bound = set(SealBinding.objects.filter(certificate=certificate, seal__in=seals).values_list("seal_id", flat=True))
    ordered = list({seal.pk: seal for seal in seals if seal.pk in bound}.values())
    made = [do_make_electronic_seal(seal, certificate, acting=acting or Acting.system()) for seal in ordered]
    return [electronic for electronic in made if electronic is not None]
