"""The SM2 time-stamping authority (tsa-sm2 under root-sm2, its own URL, listed in /pki/ca.json,
created by `inkseal ca init` for installations made before it existed), and the certificate and
time-stamp policy OIDs taken from the settings (the default arc is a placeholder)."""

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from django.core.management import call_command
from django.test import Client

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, SM2
from inkseal.pki.models import CertificateAuthority, KeyBlob
from inkseal.pki.oids import PLACEHOLDER_ARC
from inkseal.pki.services import issue_cloud_certificate
from tests.pki.test_http import post_tsa, status_of, tsa_query

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "test")
SM3 = "1.2.156.10197.1.401"
SM2_WITH_SM3 = "1.2.156.10197.1.501"
OPERATOR_ARC = "1.2.156.112233.9"  # an operator's own arc (made up for the test)


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)


def sm3_query(data: bytes = b"document", nonce: int = 7) -> bytes:
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": SM3},
                "hashed_message": hashlib.new("sm3", data).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return bytes(request.dump())


def token_of(reply: bytes) -> tsp.ContentInfo:
    assert status_of(reply)[0] == "granted"
    return tsp.TimeStampResp.load(reply)["time_stamp_token"]


def tst_info(reply: bytes) -> tsp.TSTInfo:
    return token_of(reply)["content"]["encap_content_info"]["content"].parsed


def policies_of(der: bytes) -> list[str]:
    return [p["policy_identifier"].dotted for p in asn1_x509.Certificate.load(der).certificate_policies_value]


def test_the_sm2_tsa_is_certified_under_root_sm2(ca_hierarchy):
    tsa = CertificateAuthority.objects.get(ca_id="tsa-sm2")
    assert tsa.role == CertificateAuthority.Role.TSA and tsa.algorithm == SM2.name
    assert tsa.parent is not None and tsa.parent.ca_id == "issuing-sm2" and tsa.parent.parent.ca_id == "root-sm2"
    certificate = asn1_x509.Certificate.load(bytes(tsa.certificate_der))
    assert certificate["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
    assert certificate.extended_key_usage_value.native == ["time_stamping"]


def test_the_sm2_tsa_answers_at_its_own_url_signed_sm3_with_sm2(client, ca_hierarchy):
    response = client.post("/pki/tsa/sm2", sm3_query(), content_type="application/timestamp-query")
    assert response.status_code == 200 and response["Content-Type"] == "application/timestamp-reply"
    token = token_of(response.content)
    (signer,) = token["content"]["signer_infos"]
    assert signer["digest_algorithm"]["algorithm"].dotted == SM3
    assert signer["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
    certificates = [c.chosen.dump() for c in token["content"]["certificates"]]
    assert bytes(CertificateAuthority.objects.get(ca_id="tsa-sm2").certificate_der) in certificates
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == hashlib.new("sm3", b"document").digest()
    # the international TSA stays at /pki/tsa
    ecdsa = token_of(post_tsa(client, tsa_query()))
    assert ecdsa["content"]["signer_infos"][0]["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
    # bad transport: the same 4xx as /pki/tsa
    assert client.post("/pki/tsa/sm2", sm3_query(), content_type="text/plain").status_code == 415
    assert client.get("/pki/tsa/sm2").status_code == 405


def test_ca_json_lists_the_sm2_tsa_and_its_url(client, ca_hierarchy, settings):
    body = client.get("/pki/ca.json").json()
    by_id = {ca["id"]: ca for ca in body["certificate_authorities"]}
    assert by_id["tsa-sm2"]["parent"] == "issuing-sm2" and by_id["tsa-sm2"]["algorithm"] == SM2.name
    assert by_id["tsa-sm2"]["tsa"] == f"{settings.PUBLIC_BASE_URL}/pki/tsa/sm2"
    assert by_id["tsa-ecdsa"]["tsa"] == f"{settings.PUBLIC_BASE_URL}/pki/tsa"
    assert body["tsa"] == f"{settings.PUBLIC_BASE_URL}/pki/tsa"
    assert body["tsa_sm2"] == f"{settings.PUBLIC_BASE_URL}/pki/tsa/sm2"


def test_ca_init_adds_the_sm2_tsa_to_an_existing_installation(client, ca_hierarchy, capsys):
    """A database made before the SM2 TSA existed: `inkseal ca init` creates it, once."""
    old = CertificateAuthority.objects.get(ca_id="tsa-sm2")
    KeyBlob.objects.filter(key_id=old.key_id).delete()
    old.delete()

    call_command("ca", "init")
    assert "tsa-sm2" in capsys.readouterr().out
    tsa = CertificateAuthority.objects.get(role=CertificateAuthority.Role.TSA, family=SM2.family, active=True)
    assert tsa.parent == ca_hierarchy["issuing-sm2"]
    call_command("ca", "init")
    assert "up to date" in capsys.readouterr().out
    assert CertificateAuthority.objects.filter(role=CertificateAuthority.Role.TSA).count() == 2
    reply = client.post("/pki/tsa/sm2", sm3_query(), content_type="application/timestamp-query").content
    assert token_of(reply)["content"]["signer_infos"][0]["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3


def test_an_upgraded_installation_gets_the_sm2_tsa_at_its_first_sm2_time_stamp(client, ca_hierarchy):
    """Without `ca init` after the upgrade, the first SM2 time stamp makes tsa-sm2 (once)."""
    old = CertificateAuthority.objects.get(ca_id="tsa-sm2")
    KeyBlob.objects.filter(key_id=old.key_id).delete()
    old.delete()

    reply = client.post("/pki/tsa/sm2", sm3_query(), content_type="application/timestamp-query").content
    assert token_of(reply)["content"]["signer_infos"][0]["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
    assert CertificateAuthority.objects.filter(role=CertificateAuthority.Role.TSA, family=SM2.family).count() == 1


def test_a_retired_tsa_is_not_replaced_behind_the_operators_back(client, ca_hierarchy):
    CertificateAuthority.objects.filter(ca_id="tsa-sm2").update(active=False)

    response = client.post("/pki/tsa/sm2", sm3_query(), content_type="application/timestamp-query")
    assert response.status_code == 503
    assert not CertificateAuthority.objects.filter(role=CertificateAuthority.Role.TSA, active=True, family=SM2.family)
    assert client.post("/pki/tsa/rsa", sm3_query(), content_type="application/timestamp-query").status_code == 404


# --- policy OIDs -------------------------------------------------------------------------------


def test_the_default_policies_are_the_marked_placeholder(client, ca_hierarchy, verified_person):
    body = client.get("/pki/ca.json").json()
    assert body["policies"]["arc"] == PLACEHOLDER_ARC and body["policies"]["placeholder"] is True
    assert body["policies"]["time_stamping"] == f"{PLACEHOLDER_ARC}.2.1"
    certificate = issue_cloud_certificate(verified_person().party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    assert policies_of(bytes(certificate.der)) == [f"{PLACEHOLDER_ARC}.1.1"]


def test_the_operators_arc_changes_certificates_time_stamps_and_ca_json(
    client, ca_hierarchy, verified_person, verified_enterprise, settings
):
    settings.PKI_POLICY_ARC = OPERATOR_ARC

    person = issue_cloud_certificate(verified_person().party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    enterprise = verified_enterprise(verified_person(name="李四"))
    company = issue_cloud_certificate(enterprise.party, algorithm=SM2, years=1, acting=Acting(ACTOR))
    assert policies_of(bytes(person.der)) == [f"{OPERATOR_ARC}.1.1"]
    assert policies_of(bytes(company.der)) == [f"{OPERATOR_ARC}.1.2"]
    assert tst_info(post_tsa(client, tsa_query()))["policy"].dotted == f"{OPERATOR_ARC}.2.1"
    sm2_reply = client.post("/pki/tsa/sm2", sm3_query(), content_type="application/timestamp-query").content
    assert tst_info(sm2_reply)["policy"].dotted == f"{OPERATOR_ARC}.2.1"
    policies = client.get("/pki/ca.json").json()["policies"]
    assert policies["arc"] == OPERATOR_ARC and policies["placeholder"] is False
    assert policies["enterprise_signing"] == f"{OPERATOR_ARC}.1.2"
    assert policies["time_stamping"] == f"{OPERATOR_ARC}.2.1"


def test_a_single_policy_can_be_set_on_its_own(client, ca_hierarchy, settings):
    settings.PKI_POLICY_OIDS = {"time_stamping": "1.2.156.112233.77.1"}

    assert tst_info(post_tsa(client, tsa_query()))["policy"].dotted == "1.2.156.112233.77.1"
    # a request asking for that policy is granted, the placeholder one refused
    asked = tsp.TimeStampReq.load(tsa_query())
    asked["req_policy"] = "1.2.156.112233.77.1"
    assert status_of(post_tsa(client, asked.dump(force=True)))[0] == "granted"
    asked["req_policy"] = f"{PLACEHOLDER_ARC}.2.1"
    assert status_of(post_tsa(client, asked.dump(force=True))) == ("rejection", {"unaccepted_policy"})
    assert client.get("/pki/ca.json").json()["policies"]["time_stamping"] == "1.2.156.112233.77.1"


def test_a_malformed_policy_setting_is_refused_by_the_system_check(settings):
    from inkseal.pki.checks import check_policy_oids

    settings.PKI_POLICY_ARC = "not.an.oid"
    assert [e.id for e in check_policy_oids(None)] == ["inkseal.pki.E001"]
    settings.PKI_POLICY_ARC = OPERATOR_ARC
    settings.PKI_POLICY_OIDS = {"unknown_policy": "1.2.3"}
    assert [e.id for e in check_policy_oids(None)] == ["inkseal.pki.E001"]
    settings.PKI_POLICY_OIDS = {}
    assert check_policy_oids(None) == []
