"""Signers are cached per certificate in one bounded cache (SIGNER_CACHE_SIZE), and a cached signer
holds no unwrapped key: it takes the key from the keystore at each signature, so the keystore's
own bound (PKI_KEY_CACHE_SIZE) stays the bound on private keys in memory (issue #13)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.keystore_config import keystore
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate
from inkseal.signing.core.signer import SealSigner
from inkseal.signing.tasks import signers
from tests.pki import conftest as pki_fixtures

pytestmark = pytest.mark.django_db
ca_hierarchy, verified_person = pki_fixtures.ca_hierarchy, pki_fixtures.verified_person


@pytest.fixture
def certificates(ca_hierarchy: Any, verified_person: Any) -> list[Certificate]:
    holder = verified_person("王五").party
    issued = [issue_cloud_certificate(holder, algorithm=ECDSA_P256, years=1, acting=Acting.system()) for _ in range(4)]
    signers._signers.clear()  # signers of an earlier test's certificates
    return issued


def signer_for(certificate: Certificate) -> SealSigner:
    """What the signing service does: lock the certificate row, check it may sign, take its signer."""
    with transaction.atomic():
        return signers.seal_signer(certificate.pk, timezone.now())


def test_the_signer_cache_never_holds_more_than_its_size(certificates: list[Certificate], settings: Any) -> None:
    settings.SIGNER_CACHE_SIZE = 2
    first = signer_for(certificates[0])
    assert signer_for(certificates[0]) is first  # built once per certificate
    for certificate in certificates[1:]:
        signer_for(certificate)
        assert len(signers._signers) <= 2
    assert signer_for(certificates[0]) is not first  # evicted, then built again


@pytest.fixture
def key_cache_of_one(settings: Any) -> None:
    """The keystore keeps one unwrapped key (the size is read as it caches one: set before issuing)."""
    settings.PKI_KEY_CACHE_SIZE = 1


def test_a_cached_signer_holds_no_unwrapped_key(
    key_cache_of_one: None, certificates: list[Certificate], settings: Any
) -> None:
    settings.SIGNER_CACHE_SIZE = 8
    first = signer_for(certificates[0])
    unwrapped = weakref.ref(keystore(certificates[0].key_backend).signer(certificates[0].key_id))
    for certificate in certificates[1:]:
        signer_for(certificate).key.sign(b"tbs")  # each signature unwraps its key; the keystore keeps one
    gc.collect()
    assert unwrapped() is None  # out of the keystore's cache, and no cached signer kept it alive
    assert signer_for(certificates[0]) is first  # while the signer itself stays cached
    signature = first.key.sign(b"to be signed")  # and still signs: the key is unwrapped again
    first.key.public_key.verify(signature, b"to be signed")
