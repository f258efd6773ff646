"""The platform's signatures on an evidence report: first an SM2 signature (GM/T 0010 CMS in the
PDF, time-stamped by the SM2 TSA: the 国密 view), then an ECDSA P-256 PAdES B-LT signature (time
stamp, chains and CRLs in the DSS) covering everything before it, the SM2 signature included.
The ECDSA one is last so that a verifier with only `cryptography` (no SM2) still checks every
byte but the DSS that follows it.

The certificates are the platform's own (`ReportSigner`, one per algorithm, issued by the
issuing CA of that algorithm on first use with the services policy); their keys stay in the
keystore.
"""

from __future__ import annotations

import functools
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pyhanko_certvalidator import ValidationContext

from inkseal.evidence.models import ReportSigner
from inkseal.evidence.report_pdf import SIGNATURE_ANCHOR
from inkseal.pki.algorithms import ECDSA_P256, SM2, Algorithm, get_algorithm
from inkseal.pki.authorities import (
    authority,
    chain_of,
    issuing_ca_for,
    locked_counter,
    policy_oids,
    public_urls,
    tsa_family_for,
)
from inkseal.pki.authority_setup import active_tsa
from inkseal.pki.crl_publishing import published_crl
from inkseal.pki.errors import CaNotReady
from inkseal.pki.keystore_config import StoredKey, keystore
from inkseal.pki.models import CertificateAuthority
from inkseal.pki.names import ca_subject
from inkseal.pki.oids import POLICY_SERVICES
from inkseal.pki.profiles import SIGNING_KEY_USAGE, CertificateProfile, Validity
from inkseal.pki.x509 import issue_certificate
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.gmcms import SIGNATURE_VALIDATOR
from inkseal.signing.core.pdf import PadesLevel, sign_pdf
from inkseal.signing.core.placement import AtKeyword, Placement
from inkseal.signing.core.signer import SealSigner
from inkseal.signing.tasks.timestamper import platform_timestamper, reserve_serials

log = logging.getLogger(__name__)

REPORT_SIGNING = CertificateProfile(
    name="evidence_report",
    key_usage=SIGNING_KEY_USAGE,
    policy_oid=POLICY_SERVICES,
    policy="services",
    end_entity_validity=False,
)
SIGNER_YEARS = 3
SEAL_MM = 36.0
MM = 72 / 25.4  # placement offsets are in points


def report_signer(algorithm: Algorithm) -> ReportSigner:
    """The active report-signing certificate of `algorithm`, issued when there is none (or it ends
    within 30 days); CaNotReady without an issuing CA of that algorithm."""
    now = timezone.now().replace(microsecond=0)
    found = _current(algorithm, now)
    if found is not None:
        return found
    with transaction.atomic():
        locked_counter(f"report_signer:{algorithm.name}")
        found = _current(algorithm, now)
        if found is not None:
            return found
        issuing = issuing_ca_for(algorithm)
        store = keystore()
        key_id = store.generate_key(algorithm, f"evidence-report:{algorithm.name}")
        not_after = min(now + timedelta(days=365 * SIGNER_YEARS), issuing.not_after)
        organization = settings.PKI_ORGANIZATION
        certificate = issue_certificate(
            authority(issuing),
            subject=ca_subject(f"{organization} Evidence Report", organization),
            public_key=store.public_key(key_id),
            profile=REPORT_SIGNING.with_policies(policy_oids()),
            validity=Validity(now, not_after),
            urls=public_urls(),
        )
        ReportSigner.objects.filter(algorithm=algorithm.name, active=True).update(active=False)
        return ReportSigner.objects.create(
            algorithm=algorithm.name,
            issuer=issuing,
            certificate_der=certificate.der,
            serial=format(certificate.serial, "x"),
            fingerprint=certificate.sha256_fingerprint,
            not_after=certificate.not_after,
            key_backend=store.backend,
            key_id=key_id,
        )


def _current(algorithm: Algorithm, now: datetime) -> ReportSigner | None:
    row = ReportSigner.objects.filter(algorithm=algorithm.name, active=True).select_related("issuer").first()
    if row is None or row.not_after - now < timedelta(days=30):
        return None
    return row


@dataclass(frozen=True)
class SignedReport:
    pdf: bytes
    signers: tuple[ReportSigner, ...]  # in signing order (SM2 first when there is an SM2 CA)


def sign_report(pdf: bytes) -> SignedReport:
    """The report signed: SM2 (B-T) when the platform has an SM2 issuing CA, then ECDSA (B-LT)."""
    signers: list[ReportSigner] = []
    try:
        sm2 = report_signer(SM2)
    except CaNotReady:
        log.info("no SM2 issuing CA: the evidence report gets no SM2 signature")
    else:
        pdf = _sign(pdf, sm2, "ReportSM2", offset=(-(SEAL_MM + 4) * MM, 0.0))
        signers.append(sm2)
    ecdsa = report_signer(ECDSA_P256)
    pdf = _sign(pdf, ecdsa, "Report", offset=(0.0, 0.0))
    signers.append(ecdsa)
    return SignedReport(pdf, tuple(signers))


def _sign(pdf: bytes, row: ReportSigner, prefix: str, offset: tuple[float, float]) -> bytes:
    algorithm = get_algorithm(row.algorithm)
    chain = [bytes(ca.certificate_der) for ca in chain_of(row.issuer)]
    public_key = keystore(row.key_backend).public_key(row.key_id)
    signer = SealSigner(StoredKey(row.key_backend, row.key_id, public_key), bytes(row.certificate_der), chain)
    reserve_serials(8)
    stamper = platform_timestamper(tsa_family_for(algorithm.family))
    level = PadesLevel.B_LT
    out = io.BytesIO()
    sign_pdf(
        pdf,
        output=out,
        signer=signer,
        placements=[Placement(SealImage(_seal_png(), SEAL_MM), AtKeyword(SIGNATURE_ANCHOR, offset=offset))],
        pades_level=level,
        timestamper=stamper,
        validation_context=_validation_context(row),
        field_name_prefix=prefix,
        reason="evidence report",
        signing_time=timezone.now(),
    )
    return out.getvalue()


def _validation_context(row: ReportSigner) -> ValidationContext:
    """The chains of the signer and of its TSA, with the CRLs of every CA on them (a CRL answers
    for the report certificate too: it is never revoked unless the operator revokes its CA)."""
    tsa = active_tsa(tsa_family_for(get_algorithm(row.algorithm).family))
    cas: dict[int, CertificateAuthority] = {ca.pk: ca for ca in chain_of(row.issuer)}
    if tsa is not None and tsa.parent is not None:
        cas.update((ca.pk, ca) for ca in chain_of(tsa.parent))
    crls = [published_crl(ca.ca_id) for ca in cas.values()]
    return ValidationContext(
        trust_roots=[
            asn1_x509.Certificate.load(bytes(ca.certificate_der)) for ca in cas.values() if ca.parent_id is None
        ],
        other_certs=[asn1_x509.Certificate.load(bytes(ca.certificate_der)) for ca in cas.values()],
        crls=[crl for crl in crls if crl is not None],
        allow_fetching=False,
        revocation_mode="hard-fail",
        signature_validator=SIGNATURE_VALIDATOR,
    )


@functools.cache
def _seal_png() -> bytes:
    """The platform's report seal: a round seal with the organisation's name."""
    from inkseal.seals.render import render_png
    from inkseal.seals.render_spec import SealSpec

    return render_png(
        SealSpec(kind="business", name=settings.PKI_ORGANIZATION, type_text="签署报告专用章", size_mm=SEAL_MM)
    )
