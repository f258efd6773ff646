"""GB/T 38540 on the platform: binding a seal to an SM2 certificate makes its electronic seal,
every SM2 signature keeps an SES_Signature with its 应用记录, the record page exports it, and the
验签 page and POST /api/v1/verify/ses check an uploaded one against its document."""

from __future__ import annotations

import base64
import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from inkseal.accounts.models import Person
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import RSA_2048, SM2
from inkseal.pki.keystores.soft import KeyEncryptionKey, MemoryBlobStore, SoftKeystore
from inkseal.pki.models import Certificate, CertificateAuthority
from inkseal.pki.oids import POLICY_SEAL_MAKER
from inkseal.pki.services import issue_cloud_certificate, revoke_certificate, signing_key_for
from inkseal.pki.x509 import Certificate as X509Certificate
from inkseal.pki.x509 import PublicUrls
from inkseal.seals import ses, ses_make, ses_parse
from inkseal.seals.models import ElectronicSeal, Seal, SealMaker, SealType
from inkseal.seals.services import do_bind_seal
from inkseal.seals.ses_services import ensure_seal_maker, setup_seal_maker
from inkseal.signing.models import ElectronicSignature, IntentMethod, SigningRecord
from inkseal.signing.records.ses import keep_record_signatures, make_record_signatures, platform_ses_timestamper
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, make_seal, text_pdf

pytestmark = pytest.mark.django_db

SIGNED_PDF = text_pdf()  # stands for the signed PDF the signing service hands over


@dataclass
class Sm2Holder:
    admin: Person
    certificate: Certificate
    seals: dict[SealType, Seal]

    def client(self) -> Client:
        return login_client(self.admin, f"enterprise:{self.certificate.holder.enterprise.pk}")


@pytest.fixture
def sm2_holder(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Sm2Holder:
    admin = verified_person(name="刘婧妍")
    enterprise = verified_enterprise(admin, name="北京示范科技有限公司")
    certificate = issue_cloud_certificate(enterprise.party, algorithm=SM2, years=1, acting=Acting(ACTOR))
    seals = {
        kind: make_seal(enterprise.party, kind, admin, 42.0 if kind == SealType.OFFICIAL else 20.0)
        for kind in (SealType.OFFICIAL, SealType.LEGAL_REPRESENTATIVE)
    }
    for seal in seals.values():
        do_bind_seal(seal, certificate, acting=Acting(ACTOR))
    return Sm2Holder(admin, certificate, seals)


def signed_record(holder: Sm2Holder, document: bytes = SIGNED_PDF) -> SigningRecord:
    """An 应用记录 with its SES_Signature, made the way the signing service does it."""
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        record = SigningRecord.objects.create(
            event_id=uuid.uuid4().hex,
            holder=holder.certificate.holder,
            platform_name="自助签署",
            user_name=holder.admin.name,
            medium=holder.certificate.get_medium_display(),
            certificate_serial=holder.certificate.serial,
            seal_types="公章",
            file_name="合同.pdf",
            at=now,
            sha256_before="0" * 64,
            intent_method=IntentMethod.SMS,
            result=SigningRecord.Result.SUCCESS,
        )
        made = make_record_signatures(
            record.event_id,
            document,
            certificate=holder.certificate,
            seals=[holder.seals[SealType.OFFICIAL], holder.seals[SealType.LEGAL_REPRESENTATIVE]],
            at=now,
            signer_key=signing_key_for(holder.certificate, at=now).signer,
            timestamper=platform_ses_timestamper(),
        )
        assert len(made) == 2  # one per seal
        keep_record_signatures(record, made)
    return record


def first_signature(record: SigningRecord) -> ElectronicSignature:
    """The SES_Signature of the record's first seal (the 公章)."""
    found = ElectronicSignature.objects.filter(record=record).order_by("pk").first()
    assert found is not None
    return found


def upload(name: str, data: bytes) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def verify_api(signature: bytes | None, document: bytes | None) -> Any:
    files = {}
    if signature is not None:
        files["signature"] = upload("record.sig", signature)
    if document is not None:
        files["document"] = upload("contract.pdf", document)
    return Client().post("/api/v1/verify/ses", files)


# --- electronic seals --------------------------------------------------------------------------


def test_binding_a_seal_to_an_sm2_certificate_makes_its_electronic_seal(sm2_holder: Sm2Holder) -> None:
    official = sm2_holder.seals[SealType.OFFICIAL]
    electronic = ElectronicSeal.objects.get(seal=official, certificate=sm2_holder.certificate)
    seal = ses_parse.parse_seal(bytes(electronic.der))
    info = seal.info
    assert (seal.version, info.es_id, info.vid) == (4, electronic.es_id, "INKSEAL")
    assert (info.seal_type, info.name) == (ses.SEAL_TYPE_UNIT, "测试公章")
    assert info.certificates == (bytes(sm2_holder.certificate.der),)
    assert (info.valid_start, info.valid_end) == (sm2_holder.certificate.not_before, sm2_holder.certificate.not_after)
    with official.image.open("rb") as handle:
        assert info.picture == ses.Picture("PNG", handle.read(), 42, 42)
    maker = X509Certificate(seal.maker_certificate)
    assert POLICY_SEAL_MAKER in {p["policy_identifier"].dotted for p in maker.asn1.certificate_policies_value}
    issuing = CertificateAuthority.objects.get(ca_id="issuing-sm2")
    maker.verify_signed_by(X509Certificate(bytes(issuing.certificate_der)))
    assert ElectronicSeal.objects.filter(certificate=sm2_holder.certificate).count() == 2
    assert AuditEntry.objects.filter(event="seal.electronic_seal").count() == 2
    # binding again changes nothing
    do_bind_seal(official, sm2_holder.certificate, acting=Acting(ACTOR))
    assert ElectronicSeal.objects.filter(certificate=sm2_holder.certificate).count() == 2


def test_operators_see_seal_makers_and_electronic_seals_in_the_back_office(sm2_holder: Sm2Holder) -> None:
    from django.contrib.auth.models import Permission, User

    operator = User.objects.create_user("seal-viewer", password="x", is_staff=True)
    operator.user_permissions.add(*Permission.objects.filter(codename__in=["view_sealmaker", "view_electronicseal"]))
    client = Client()
    client.force_login(operator)
    electronic = ElectronicSeal.objects.filter(certificate=sm2_holder.certificate).first()
    assert electronic is not None
    listing = client.get("/backoffice/seals/electronicseal/")
    assert listing.status_code == 200 and electronic.es_id in listing.content.decode()
    detail = client.get(f"/backoffice/seals/electronicseal/{electronic.pk}/change/")
    assert detail.status_code == 200
    makers = client.get("/backoffice/seals/sealmaker/")
    assert makers.status_code == 200 and electronic.maker.serial in makers.content.decode()
    assert client.post(f"/backoffice/seals/electronicseal/{electronic.pk}/delete/").status_code == 403


def test_rsa_certificates_get_no_electronic_seal(sm2_holder: Sm2Holder) -> None:
    enterprise = sm2_holder.certificate.holder
    rsa = issue_cloud_certificate(enterprise, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    do_bind_seal(sm2_holder.seals[SealType.OFFICIAL], rsa, acting=Acting(ACTOR))
    assert not ElectronicSeal.objects.filter(certificate=rsa).exists()


def test_the_seal_maker_is_made_at_bootstrap_and_renewed_before_it_runs_out(ca_hierarchy: Any) -> None:
    setup_seal_maker()
    maker = SealMaker.objects.get(active=True)
    assert ensure_seal_maker() == maker and SealMaker.objects.count() == 1
    renewed = ensure_seal_maker(now=maker.not_after - timedelta(days=10))
    assert renewed != maker and list(SealMaker.objects.filter(active=True)) == [renewed]
    assert AuditEntry.objects.filter(event="seal.maker_created").count() == 2


# --- SES_Signature with the record, export -------------------------------------------------------


def test_an_sm2_signature_keeps_its_ses_signature_which_verifies(sm2_holder: Sm2Holder) -> None:
    record = signed_record(sm2_holder)
    stored = first_signature(record)
    parsed = ses_parse.parse_signature(bytes(stored.der))
    official = ElectronicSeal.objects.get(seal=sm2_holder.seals[SealType.OFFICIAL])
    assert parsed.seal.der == bytes(official.der) and stored.es_id == official.es_id
    assert parsed.time == record.at and f"event={record.event_id}" in parsed.property_info
    assert parsed.timestamp is not None  # from the platform TSA
    body = verify_api(bytes(stored.der), SIGNED_PDF).json()
    assert body["valid"] is True and body["failure"] is None
    assert [(s["step"], s["status"]) for s in body["steps"]] == [
        ("signature", "passed"),
        ("signer_in_seal", "passed"),
        ("seal_signature", "passed"),
        ("maker_certificate", "passed"),
        ("seal_validity", "passed"),
        ("signer_certificate", "passed"),
        ("data_hash", "passed"),
        ("timestamp", "passed"),
    ]
    assert body["steps"][0]["label"] == "电子签章签名值" and body["message"].startswith("电子签章有效")
    assert body["seal"]["name"] == "测试公章" and body["seal"]["es_id"] == official.es_id


def test_the_record_page_exports_the_ses_signature_to_its_holder_only(sm2_holder: Sm2Holder) -> None:
    record = signed_record(sm2_holder)
    client = sm2_holder.client()
    detail = client.get(f"/records/{record.event_id}/").content.decode()
    assert f"/records/{record.event_id}/ses-signature" in detail and "ses-signature-download" in detail
    response = client.get(f"/records/{record.event_id}/ses-signature")
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{record.event_id}.sig"'
    assert response.content == bytes(first_signature(record).der)
    # the person's own identity (not the enterprise) sees nothing
    assert login_client(sm2_holder.admin).get(f"/records/{record.event_id}/ses-signature").status_code == 404


def test_a_record_without_ses_signature_has_no_download(sm2_holder: Sm2Holder) -> None:
    record = signed_record(sm2_holder)
    ElectronicSignature.objects.filter(record=record).delete()
    client = sm2_holder.client()
    assert "ses-signature-download" not in client.get(f"/records/{record.event_id}/").content.decode()
    assert client.get(f"/records/{record.event_id}/ses-signature").status_code == 404


def test_rsa_signatures_get_no_ses_signature(sm2_holder: Sm2Holder) -> None:
    rsa = issue_cloud_certificate(sm2_holder.certificate.holder, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    record = SigningRecord(event_id="x", holder=rsa.holder)
    made = make_record_signatures(
        record.event_id,
        SIGNED_PDF,
        certificate=rsa,
        seals=list(sm2_holder.seals.values()),
        at=timezone.now(),
        signer_key=signing_key_for(rsa).signer,
        timestamper=platform_ses_timestamper(),
    )
    assert made == ()


# --- verification of uploads -----------------------------------------------------------------------


def test_a_tampered_document_fails_the_data_hash(sm2_holder: Sm2Holder) -> None:
    der = bytes(first_signature(signed_record(sm2_holder)).der)
    body = verify_api(der, SIGNED_PDF + b"\n%tampered").json()
    assert body["valid"] is False
    assert body["failure"]["step"] == "data_hash" and body["failure"]["code"] == "data_hash_mismatch"
    assert "原文杂凑值不一致" in body["failure"]["message"] and body["message"].startswith("电子签章无效")


def test_base64_uploads_are_read_too(sm2_holder: Sm2Holder) -> None:
    der = bytes(first_signature(signed_record(sm2_holder)).der)
    assert verify_api(base64.b64encode(der), SIGNED_PDF).json()["valid"] is True


def test_a_revoked_signer_without_time_stamp_fails(sm2_holder: Sm2Holder) -> None:
    CertificateAuthority.objects.filter(role=CertificateAuthority.Role.TSA).update(active=False)
    der = bytes(first_signature(signed_record(sm2_holder)).der)
    assert ses_parse.parse_signature(der).timestamp is None
    assert verify_api(der, SIGNED_PDF).json()["valid"] is True
    revoke_certificate(sm2_holder.certificate, reason=1, acting=Acting(ACTOR))
    body = verify_api(der, SIGNED_PDF).json()
    assert body["failure"]["step"] == "signer_certificate" and body["failure"]["code"] == "signer_revoked"
    assert body["failure"]["message"] == "签章者证书已吊销。"


def test_a_time_stamp_before_the_revocation_keeps_the_signature_valid(sm2_holder: Sm2Holder) -> None:
    der = bytes(first_signature(signed_record(sm2_holder)).der)
    revoke_certificate(
        sm2_holder.certificate, reason=1, acting=Acting(ACTOR), now=timezone.now() + timedelta(seconds=5)
    )
    body = verify_api(der, SIGNED_PDF).json()
    assert body["valid"] is True and body["timestamp_time"] is not None


def test_a_seal_made_by_another_cas_maker_is_refused(sm2_holder: Sm2Holder) -> None:
    from inkseal.pki.hierarchy import bootstrap_hierarchy

    store = SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())
    foreign = bootstrap_hierarchy(
        store,
        urls=PublicUrls("https://other.test/"),
        organization="Other CA",
        now=timezone.now() - timedelta(days=1),
        root_algorithm=SM2,
        issuing_algorithms=(SM2,),
        tsa_algorithm=None,
    )
    assert foreign.seal_maker is not None
    now = timezone.now().replace(microsecond=0)
    seal = ses_make.make_seal(
        maker_certificate=foreign.seal_maker.certificate.der,
        maker_key=store.signer(foreign.seal_maker.key_id),
        es_id="FOREIGN1",
        seal_type=ses.SEAL_TYPE_UNIT,
        name="北京示范科技有限公司公章",
        signer_certificates=[bytes(sm2_holder.certificate.der)],
        picture=ses.Picture("PNG", b"\x89PNG fake", 42, 42),
        created=now,
        valid_start=now - timedelta(days=1),
        valid_end=now + timedelta(days=30),
    )
    signature = ses_make.make_signature(
        seal,
        SIGNED_PDF,
        signer_certificate=bytes(sm2_holder.certificate.der),
        signer_key=signing_key_for(sm2_holder.certificate).signer,
        time=now,
        property_info="scope=document",
    )
    body = verify_api(signature, SIGNED_PDF).json()
    assert body["failure"]["step"] == "maker_certificate" and body["failure"]["code"] == "maker_untrusted"
    assert "制章者证书不是本平台CA签发的" in body["message"]


@pytest.mark.parametrize(
    ("signature", "document", "status", "code"),
    [
        (None, SIGNED_PDF, 400, "file_missing"),
        (b"not an electronic signature", None, 400, "file_missing"),
        (b"not an electronic signature", SIGNED_PDF, 400, "ses_malformed"),
        (b"\x30\x03\x02\x01\x04", SIGNED_PDF, 400, "ses_malformed"),
        (b"\x30" * (ses.MAX_SIZE + 1), SIGNED_PDF, 413, "ses_too_large"),
    ],
)
def test_bad_uploads_get_a_4xx_with_a_code(
    ca_hierarchy: Any, signature: bytes | None, document: bytes | None, status: int, code: str
) -> None:
    response = verify_api(signature, document)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code and response.json()["message"]


def test_the_verify_page_shows_every_step(sm2_holder: Sm2Holder) -> None:
    der = bytes(first_signature(signed_record(sm2_holder)).der)
    client = Client()
    page = client.get("/verify/ses/")
    assert page.status_code == 200 and "ses-verify-form" in page.content.decode()
    assert "/verify/ses/" in client.get("/verify/").content.decode()
    good = client.post("/verify/ses/", {"signature": upload("a.sig", der), "document": upload("a.pdf", SIGNED_PDF)})
    html = good.content.decode()
    assert good.status_code == 200 and 'data-valid="true"' in html and html.count("data-step=") == 8
    assert "测试公章" in html and "data:image/png;base64," in html
    bad = client.post("/verify/ses/", {"signature": upload("a.sig", der), "document": upload("a.pdf", b"%PDF-other")})
    html = bad.content.decode()
    assert bad.status_code == 200 and 'data-valid="false"' in html and 'data-code="data_hash_mismatch"' in html
    broken = client.post("/verify/ses/", {"signature": upload("a.sig", b"junk"), "document": upload("a.pdf", b"x")})
    assert broken.status_code == 400 and 'data-code="ses_malformed"' in broken.content.decode()
    missing = client.post("/verify/ses/", {"document": upload("a.pdf", b"x")})
    assert missing.status_code == 400 and 'data-code="file_missing"' in missing.content.decode()


# --- one SES_Signature per seal (issue #14 item 4) ----------------------------------------------


@pytest.fixture
def sm2_two_seals(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Any:
    from tests.signing.api_support import make_signing

    return make_signing(
        verified_person,
        verified_enterprise,
        algorithm=SM2,
        seal_kinds=(SealType.OFFICIAL, SealType.LEGAL_REPRESENTATIVE),
        platform_name="国密交易平台",
        platform_code="sm2platform",
        callback_url="",
    )


def sign_with_both_seals(signing: Any) -> tuple[SigningRecord, bytes]:
    from tests.signing.api_support import confirm_token, sms_code

    token = signing.token()
    placements = [
        {"seal_type": "official", "page": 1, "x": 400, "y": 120},
        {"seal_type": "legal_representative", "page": 1, "x": 200, "y": 120},
    ]
    spec = signing.spec(documents=[{"file": 0, "placements": placements}], callback_url="")
    created = signing.create(spec=spec, token=token)
    assert created.status_code == 201, created.content
    body = created.json()
    code_token = confirm_token(body["confirm_url"])
    assert signing.client.post(f"/api/v1/confirm/{code_token}/code").status_code == 200
    code = {"method": "sms", "code": sms_code(signing.client)}
    confirmed = signing.client.post(f"/api/v1/confirm/{code_token}", code, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "completed", confirmed.content
    download = signing.client.get(f"/api/v1/sign-tasks/{body['id']}/documents/1", HTTP_AUTHORIZATION=f"Bearer {token}")
    return SigningRecord.objects.get(result=SigningRecord.Result.SUCCESS), b"".join(download.streaming_content)


def test_every_seal_of_a_signature_gets_its_own_ses_signature(sm2_two_seals: Any) -> None:
    record, signed_pdf = sign_with_both_seals(sm2_two_seals)
    assert record.seal_types == "公章、法定代表人章"
    signatures = list(ElectronicSignature.objects.filter(record=record).order_by("pk"))
    assert len(signatures) == 2
    seals = sm2_two_seals.seals
    expected = {
        ElectronicSeal.objects.get(seal=seals[SealType.OFFICIAL]).es_id: "测试公章",
        ElectronicSeal.objects.get(seal=seals[SealType.LEGAL_REPRESENTATIVE]).es_id: "测试法定代表人章",
    }
    assert {s.es_id for s in signatures} == set(expected)

    client = login_client(sm2_two_seals.admin, f"enterprise:{sm2_two_seals.certificate.holder.enterprise.pk}")
    detail = client.get(f"/records/{record.event_id}/").content.decode()
    for stored in signatures:
        url = f"/records/{record.event_id}/ses-signature/{stored.es_id}"
        assert url in detail
        exported = client.get(url)
        assert exported.status_code == 200 and exported.content == bytes(stored.der)
        assert exported["Content-Disposition"].endswith('.sig"') and stored.es_id in exported["Content-Disposition"]
        # each verifies against the signed PDF on /verify/ses/ and names its own seal
        body = verify_api(exported.content, signed_pdf).json()
        assert body["valid"] is True, body
        assert body["seal"]["es_id"] == stored.es_id and body["seal"]["name"] == expected[stored.es_id]
        page = (
            Client()
            .post(
                "/verify/ses/",
                {"signature": upload("a.sig", exported.content), "document": upload("a.pdf", signed_pdf)},
            )
            .content.decode()
        )
        other = next(name for es_id, name in expected.items() if es_id != stored.es_id)
        assert 'data-valid="true"' in page and expected[stored.es_id] in page and other not in page
    # another identity sees none of them
    assert login_client(sm2_two_seals.admin).get(url).status_code == 404
