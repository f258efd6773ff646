"""OpenSSL, the independent peer, against the running server: OCSP, CRLs, time stamps, chains."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.crl import RevocationReason
from inkseal.pki.services import certificate_pem, issue_cloud_certificate, revoke_certificate
from tests.pki.conftest import OpenSSL

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor("system", "", "test")
FAMILIES = {"rsa": RSA_2048, "ecdsa": ECDSA_P256}


def fetch(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.content


def ca_files(openssl: OpenSSL, base: str, family: str) -> tuple[Path, Path]:
    """root.pem and issuing.pem as any relying party gets them: from the public endpoints."""
    root = openssl.write("root.pem", fetch(f"{base}/pki/ca/root-rsa.pem"))
    issuing = openssl.write("issuing.pem", fetch(f"{base}/pki/ca/issuing-{family}.pem"))
    return root, issuing


@pytest.mark.parametrize("family", ["rsa", "ecdsa"])
def test_openssl_ocsp_good_then_revoked(live_server, ca_hierarchy, verified_person, openssl, family):
    certificate = issue_cloud_certificate(
        verified_person().party, algorithm=FAMILIES[family], years=1, acting=Acting(ACTOR)
    )
    root, issuing = ca_files(openssl, live_server.url, family)
    openssl.write("leaf.pem", certificate_pem(certificate))
    ask = ("ocsp", "-issuer", issuing, "-cert", "leaf.pem", "-url", f"{live_server.url}/pki/ocsp", "-CAfile", root)
    checked = openssl(*ask)
    assert "Response verify OK" in checked.stderr + checked.stdout
    assert "leaf.pem: good" in checked.stdout

    revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
    checked = openssl(*ask)
    assert "Response verify OK" in checked.stderr + checked.stdout
    assert "leaf.pem: revoked" in checked.stdout
    assert "Reason: keyCompromise" in checked.stdout


def test_openssl_reads_and_verifies_the_crl(live_server, ca_hierarchy, verified_person, openssl):
    certificate = issue_cloud_certificate(verified_person().party, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    revoke_certificate(certificate, reason=RevocationReason.CESSATION_OF_OPERATION, acting=Acting(ACTOR))
    _, issuing = ca_files(openssl, live_server.url, "rsa")
    openssl.write("issuing.crl", fetch(f"{live_server.url}/pki/crl/issuing-rsa.crl"))
    shown = openssl("crl", "-inform", "DER", "-in", "issuing.crl", "-noout", "-text").stdout
    assert certificate.serial.upper() in shown.replace(":", "").upper()
    assert "Cessation Of Operation" in shown and "X509v3 CRL Number" in shown and "Next Update" in shown
    verified = openssl("crl", "-inform", "DER", "-in", "issuing.crl", "-CAfile", issuing, "-noout")
    assert "verify OK" in verified.stderr + verified.stdout


def test_openssl_verifies_time_stamp_replies(live_server, ca_hierarchy, openssl):
    root, issuing = ca_files(openssl, live_server.url, "ecdsa")
    openssl.write("doc.pdf", b"%PDF-1.7 a document to stamp")
    openssl("ts", "-query", "-data", "doc.pdf", "-sha512", "-cert", "-out", "req.tsq")
    response = requests.post(
        f"{live_server.url}/pki/tsa",
        data=(openssl.workdir / "req.tsq").read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=10,
    )
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/timestamp-reply"
    openssl.write("reply.tsr", response.content)
    for source in (("-data", "doc.pdf"), ("-queryfile", "req.tsq")):
        result = openssl("ts", "-verify", *source, "-in", "reply.tsr", "-CAfile", root, "-untrusted", issuing)
        assert "Verification: OK" in result.stdout


@pytest.mark.parametrize("family", ["rsa", "ecdsa"])
def test_openssl_verifies_issued_chains(
    live_server, ca_hierarchy, verified_person, verified_enterprise, openssl, family
):
    holder = verified_enterprise(verified_person())
    certificate = issue_cloud_certificate(holder.party, algorithm=FAMILIES[family], years=3, acting=Acting(ACTOR))
    root, issuing = ca_files(openssl, live_server.url, family)
    openssl.write("leaf.pem", certificate_pem(certificate))
    result = openssl("verify", "-CAfile", root, "-untrusted", issuing, "-purpose", "any", "leaf.pem")
    assert "leaf.pem: OK" in result.stdout
