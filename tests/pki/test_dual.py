"""Dual certificates (双证书): an enterprise SM2 product issues a signing certificate and an
encryption certificate over a key that key management escrows under its own KEK; the pair is
shown, revoked and renewed together; the key reaches a UKEY, or is recovered by an operator, only
as an SM2EnvelopedKey."""

from __future__ import annotations

import io
import stat
from datetime import timedelta
from typing import Any

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import csr as asn1_csr
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.orders.models import Application, Medium
from inkseal.pki import gm
from inkseal.pki.algorithms import SM2, Sm2SoftKey
from inkseal.pki.authorities import parsed_certificate
from inkseal.pki.crl import RevocationReason
from inkseal.pki.crl_publishing import published_crl
from inkseal.pki.dual import open_enveloped_key
from inkseal.pki.errors import (
    CertificateNotForSigning,
    DecryptionFailed,
    EncryptionKeyUnavailable,
    KeyNotFound,
    KeyRecoveryInvalid,
    KeystoreError,
    KeyUnwrapFailed,
    RenewalNotAllowed,
)
from inkseal.pki.escrow import deliver_encryption_key, recover_encryption_key
from inkseal.pki.keystore_config import (
    DatabaseBlobStore,
    escrow_kek_path,
    escrow_keystore,
    kek_path,
    keystore,
    load_escrow_keks,
    load_keks,
)
from inkseal.pki.keystores import soft
from inkseal.pki.keystores.soft import KeyEncryptionKey, SoftKeystore
from inkseal.pki.models import Certificate, EscrowKeyBlob, KeyBlob
from inkseal.pki.services import (
    certificate_pem,
    check_can_sign,
    issue_cloud_certificate,
    issue_from_csr,
    renew_certificate,
    revoke_certificate,
)
from inkseal.pki.status import CertificateStatus, certificate_status
from inkseal.seals.models import SealBinding
from tests.orders.conftest import (  # noqa: F401 - shared fixtures
    _chinese,
    _media,
    holder,
    latest,
    operator,
    order,
    platform,
    product,
)
from tests.pki.conftest import OpenSSL

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "test")
DISTID = "distid:1234567812345678"  # OpenSSL 3.0 verifies SM2 with an empty ID unless told


def sm2_csr(key: gm.Sm2PrivateKey) -> bytes:
    """What a UKEY sends: a PKCS#10 request for its SM2 key, signed with the default ID."""
    info = asn1_csr.CertificationRequestInfo(
        {
            "version": "v1",
            "subject": asn1_x509.Name.build({"common_name": "ukey"}),
            "subject_pk_info": asn1_keys.PublicKeyInfo.load(key.public_key.spki_der),
            "attributes": [],
        }
    )
    request = asn1_csr.CertificationRequest(
        {
            "certification_request_info": info,
            "signature_algorithm": {"algorithm": gm.SM2_WITH_SM3_OID},
            "signature": key.sign(info.dump()),
        }
    )
    return bytes(request.dump())


def sm2_order(user: Any, make_product: Any, reviewer: Any, medium: str = Medium.CLOUD, **apply: Any) -> Application:
    """云企业双证书（SM2） (or its UKEY form) ordered, applied for with seals, approved."""
    item = make_product(medium=medium, algorithm="sm2", name="云企业双证书（SM2）-1年期")
    assert order(user, item).status_code == 302
    application = latest(user)
    data = {"seals": [seal.pk for seal in user.seals], **apply}
    assert user.client.post(f"/applications/{application.number}/apply/", data).status_code == 302
    response = reviewer.post(f"/backoffice/orders/application/{application.pk}/approve/")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.certificate is not None, application.state
    return application


def pair_of(application: Application) -> tuple[Certificate, Certificate]:
    signing = application.certificate
    assert signing is not None
    encryption = Certificate.objects.get(signing_certificate=signing)
    return signing, encryption


def crl_serials(ca_id: str) -> set[int]:
    revoked = asn1_crl.CertificateList.load(published_crl(ca_id))["tbs_cert_list"]["revoked_certificates"]
    return {int(entry["user_certificate"].native) for entry in revoked}


@pytest.fixture
def seal_image(_media: None) -> None:  # noqa: F811
    """The image file behind the orders fixtures' seals (binding to an SM2 certificate reads it
    to make the GB/T 38540 electronic seal)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGBA", (64, 64), (200, 0, 0, 255)).save(picture, "PNG")
    storages["default"].save("seals/test.png", ContentFile(picture.getvalue()))


@pytest.fixture
def enterprise(holder: Any, ca_hierarchy: Any, seal_image: None) -> Any:  # noqa: F811
    return holder()


# --- issuance --------------------------------------------------------------------------------


def test_a_cloud_sm2_order_issues_a_signing_and_an_encryption_certificate(
    enterprise: Any,
    product: Any,  # noqa: F811
    operator: Any,  # noqa: F811
    ca_hierarchy: Any,
    openssl: OpenSSL,
) -> None:
    before = enterprise.client.get("/").context["counts"]["cloud_certificates"]
    signing, encryption = pair_of(sm2_order(enterprise, product, operator))

    assert (signing.usage, encryption.usage) == ("signing", "encryption")
    assert signing.algorithm == encryption.algorithm == "sm2"
    assert signing.pair() == encryption and encryption.pair() == signing
    assert (encryption.not_before, encryption.not_after) == (signing.not_before, signing.not_after)
    assert encryption.common_name == signing.common_name and encryption.medium == "cloud"
    assert encryption.key_backend == "escrow" and signing.key_backend == "soft"
    # One product, one certificate on the home page; the seals are bound to the signing half only.
    assert enterprise.client.get("/").context["counts"]["cloud_certificates"] == before + 1
    assert SealBinding.objects.filter(certificate=signing).count() == len(enterprise.seals)
    assert not SealBinding.objects.filter(certificate=encryption).exists()
    with pytest.raises(CertificateNotForSigning):
        check_can_sign(encryption, timezone.now())
    check_can_sign(signing, timezone.now())

    # OpenSSL reads both (GM/T 0015 key usage rows) and verifies them against the SM2 chain, one
    # link at a time: OpenSSL 3.0's -vfyopt distid reaches the target certificate only.
    root = openssl.write("root.pem", certificate_pem_of(ca_hierarchy["root-sm2"]))
    issuing = openssl.write("issuing.pem", certificate_pem_of(ca_hierarchy["issuing-sm2"]))
    assert verified(openssl, root, issuing)
    texts = {}
    for certificate in (signing, encryption):
        path = openssl.write(f"{certificate.usage}.pem", certificate_pem(certificate))
        texts[certificate.usage] = openssl("x509", "-in", path, "-noout", "-text").stdout
        assert verified(openssl, issuing, path)
    assert "Digital Signature, Non Repudiation" in texts["signing"]
    assert "Key Encipherment, Data Encipherment, Key Agreement" in texts["encryption"]
    for text in texts.values():
        assert "ASN1 OID: SM2" in text and text.count("Signature Algorithm: SM2-with-SM3") == 2
    assert "Digital Signature" not in texts["encryption"]

    events = AuditEntry.objects.filter(event="certificate.issue", target=f"certificate:{encryption.pk}")
    assert events.get().data["pair"] == signing.serial


def certificate_pem_of(ca: Any) -> str:
    return parsed_certificate(bytes(ca.certificate_der)).pem()


def verified(openssl: OpenSSL, anchor: Any, target: Any) -> bool:
    result = openssl("verify", "-x509_strict", "-vfyopt", DISTID, "-partial_chain", "-CAfile", anchor, target)
    return result.stdout.strip().endswith(": OK")


def test_rsa_and_ecdsa_and_personal_sm2_certificates_stay_single(
    ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any
) -> None:
    from inkseal.pki.algorithms import ECDSA_P256, RSA_2048

    admin = verified_person()
    for holder_party, algorithm in (
        (verified_enterprise(admin).party, RSA_2048),
        (verified_enterprise(admin).party, ECDSA_P256),
        (admin.party, SM2),  # personal certificates have no encryption profile
    ):
        certificate = issue_cloud_certificate(holder_party, algorithm=algorithm, years=1, acting=Acting(ACTOR))
        assert certificate.pair() is None
    assert not Certificate.objects.filter(usage="encryption").exists()


# --- escrow ----------------------------------------------------------------------------------


def test_the_encryption_key_is_escrowed_under_its_own_kek(
    ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any
) -> None:
    signing = issue_cloud_certificate(
        verified_enterprise(verified_person()).party, algorithm=SM2, years=1, acting=Acting(ACTOR)
    )
    encryption = signing.pair()
    assert encryption is not None

    # Its blob sits in key management's table, not with the signing keys.
    assert not KeyBlob.objects.filter(key_id=encryption.key_id).exists()
    blob = bytes(EscrowKeyBlob.objects.get(key_id=encryption.key_id).blob)
    escrow_kek, main_kek = load_escrow_keks()[0], load_keks()[0]
    assert escrow_kek.kek_id != main_kek.kek_id
    assert stat.S_IMODE(escrow_kek_path().stat().st_mode) == 0o600
    assert escrow_kek_path().read_bytes() != kek_path().read_bytes()

    # The signing keystore's KEK does not open it, not even by trying its bytes directly.
    header, header_bytes, nonce, ciphertext = soft._parse_blob(blob)
    assert header.kek_id == escrow_kek.kek_id and header.algorithm == "sm2"
    with pytest.raises(InvalidTag):
        AESGCM(main_kek.secret).decrypt(nonce, ciphertext, soft._aad(encryption.key_id, header_bytes))
    with pytest.raises(KeyUnwrapFailed):
        SoftKeystore(DatabaseBlobStore(EscrowKeyBlob), main_kek).private_key(encryption.key_id)
    with pytest.raises(KeyNotFound):  # and the signing keystore has no such key at all
        keystore().signer(encryption.key_id)

    # Key management opens it, and it is the key the encryption certificate certifies.
    escrowed = escrow_keystore().private_key(encryption.key_id)
    assert escrowed.public_key.spki_der == parsed_certificate(bytes(encryption.der)).public_key.spki_der


def test_the_escrow_kek_must_differ_from_the_signing_kek(monkeypatch: Any) -> None:
    kek = KeyEncryptionKey.generate().secret.hex()
    monkeypatch.setenv("INKSEAL_KEK", kek)
    monkeypatch.setenv("INKSEAL_ESCROW_KEK", kek)
    with pytest.raises(KeystoreError):
        escrow_keystore()
    other = KeyEncryptionKey.generate()
    monkeypatch.setenv("INKSEAL_ESCROW_KEK", other.secret.hex())
    assert escrow_keystore().kek == other


# --- revocation and renewal ------------------------------------------------------------------


def test_revoking_either_certificate_revokes_both(
    ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any
) -> None:
    admin = verified_person()
    for revoked_half in ("signing", "encryption"):
        signing = issue_cloud_certificate(
            verified_enterprise(admin).party, algorithm=SM2, years=1, acting=Acting(ACTOR)
        )
        encryption = signing.pair()
        assert encryption is not None
        target = signing if revoked_half == "signing" else encryption
        revoke_certificate(target, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
        signing.refresh_from_db()
        encryption.refresh_from_db()
        assert signing.revoked_at == encryption.revoked_at is not None
        assert signing.reason is encryption.reason is RevocationReason.KEY_COMPROMISE
        for certificate, other in ((signing, encryption), (encryption, signing)):
            entry = AuditEntry.objects.get(event="certificate.revoke", target=f"certificate:{certificate.pk}")
            assert entry.data["pair"] == other.serial and entry.data["reason"] == "key_compromise"
        assert {int(signing.serial, 16), int(encryption.serial, 16)} <= crl_serials("issuing-sm2")


def test_renewal_renews_the_pair(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any) -> None:
    party = verified_enterprise(verified_person()).party
    old = issue_cloud_certificate(
        party, algorithm=SM2, years=1, acting=Acting(ACTOR), now=timezone.now() - timedelta(days=340)
    )
    old_encryption = old.pair()
    assert old_encryption is not None
    with pytest.raises(RenewalNotAllowed):
        renew_certificate(old_encryption, years=1, acting=Acting(ACTOR))  # the pair renews through its signing half

    new = renew_certificate(old, years=1, acting=Acting(ACTOR))
    new_encryption = new.pair()
    assert new_encryption is not None and new_encryption.renews == old_encryption
    assert new_encryption.key_id != old_encryption.key_id
    assert parsed_certificate(bytes(new_encryption.der)).public_key.spki_der != (
        parsed_certificate(bytes(old_encryption.der)).public_key.spki_der
    )
    assert (new_encryption.not_before, new_encryption.not_after) == (new.not_before, new.not_after)
    old_encryption.refresh_from_db()
    assert certificate_status(old) == certificate_status(old_encryption) == CertificateStatus.SUPERSEDED
    assert old_encryption.revoked_at is None  # superseded, not revoked
    assert certificate_status(new_encryption) == CertificateStatus.VALID
    assert AuditEntry.objects.get(event="certificate.renew", target=f"certificate:{new_encryption.pk}").data[
        "renews"
    ] == (old_encryption.serial)
    # The old escrowed key stays: data encrypted to it can still be recovered.
    escrow_keystore().private_key(old_encryption.key_id)


# --- UKEY delivery ---------------------------------------------------------------------------


def test_a_ukey_sm2_dual_certificate_delivers_its_key_in_an_sm2_envelope(
    enterprise: Any,
    product: Any,  # noqa: F811
    operator: Any,  # noqa: F811
) -> None:
    token_key = gm.Sm2PrivateKey.generate()  # stands in for the UKEY's signing key
    csr = io.BytesIO(sm2_csr(token_key))
    application = sm2_order(enterprise, product, operator, Medium.UKEY, csr=csr, ukey_serial="SM2-UKEY-1")
    signing, encryption = pair_of(application)
    assert signing.medium == encryption.medium == "ukey" and encryption.ukey_serial == "SM2-UKEY-1"
    assert parsed_certificate(bytes(signing.der)).public_key.spki_der == token_key.public_key.spki_der

    enterprise.client.post(f"/applications/{application.number}/client-token")
    token = enterprise.client.get(f"/applications/{application.number}/").context["client_token"]
    api = Client()
    url = f"/api/v1/applications/{application.number}"
    status = api.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert status["algorithm"] == "sm2"
    assert status["encryption_certificate_pem"] == certificate_pem(encryption)
    assert api.post(f"{url}/encryption-key", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    response = api.post(f"{url}/encryption-key", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sealed_to"] == signing.serial and body["encryption_certificate_pem"] == certificate_pem(encryption)

    import base64

    envelope = base64.b64decode(body["enveloped_key"])
    opened = open_enveloped_key(envelope, Sm2SoftKey(SM2, token_key))
    assert opened.public_key.spki_der == parsed_certificate(bytes(encryption.der)).public_key.spki_der
    escrowed = escrow_keystore().private_key(encryption.key_id)
    assert isinstance(opened, Sm2SoftKey) and isinstance(escrowed, Sm2SoftKey)
    assert opened.gm_key.private_bytes() == escrowed.gm_key.private_bytes()
    assert escrowed.gm_key.private_bytes() not in response.content
    with pytest.raises(DecryptionFailed):
        open_enveloped_key(envelope, SM2.generate_soft_key())
    entry = AuditEntry.objects.get(event="certificate.key_deliver")
    assert entry.target == f"certificate:{encryption.pk}" and entry.data["to"] == signing.serial

    # Once the pair is revoked the token gets no more envelopes.
    revoke_certificate(signing, reason=RevocationReason.CESSATION_OF_OPERATION, acting=Acting(ACTOR))
    refused = api.post(f"{url}/encryption-key", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 409 and "不能再下载加密密钥" in refused.json()["message"]


def test_only_ukey_pairs_deliver_keys(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any) -> None:
    from tests.orders.conftest import csr_pem

    party = verified_enterprise(verified_person()).party
    cloud = issue_cloud_certificate(party, algorithm=SM2, years=1, acting=Acting(ACTOR))
    ecdsa_ukey = issue_from_csr(party, csr_pem(), ukey_serial="EC-1", years=1, acting=Acting(ACTOR))
    for certificate in (cloud, ecdsa_ukey):
        with pytest.raises(EncryptionKeyUnavailable):
            deliver_encryption_key(certificate, acting=Acting(ACTOR))


def test_a_ukey_pair_renews_with_a_new_token_key_and_a_new_envelope(
    ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any
) -> None:
    party = verified_enterprise(verified_person()).party
    old_key, new_key = gm.Sm2PrivateKey.generate(), gm.Sm2PrivateKey.generate()
    ago = timezone.now() - timedelta(days=340)
    old = issue_from_csr(party, sm2_csr(old_key), ukey_serial="SM2-1", years=1, acting=Acting(ACTOR), now=ago)
    new = renew_certificate(old, years=1, acting=Acting(ACTOR), csr=sm2_csr(new_key))
    old_encryption, new_encryption = old.pair(), new.pair()
    assert old_encryption is not None and new_encryption is not None
    assert new_encryption.renews == old_encryption and new_encryption.ukey_serial == "SM2-1"
    delivery = deliver_encryption_key(new, acting=Acting(ACTOR))
    assert delivery.encryption_certificate == new_encryption
    opened = open_enveloped_key(delivery.envelope, Sm2SoftKey(SM2, new_key))
    assert opened.public_key.spki_der == parsed_certificate(bytes(new_encryption.der)).public_key.spki_der
    with pytest.raises(EncryptionKeyUnavailable):  # the old token's pair is superseded
        deliver_encryption_key(old, acting=Acting(ACTOR))


# --- key recovery ----------------------------------------------------------------------------


@pytest.fixture
def recovery_operator(db: Any) -> Client:
    user = User.objects.create_user("kmc", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="pki"))
    client = Client()
    client.force_login(user)
    return client


def _recover(client: Client, certificate: Certificate, **data: Any) -> Any:
    form = {"action": "recover_key", "_selected_action": [certificate.pk], **data}
    return client.post("/backoffice/pki/certificate/", form)


def test_key_recovery_is_an_audited_operator_action(
    ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, recovery_operator: Client
) -> None:
    party = verified_enterprise(verified_person()).party
    lost = issue_cloud_certificate(party, algorithm=SM2, years=1, acting=Acting(ACTOR))
    encryption = lost.pair()
    assert encryption is not None
    revoke_certificate(lost, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))  # e.g. the UKEY was lost
    new_token_key = gm.Sm2PrivateKey.generate()
    replacement = issue_from_csr(party, sm2_csr(new_token_key), ukey_serial="NEW-1", years=1, acting=Acting(ACTOR))

    page = _recover(recovery_operator, encryption)
    assert page.status_code == 200 and "恢复原因" in page.content.decode()
    no_reason = _recover(recovery_operator, encryption, apply="1", recipient_pem=certificate_pem(replacement))
    assert no_reason.status_code == 200 and not AuditEntry.objects.filter(event="certificate.key_recover").exists()

    response = _recover(
        recovery_operator,
        encryption,
        apply="1",
        reason="持有人 UKEY 遗失，恢复历史加密数据",
        recipient_pem=certificate_pem(replacement),
    )
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    envelope = response.content
    escrowed = escrow_keystore().private_key(encryption.key_id)
    assert isinstance(escrowed, Sm2SoftKey) and escrowed.gm_key.private_bytes() not in envelope  # never in the clear
    opened = open_enveloped_key(envelope, Sm2SoftKey(SM2, new_token_key))
    assert opened.public_key.spki_der == escrowed.public_key.spki_der

    entry = AuditEntry.objects.get(event="certificate.key_recover")
    assert entry.actor_kind == "operator" and entry.actor_label == "kmc"
    assert entry.target == f"certificate:{encryption.pk}"
    assert entry.data["reason"] == "持有人 UKEY 遗失，恢复历史加密数据"
    assert entry.data["recipient"] == replacement.serial


def test_key_recovery_seals_only_to_the_holders_usable_sm2_signing_certificate(
    ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, recovery_operator: Client
) -> None:
    from inkseal.pki.algorithms import ECDSA_P256

    admin = verified_person()
    party, stranger = verified_enterprise(admin).party, verified_enterprise(admin).party
    signing = issue_cloud_certificate(party, algorithm=SM2, years=1, acting=Acting(ACTOR))
    encryption = signing.pair()
    assert encryption is not None
    others = {  # why each one is refused
        "another holder": issue_cloud_certificate(stranger, algorithm=SM2, years=1, acting=Acting(ACTOR)),
        "not SM2": issue_cloud_certificate(party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR)),
        "an encryption certificate": encryption,
    }
    for recipient in others.values():
        with pytest.raises(KeyRecoveryInvalid):
            recover_encryption_key(encryption, recipient=bytes(recipient.der), reason="x", acting=Acting(ACTOR))
    with pytest.raises(KeyRecoveryInvalid):
        recover_encryption_key(encryption, recipient=b"junk", reason="x", acting=Acting(ACTOR))
    with pytest.raises(KeyRecoveryInvalid):
        recover_encryption_key(encryption, recipient=bytes(signing.der), reason=" ", acting=Acting(ACTOR))
    with pytest.raises(EncryptionKeyUnavailable):
        recover_encryption_key(signing, recipient=bytes(signing.der), reason="x", acting=Acting(ACTOR))
    # Through the back office the refusal is shown on the form, in Chinese.
    refused = _recover(
        recovery_operator, encryption, apply="1", reason="测试", recipient_pem=certificate_pem(others["not SM2"])
    )
    assert refused.status_code == 400 and "SM2 签名证书" in refused.content.decode()
    assert not AuditEntry.objects.filter(event="certificate.key_recover").exists()
    # The holder's own usable SM2 signing certificate is accepted.
    recover_encryption_key(encryption, recipient=bytes(signing.der), reason="核验", acting=Acting(ACTOR))


def test_key_recovery_needs_its_own_permission(
    ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any
) -> None:
    signing = issue_cloud_certificate(
        verified_enterprise(verified_person()).party, algorithm=SM2, years=1, acting=Acting(ACTOR)
    )
    encryption = signing.pair()
    assert encryption is not None
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="pki").exclude(codename="recover_encryption_key")
    )
    client = Client()
    client.force_login(user)
    response = _recover(client, encryption, apply="1", reason="x", recipient_pem=certificate_pem(signing))
    assert "attachment" not in response.get("Content-Disposition", "")
    assert not AuditEntry.objects.filter(event="certificate.key_recover").exists()


# --- pages -----------------------------------------------------------------------------------


def test_the_pages_show_the_pair_together(
    enterprise: Any,
    product: Any,  # noqa: F811
    operator: Any,  # noqa: F811
) -> None:
    signing, encryption = pair_of(sm2_order(enterprise, product, operator))
    for opened in (signing, encryption):
        page = enterprise.client.get(f"/certificates/{opened.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="dual-certificates"' in html
        for certificate in (signing, encryption):
            assert certificate.serial in html
            assert f"/certificates/{certificate.pk}/download/pem" in html
            assert f"/certificates/{certificate.pk}/download/chain" in html
        assert "签名证书" in html and "加密证书" in html
    encryption_page = enterprise.client.get(f"/certificates/{encryption.pk}/").content.decode()
    assert 'id="encryption-note"' in encryption_page and 'id="pin"' not in encryption_page
    download = enterprise.client.get(f"/certificates/{encryption.pk}/download/der")
    assert download.content == bytes(encryption.der)

    listing = enterprise.client.get("/certificates/?medium=cloud").content.decode()
    assert f'data-pair-of="{signing.pk}"' in listing and "双证书" in listing
    assert listing.count(f'data-certificate="{encryption.pk}"') == 1

    revoke_page = enterprise.client.get(f"/certificates/{encryption.pk}/revoke").content.decode()
    assert 'id="pair-notice"' in revoke_page and signing.serial in revoke_page
    application = Application.objects.get(certificate=signing)
    detail = enterprise.client.get(f"/applications/{application.number}/").content.decode()
    assert encryption.serial in detail


def test_the_portal_revocation_revokes_the_pair(
    enterprise: Any,
    product: Any,  # noqa: F811
    operator: Any,  # noqa: F811
) -> None:
    signing, encryption = pair_of(sm2_order(enterprise, product, operator))
    url = f"/certificates/{encryption.pk}/revoke"
    reason = int(RevocationReason.CESSATION_OF_OPERATION)
    response = enterprise.client.post(url, {"step": "2", "reason": reason, "confirm": "on"})
    assert response.status_code == 302
    signing.refresh_from_db()
    assert signing.revoked_at is not None and signing.reason is RevocationReason.CESSATION_OF_OPERATION
    listing = enterprise.client.get("/certificates/?medium=cloud").content.decode()
    assert f'data-pair-of="{signing.pk}"' in listing  # still grouped, now among the invalid ones


def test_sm2_is_listed_first_and_preselected_when_buying(
    enterprise: Any,
    product: Any,  # noqa: F811
) -> None:
    product(name="云企业证书（ECDSA）-1年期", code="cloudca-ec-1Y")
    sm2 = product(name="云企业双证书（SM2）-1年期", code="cloudca02-1Y", algorithm="sm2")
    page = enterprise.client.get("/applications/buy/")
    assert next(iter(page.context["products"])) == sm2
    assert f'value="{sm2.pk}" id="product-cloudca02-1Y" checked' in page.content.decode()


def test_an_encryption_certificate_cannot_be_authorised_or_bound(
    enterprise: Any,
    product: Any,  # noqa: F811
    operator: Any,  # noqa: F811
) -> None:
    from inkseal.platforms.models import TradingPlatform
    from inkseal.platforms.services import AuthorizationInvalid, do_authorize_certificate
    from inkseal.seals.errors import SealRequestInvalid
    from inkseal.seals.services import do_bind_seal

    signing, encryption = pair_of(sm2_order(enterprise, product, operator))
    trading_platform = TradingPlatform.objects.first()
    assert trading_platform is not None
    now = timezone.now()
    actor = Actor("person", str(enterprise.person.pk), "")
    with pytest.raises(AuthorizationInvalid, match="加密证书不能授权"):
        do_authorize_certificate(
            encryption,
            trading_platform,
            grantee_name="刘婧妍",
            grantee_phone="18500005312",
            valid_from=now,
            valid_until=now + timedelta(days=30),
            acting=Acting(actor),
        )
    assert not encryption.authorizations.exists()
    with pytest.raises(SealRequestInvalid, match="不能绑定加密证书"):
        do_bind_seal(enterprise.seals[0], encryption, acting=Acting(actor))
    assert not SealBinding.objects.filter(certificate=encryption).exists()
    assert SealBinding.objects.filter(certificate=signing).count() == len(enterprise.seals)
