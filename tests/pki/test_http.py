"""Public PKI endpoints over HTTP: CA certificates, CRLs, OCSP and time stamps; bad input gets a 4xx
or the protocol's own error answer, never a 500."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from asn1crypto import core, tsp
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as cx_ocsp
from django.test import Client

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.crl import RevocationReason, revocation_second
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate, revoke_certificate

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "test")


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # public POST endpoints are CSRF-exempt


def load(der: bytes) -> cx.Certificate:
    return cx.load_der_x509_certificate(der)


def ocsp_request(certificate: Certificate, issuer_der: bytes, nonce: bytes | None = None) -> bytes:
    builder = cx_ocsp.OCSPRequestBuilder().add_certificate(
        load(bytes(certificate.der)), load(issuer_der), hashes.SHA1()
    )
    if nonce:
        builder = builder.add_extension(cx.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def post_ocsp(client: Client, body: bytes, content_type: str = "application/ocsp-request") -> cx_ocsp.OCSPResponse:
    response = client.post("/pki/ocsp", body, content_type=content_type)
    assert response.status_code == 200 and response["Content-Type"] == "application/ocsp-response"
    return cx_ocsp.load_der_ocsp_response(response.content)


def tsa_query(data: bytes = b"document", hash_name: str = "sha256", nonce: int | None = 42) -> bytes:
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": hash_name},
                "hashed_message": hashlib.new(hash_name, data).digest(),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    return bytes(request.dump())


def post_tsa(client: Client, body: bytes) -> bytes:
    response = client.post("/pki/tsa", body, content_type="application/timestamp-query")
    assert response.status_code == 200 and response["Content-Type"] == "application/timestamp-reply"
    return response.content


def status_of(reply: bytes) -> tuple[str, set[str]]:
    # asn1crypto's TimeStampResp wrongly requires the token, so read PKIStatusInfo on its own.
    info = tsp.PKIStatusInfo.load(core.Sequence.load(reply)[0].dump())
    return str(info["status"].native), set(info["fail_info"].native or ())


def test_ca_json_lists_the_cas_with_download_links(client, ca_hierarchy, settings):
    body = client.get("/pki/ca.json").json()
    by_id = {ca["id"]: ca for ca in body["certificate_authorities"]}
    assert set(by_id) == {"root-rsa", "issuing-rsa", "issuing-ecdsa", "root-sm2", "issuing-sm2", "tsa-ecdsa", "tsa-sm2"}
    assert by_id["issuing-rsa"]["parent"] == "root-rsa"
    assert by_id["root-rsa"]["certificate"] == f"{settings.PUBLIC_BASE_URL}/pki/ca/root-rsa.crt"
    assert by_id["issuing-ecdsa"]["crl"] == f"{settings.PUBLIC_BASE_URL}/pki/crl/issuing-ecdsa.crl"
    assert "crl" not in by_id["tsa-ecdsa"]
    assert body["ocsp"].endswith("/pki/ocsp") and body["tsa"].endswith("/pki/tsa")


def test_ca_certificates_in_der_and_pem(client, ca_hierarchy):
    der = client.get("/pki/ca/root-rsa.crt")
    assert der.status_code == 200 and der["Content-Type"] == "application/pkix-cert"
    assert der.content == bytes(ca_hierarchy["root-rsa"].certificate_der)
    pem = client.get("/pki/ca/root-rsa.pem")
    assert cx.load_pem_x509_certificate(pem.content) == load(der.content)
    for path in ("/pki/ca/nope.crt", "/pki/ca/root-rsa.der", "/pki/ca/..%2Froot-rsa.crt", "/pki/crl/tsa-ecdsa.crl"):
        assert client.get(path).status_code == 404


def test_the_crl_is_signed_and_current(client, ca_hierarchy, verified_person):
    certificate = issue_cloud_certificate(verified_person().party, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    revoke_certificate(certificate, reason=RevocationReason.AFFILIATION_CHANGED, acting=Acting(ACTOR))
    response = client.get("/pki/crl/issuing-rsa.crl")
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-crl"
    crl = cx.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(load(bytes(ca_hierarchy["issuing-rsa"].certificate_der)).public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(int(certificate.serial, 16)) is not None
    root_crl = cx.load_der_x509_crl(client.get("/pki/crl/root-rsa.crl").content)
    assert len(root_crl) == 0 and root_crl.next_update_utc is not None


def test_ocsp_good_then_revoked_presigned_without_the_nonce(client, ca_hierarchy, verified_person):
    certificate = issue_cloud_certificate(verified_person().party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    issuer_der = bytes(ca_hierarchy["issuing-ecdsa"].certificate_der)
    nonce = os.urandom(16)
    answer = post_ocsp(client, ocsp_request(certificate, issuer_der, nonce))
    assert answer.response_status == cx_ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == cx_ocsp.OCSPCertStatus.GOOD
    # a pre-signed answer (RFC 8954 lets the responder ignore the nonce; see responders.py)
    assert not any(isinstance(e.value, cx.OCSPNonce) for e in answer.extensions)
    responder = answer.certificates[0]
    assert responder.issuer == load(issuer_der).subject

    revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
    certificate.refresh_from_db()
    answer = post_ocsp(client, ocsp_request(certificate, issuer_der))
    assert answer.certificate_status == cx_ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == cx.ReasonFlags.key_compromise
    assert answer.revocation_time_utc == revocation_second(certificate.revoked_at)  # whole seconds, rounded up


def test_ocsp_get_form_and_unknown_serials(client, ca_hierarchy, verified_person):
    certificate = issue_cloud_certificate(verified_person().party, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    issuer_der = bytes(ca_hierarchy["issuing-rsa"].certificate_der)
    encoded = base64.b64encode(ocsp_request(certificate, issuer_der)).decode()
    response = client.get(f"/pki/ocsp/{encoded}")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    assert cx_ocsp.load_der_ocsp_response(response.content).certificate_status == cx_ocsp.OCSPCertStatus.GOOD
    unknown = cx_ocsp.OCSPRequestBuilder().add_certificate_by_hash(  # a serial the CA never issued
        *_cert_id_hashes(issuer_der), 0x1234ABCD, hashes.SHA1()
    )
    answer = post_ocsp(client, unknown.build().public_bytes(serialization.Encoding.DER))
    assert answer.certificate_status == cx_ocsp.OCSPCertStatus.UNKNOWN


def _cert_id_hashes(issuer_der: bytes) -> tuple[bytes, bytes]:
    from asn1crypto import x509 as asn1_x509

    issuer = asn1_x509.Certificate.load(issuer_der)
    return hashlib.sha1(issuer.subject.dump()).digest(), hashlib.sha1(
        issuer.public_key["public_key"].contents[1:]
    ).digest()


def test_the_tsa_certificate_is_good_in_ocsp(client, ca_hierarchy):
    from inkseal.pki.models import CertificateAuthority

    tsa = CertificateAuthority.objects.get(ca_id="tsa-ecdsa")
    issuer_der = bytes(ca_hierarchy["issuing-ecdsa"].certificate_der)
    request = cx_ocsp.OCSPRequestBuilder().add_certificate(
        load(bytes(tsa.certificate_der)), load(issuer_der), hashes.SHA256()
    )
    answer = post_ocsp(client, request.build().public_bytes(serialization.Encoding.DER))
    assert answer.certificate_status == cx_ocsp.OCSPCertStatus.GOOD


@pytest.mark.parametrize(
    "body",
    [b"\x00", b"garbage", b"\x30\x03\x02\x01\x00", b"\x30\x82\xff\xff" + b"\x00" * 10],
    ids=["nul", "text", "seq", "trunc"],
)
def test_malformed_ocsp_requests_get_malformed_request(client, ca_hierarchy, body):
    assert post_ocsp(client, body).response_status == cx_ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_bad_ocsp_transport_is_a_4xx(client, ca_hierarchy):
    assert client.post("/pki/ocsp", b"\x30\x00", content_type="text/plain").status_code == 415
    too_big = client.post("/pki/ocsp", b"\x30" * 17_000, content_type="application/ocsp-request")
    assert too_big.status_code == 413 and "请求过大" in too_big.content.decode()
    assert client.get("/pki/ocsp").status_code == 405
    bad_get = client.get("/pki/ocsp/%%%not-base64")
    assert (
        cx_ocsp.load_der_ocsp_response(bad_get.content).response_status == cx_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def test_ocsp_for_a_foreign_ca_is_unauthorized(client, ca_hierarchy):
    from tests.pki.test_trust import foreign_pki, leaf

    request = cx_ocsp.OCSPRequestBuilder().add_certificate(leaf("某人"), foreign_pki()["root"], hashes.SHA1())  # type: ignore[arg-type]
    answer = post_ocsp(client, request.build().public_bytes(serialization.Encoding.DER))
    assert answer.response_status == cx_ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_time_stamps_are_granted_with_monotonic_serials(client, ca_hierarchy):
    replies = [post_tsa(client, tsa_query()), post_tsa(client, tsa_query(nonce=43))]
    assert [status_of(r)[0] for r in replies] == ["granted", "granted"]
    tokens = [tsp.TimeStampResp.load(r)["time_stamp_token"] for r in replies]
    infos = [t["content"]["encap_content_info"]["content"].parsed for t in tokens]
    assert infos[1]["serial_number"].native == infos[0]["serial_number"].native + 1
    assert infos[0]["nonce"].native == 42
    assert infos[0]["message_imprint"]["hashed_message"].native == hashlib.sha256(b"document").digest()


@pytest.mark.parametrize(
    ("body", "failure"),
    [(b"garbage", "bad_data_format"), (b"\x30\x00", "bad_data_format"), (tsa_query(hash_name="sha1"), "bad_alg")],
    ids=["garbage", "empty-sequence", "sha1"],
)
def test_bad_time_stamp_queries_are_rejected(client, ca_hierarchy, body, failure):
    assert status_of(post_tsa(client, body)) == ("rejection", {failure})


def test_bad_tsa_transport_is_a_4xx(client, ca_hierarchy):
    assert client.post("/pki/tsa", tsa_query(), content_type="application/octet-stream").status_code == 415
    assert client.post("/pki/tsa", b"\x30" * 20_000, content_type="application/timestamp-query").status_code == 413
    assert client.get("/pki/tsa").status_code == 405


def test_before_the_hierarchy_exists(client):
    from inkseal.pki.authorities import hierarchy_changed

    hierarchy_changed()  # drop responders cached from earlier tests' hierarchies (CA rows never vanish otherwise)
    assert client.get("/pki/ca.json").json()["certificate_authorities"] == []
    assert client.post("/pki/tsa", tsa_query(), content_type="application/timestamp-query").status_code == 503
    assert post_ocsp(client, b"\x30\x00").response_status == cx_ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert client.get("/pki/crl/issuing-rsa.crl").status_code == 404
