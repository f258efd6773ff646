"""Cloud certificate PIN: set, change with the old PIN, five wrong PINs lock signing (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.errors import (
    CertificateNotForSigning,
    PinAlreadySet,
    PinIncorrect,
    PinInvalid,
    PinLocked,
    PinNotSet,
)
from inkseal.pki.models import Certificate
from inkseal.pki.pins import PIN_MAX_FAILURES, change_pin, set_pin, verify_pin
from inkseal.pki.services import issue_cloud_certificate, issue_from_csr, signing_key_for
from tests.pki.test_services import csr

pytestmark = pytest.mark.django_db

ACTOR = Actor("person", "L1", "张三")


@pytest.fixture
def certificate(ca_hierarchy, verified_person) -> Certificate:  # type: ignore[no-untyped-def]
    return issue_cloud_certificate(verified_person().party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))


def fresh(certificate: Certificate) -> Certificate:
    return Certificate.objects.get(pk=certificate.pk)


def test_set_then_verify(certificate):
    with pytest.raises(PinNotSet):
        verify_pin(certificate, "135790", acting=Acting(ACTOR))
    set_pin(certificate, "135790", acting=Acting(ACTOR))
    stored = fresh(certificate)
    assert stored.pin_hash.startswith("$argon2id$") and "135790" not in stored.pin_hash
    verify_pin(stored, "135790", acting=Acting(ACTOR))
    assert AuditEntry.objects.filter(event="certificate.pin_set").count() == 1
    with pytest.raises(PinAlreadySet):
        set_pin(stored, "246801", acting=Acting(ACTOR))


@pytest.mark.parametrize("pin", ["12345", "1234567", "abcdef", "12 456", "111111", "123456", "987654", "１２３４５６"])
def test_weak_or_malformed_pins_are_refused(certificate, pin):
    with pytest.raises(PinInvalid):
        set_pin(certificate, pin, acting=Acting(ACTOR))
    assert not fresh(certificate).has_pin


def test_changing_needs_the_old_pin(certificate):
    set_pin(certificate, "135790", acting=Acting(ACTOR))
    with pytest.raises(PinIncorrect) as refused:
        change_pin(certificate, "000001", "246801", acting=Acting(ACTOR))
    assert "还可尝试 4 次" in str(refused.value.message)
    assert fresh(certificate).pin_failures == 1  # the failure outlived the refusal
    change_pin(certificate, "135790", "246801", acting=Acting(ACTOR))
    verify_pin(certificate, "246801", acting=Acting(ACTOR))
    with pytest.raises(PinIncorrect):
        verify_pin(certificate, "135790", acting=Acting(ACTOR))


def test_five_wrong_pins_lock_pin_entry_there_for_the_configured_time(certificate, settings):
    """Five wrong PINs lock PIN entry where they were typed (here the portal), not signing:
    locking the certificate itself needs locks on several platforms (tests/pki/test_pin_lockout.py)."""
    settings.PKI_PIN_LOCK_MINUTES = 15
    set_pin(certificate, "135790", acting=Acting(ACTOR))
    now = timezone.now()
    for attempt in range(1, PIN_MAX_FAILURES):
        with pytest.raises(PinIncorrect) as refused:
            verify_pin(certificate, "999990", acting=Acting(ACTOR), now=now)
        assert refused.value.details["remaining"] == PIN_MAX_FAILURES - attempt
    with pytest.raises(PinLocked) as locked:
        verify_pin(certificate, "999990", acting=Acting(ACTOR), now=now)
    assert locked.value.details == {"scope": "task", "until": (now + timedelta(minutes=15)).isoformat()}
    lock_entry = AuditEntry.objects.get(event="certificate.pin_locked")
    assert lock_entry.target == f"certificate:{certificate.pk}" and lock_entry.data["scope"] == "task"
    assert AuditEntry.objects.filter(event="certificate.pin_failed").count() == PIN_MAX_FAILURES - 1

    with pytest.raises(PinLocked):  # even the right PIN, while locked
        verify_pin(certificate, "135790", acting=Acting(ACTOR), now=now + timedelta(minutes=14))
    assert fresh(certificate).pin_locked_until is None
    assert signing_key_for(certificate, at=now + timedelta(minutes=14)).signer  # SMS-confirmed signing goes on

    after = now + timedelta(minutes=15, seconds=1)
    verify_pin(certificate, "135790", acting=Acting(ACTOR), now=after)
    with pytest.raises(PinIncorrect) as refused:  # the count starts again
        verify_pin(certificate, "999990", acting=Acting(ACTOR), now=after)
    assert refused.value.details["remaining"] == PIN_MAX_FAILURES - 1


def test_a_right_pin_resets_the_count(certificate):
    set_pin(certificate, "135790", acting=Acting(ACTOR))
    for _ in range(PIN_MAX_FAILURES - 1):
        with pytest.raises(PinIncorrect):
            verify_pin(certificate, "000001", acting=Acting(ACTOR))
    verify_pin(certificate, "135790", acting=Acting(ACTOR))
    assert fresh(certificate).pin_failures == 0
    with pytest.raises(PinIncorrect):
        verify_pin(certificate, "000001", acting=Acting(ACTOR))


def test_only_cloud_certificates_have_a_pin(ca_hierarchy, verified_person):
    ukey = issue_from_csr(verified_person().party, csr(), ukey_serial="TW-5", years=1, acting=Acting(ACTOR))
    with pytest.raises(CertificateNotForSigning):
        set_pin(ukey, "135790", acting=Acting(ACTOR))


def test_the_pin_survives_renewal(ca_hierarchy, verified_person):
    from inkseal.pki.services import renew_certificate

    due = issue_cloud_certificate(
        verified_person().party,
        algorithm=ECDSA_P256,
        years=1,
        acting=Acting(ACTOR),
        now=timezone.now() - timedelta(days=340),
    )
    set_pin(due, "135790", acting=Acting(ACTOR))
    renewed = renew_certificate(fresh(due), years=1, acting=Acting(ACTOR))
    verify_pin(renewed, "135790", acting=Acting(ACTOR))
    with pytest.raises(PinIncorrect):
        verify_pin(renewed, "246801", acting=Acting(ACTOR))
