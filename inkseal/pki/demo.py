"""Demo certificates: the hierarchy, a personal cloud signing certificate for the expert (P-256),
an enterprise one for 北京示范科技有限公司 (RSA-2048) and the manual's product for the same
enterprise, an SM2 dual certificate (云企业双证书: signing + escrowed encryption certificate).
Entries of document["certificates"] are signing certificates (the signing step binds the seals and
authorises them); a dual entry names its encryption certificate. The RSA and P-256 entries come
first, so scripts that take the first enterprise certificate keep an internationally readable one.
document["renewal_due"]: the expert's personal SM2 certificate, issued almost a year ago so that it
is 待续期 (inside the renewal window) and 续期 can be tried.
Idempotent: a holder that already has a usable cloud signing certificate of that algorithm keeps it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from inkseal.accounts.models import Enterprise, Party, Person
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048, SM2, Algorithm
from inkseal.pki.authority_setup import ensure_hierarchy
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate
from inkseal.pki.status import renewal_window, usable_q

EXPERT_PHONE = "18800005473"
DEMO_ACTOR = Actor("system", "", "demo")
RENEWAL_DUE_IN = timedelta(days=20)  # inside the default 30-day window


def _cloud_signing_certificate(holder: Party, algorithm: Algorithm) -> Certificate:
    existing = (
        Certificate.objects.filter(
            usable_q(),
            holder=holder,
            medium=Certificate.Medium.CLOUD,
            usage=Certificate.Usage.SIGNING,
            algorithm=algorithm.name,
        )
        .order_by("-not_after")
        .first()
    )
    return existing or issue_cloud_certificate(holder, algorithm=algorithm, years=1, acting=Acting(DEMO_ACTOR))


def _renewal_due_certificate(holder: Party) -> Certificate:
    now = timezone.now()
    existing = (
        Certificate.objects.filter(
            usable_q(),
            holder=holder,
            medium=Certificate.Medium.CLOUD,
            usage=Certificate.Usage.SIGNING,
            algorithm=SM2.name,
            not_after__lt=now + renewal_window(),
        )
        .order_by("-not_after")
        .first()
    )
    if existing is not None:
        return existing
    issued = now - timedelta(days=365) + RENEWAL_DUE_IN  # a one-year certificate ending in ~20 days
    return issue_cloud_certificate(holder, algorithm=SM2, years=1, acting=Acting(DEMO_ACTOR), now=issued)


def _entry(certificate: Certificate, holder: str, kind: str) -> dict[str, str]:
    entry = {
        "serial": certificate.serial,
        "holder": holder,
        "kind": kind,
        "medium": certificate.medium,
        "algorithm": certificate.algorithm,
    }
    encryption = certificate.pair()
    if encryption is not None:
        entry["encryption_serial"] = encryption.serial
    return entry


@transaction.atomic
def demo_step(document: dict[str, Any]) -> None:
    if "people" not in document or "enterprise" not in document:
        raise RuntimeError("the pki demo step needs the accounts step's people and enterprise first")
    ensure_hierarchy(acting=Acting(DEMO_ACTOR))
    expert = Person.objects.select_related("party").get(phone=EXPERT_PHONE)
    enterprise = Enterprise.objects.select_related("party").get(uscc=document["enterprise"]["uscc"])
    personal = _cloud_signing_certificate(expert.party, ECDSA_P256)
    corporate = _cloud_signing_certificate(enterprise.party, RSA_2048)
    dual = _cloud_signing_certificate(enterprise.party, SM2)
    due = _renewal_due_certificate(expert.party)
    document["certificates"] = [
        _entry(personal, expert.name, Certificate.SubjectKind.PERSONAL),
        _entry(dual, enterprise.name, Certificate.SubjectKind.ENTERPRISE),  # SM2 first: the default, as in the manual
        _entry(corporate, enterprise.name, Certificate.SubjectKind.ENTERPRISE),  # RSA: for international readers
    ]
    document["renewal_due"] = _entry(due, expert.name, Certificate.SubjectKind.PERSONAL)
