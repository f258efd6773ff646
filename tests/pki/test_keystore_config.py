"""The deployment's keystores: the KEK lives outside the database; PKCS#11 is a setting away."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.errors import KeystoreError
from inkseal.pki.keystore_config import kek_path, keystore, load_keks
from inkseal.pki.keystores.soft import KeyEncryptionKey
from inkseal.pki.models import KeyBlob
from inkseal.pki.services import issue_cloud_certificate, signing_key_for
from tests.pki.conftest import SOFTHSM_LABEL, SOFTHSM_PIN

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "test")


def test_the_kek_file_is_private_and_stable(ca_hierarchy):
    path = kek_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first, _ = load_keks()
    assert load_keks()[0] == first


def test_the_kek_may_come_from_the_environment(monkeypatch):
    kek = KeyEncryptionKey.generate()
    previous = KeyEncryptionKey.generate()
    monkeypatch.setenv("INKSEAL_KEK", base64.b64encode(kek.secret).decode())
    monkeypatch.setenv("INKSEAL_KEK_PREVIOUS", previous.secret.hex())
    current, old = load_keks()
    assert current == kek and old == [previous]


def test_an_unknown_backend_is_refused(settings):
    settings.PKI_KEYSTORE = "cloud-hsm"
    with pytest.raises(KeystoreError):
        keystore()


def test_cloud_keys_in_a_pkcs11_token(ca_hierarchy, verified_person, softhsm_token, settings, monkeypatch):
    settings.PKI_KEYSTORE = "pkcs11"
    settings.PKI_PKCS11_MODULE = softhsm_token
    settings.PKI_PKCS11_TOKEN = SOFTHSM_LABEL
    monkeypatch.setenv("INKSEAL_PKCS11_PIN", SOFTHSM_PIN)
    blobs = KeyBlob.objects.count()
    for algorithm in (ECDSA_P256, RSA_2048):
        certificate = issue_cloud_certificate(
            verified_person().party, algorithm=algorithm, years=1, acting=Acting(ACTOR)
        )
        assert certificate.key_backend == "pkcs11"
        assert keystore().is_extractable(certificate.key_id) is False  # type: ignore[attr-defined]
        key = signing_key_for(certificate)
        key.signer.public_key.verify(key.signer.sign(b"data"), b"data")
    assert KeyBlob.objects.count() == blobs  # nothing of it in the database
    # the CA keys made earlier in the soft keystore keep working
    assert ca_hierarchy["issuing-rsa"].key_backend == "soft"


def test_no_private_key_in_a_database_dump(ca_hierarchy, verified_person, tmp_path):
    from django.core.management import call_command

    certificate = issue_cloud_certificate(verified_person().party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "pki", output=str(dump), verbosity=0)
    text = dump.read_bytes()
    pkcs8 = keystore().signer(certificate.key_id).to_pkcs8()  # type: ignore[attr-defined]
    assert base64.b64encode(pkcs8) not in text and pkcs8 not in text
    assert os.path.getsize(dump) > 0
