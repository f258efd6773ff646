"""Pre-signed OCSP answers (inkseal.pki.responders): served over HTTP without signing, replaced in
the revoking transaction (never a stale "good" after a revocation commits), re-signed before they
expire or when the responder certificate changes, valid for pyHanko; unknown serials, other
CertID hashes and nonces still answered by the live path."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as cx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as cx_ocsp
from django.test import Client
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import RevokedError

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.crl import RevocationReason
from inkseal.pki.crl_publishing import published_crl
from inkseal.pki.models import Certificate, OcspAnswer
from inkseal.pki.responders import PRESIGN_REFRESH, refresh_ocsp_answers
from inkseal.pki.services import issue_cloud_certificate, revoke_certificate

pytestmark = pytest.mark.django_db

ACTOR = Actor("system", "", "test")


def request_for(
    certificate: Certificate, issuer_der: bytes, *, sha256: bool = False, nonce: bytes | None = None
) -> bytes:
    builder = cx_ocsp.OCSPRequestBuilder().add_certificate(
        cx.load_der_x509_certificate(bytes(certificate.der)),
        cx.load_der_x509_certificate(issuer_der),
        hashes.SHA256() if sha256 else hashes.SHA1(),
    )
    if nonce:
        builder = builder.add_extension(cx.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def ask(body: bytes) -> bytes:
    response = Client().post("/pki/ocsp", body, content_type="application/ocsp-request")
    assert response.status_code == 200 and response["Content-Type"] == "application/ocsp-response"
    return response.content


@pytest.fixture
def leaf(ca_hierarchy, verified_person) -> tuple[Certificate, bytes]:
    certificate = issue_cloud_certificate(verified_person().party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    return certificate, bytes(ca_hierarchy["issuing-ecdsa"].certificate_der)


def answer_row(certificate: Certificate) -> OcspAnswer:
    return OcspAnswer.objects.get(key=f"{certificate.issuer.ca_id}:{certificate.serial}")


def test_served_pre_signed_then_revoked_at_once(leaf):
    certificate, issuer_der = leaf
    body = request_for(certificate, issuer_der, nonce=os.urandom(16))
    first = ask(body)
    assert cx_ocsp.load_der_ocsp_response(first).certificate_status == cx_ocsp.OCSPCertStatus.GOOD
    assert bytes(answer_row(certificate).der) == first
    # the same bytes again: read from the table, not signed again (ECDSA signatures differ each time)
    assert ask(request_for(certificate, issuer_der, nonce=os.urandom(16))) == first

    revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
    answer = cx_ocsp.load_der_ocsp_response(ask(body))
    assert answer.certificate_status == cx_ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == cx.ReasonFlags.key_compromise
    assert answer_row(certificate).revoked


def test_answers_near_expiry_or_from_an_older_responder_are_signed_again(leaf):
    certificate, issuer_der = leaf
    body = request_for(certificate, issuer_der)
    first = ask(body)
    OcspAnswer.objects.filter(pk=answer_row(certificate).pk).update(expires=int(time.time()) + 60)
    second = ask(body)  # less than PRESIGN_MARGIN left: never handed out, signed again on demand
    assert second != first and answer_row(certificate).expires > time.time() + PRESIGN_REFRESH
    OcspAnswer.objects.filter(pk=answer_row(certificate).pk).update(responder="0" * 64)
    third = ask(body)
    assert third != second and bytes(answer_row(certificate).der) == third


def test_the_job_signs_missing_and_due_answers(leaf, verified_person):
    certificate, _ = leaf
    other = issue_cloud_certificate(verified_person().party, algorithm=ECDSA_P256, years=1, acting=Acting(ACTOR))
    assert refresh_ocsp_answers() >= 2
    assert refresh_ocsp_answers() == 0  # all fresh
    OcspAnswer.objects.filter(pk=answer_row(other).pk).update(expires=int(time.time()) + PRESIGN_REFRESH - 60)
    OcspAnswer.objects.create(key="issuing-ecdsa:dead", der=b"x", expires=int(time.time()) - 1, responder="")
    assert refresh_ocsp_answers() == 1
    assert answer_row(other).expires > time.time() + PRESIGN_REFRESH
    assert not OcspAnswer.objects.filter(key="issuing-ecdsa:dead").exists()  # expired rows dropped
    assert answer_row(certificate)


def test_unknown_serials_and_other_cert_id_hashes_answered_live(leaf):
    certificate, issuer_der = leaf
    nonce = os.urandom(16)
    answer = cx_ocsp.load_der_ocsp_response(ask(request_for(certificate, issuer_der, sha256=True, nonce=nonce)))
    assert answer.certificate_status == cx_ocsp.OCSPCertStatus.GOOD
    assert answer.extensions.get_extension_for_class(cx.OCSPNonce).value.nonce == nonce  # live: echoed
    issuer = cx.load_der_x509_certificate(issuer_der)
    name_hash = hashes.Hash(hashes.SHA1())
    name_hash.update(issuer.subject.public_bytes())
    key_hash = hashes.Hash(hashes.SHA1())
    key_hash.update(asn1_x509.Certificate.load(issuer_der).public_key["public_key"].contents[1:])
    unknown = cx_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash.finalize(), key_hash.finalize(), 0x1234ABCD, hashes.SHA1()
    )
    answer = cx_ocsp.load_der_ocsp_response(ask(unknown.build().public_bytes(serialization.Encoding.DER)))
    assert answer.certificate_status == cx_ocsp.OCSPCertStatus.UNKNOWN
    assert not OcspAnswer.objects.filter(key="issuing-ecdsa:1234abcd").exists()


def test_pyhanko_accepts_the_pre_signed_answer(leaf, ca_hierarchy):
    certificate, issuer_der = leaf
    issuing = ca_hierarchy["issuing-ecdsa"]
    root = asn1_x509.Certificate.load(bytes(issuing.parent.certificate_der))
    end_entity = asn1_x509.Certificate.load(bytes(certificate.der))
    root_crl = published_crl(issuing.parent.ca_id)  # for the issuing CA itself
    assert root_crl is not None

    def validate(answer: bytes) -> None:
        context = ValidationContext(
            trust_roots=[root],
            other_certs=[asn1_x509.Certificate.load(issuer_der)],
            ocsps=[asn1_ocsp.OCSPResponse.load(answer)],
            crls=[asn1_crl.CertificateList.load(root_crl)],
            revocation_mode="hard-fail",
            allow_fetching=False,
        )
        asyncio.run(CertificateValidator(end_entity, validation_context=context).async_validate_usage(set()))

    validate(ask(request_for(certificate, issuer_der)))
    revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
    with pytest.raises(RevokedError):
        validate(ask(request_for(certificate, issuer_der)))
