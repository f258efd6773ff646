"""OCSP and TSA answered before Django's middleware (inkseal.pki.wire, wrapped around the
application by inkseal/wsgi.py): OpenSSL checks the answers over HTTP, a revocation shows in the
next answer, and every request the fast path does not take gets Django's own (translated) 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.algorithms import RSA_2048
from inkseal.pki.crl import RevocationReason
from inkseal.pki.services import certificate_pem, issue_cloud_certificate, revoke_certificate
from inkseal.pki.wire import protocol_endpoints

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor("system", "", "test")


@pytest.fixture
def server(live_server: Any) -> Iterator[str]:
    """The live server with the fast path in front, as gunicorn serves inkseal.wsgi.application."""
    httpd = live_server.thread.httpd
    django_application = httpd.get_app()
    httpd.set_app(protocol_endpoints(django_application))
    yield live_server.url
    httpd.set_app(django_application)


def test_openssl_ocsp_through_the_fast_path_good_then_revoked(server, ca_hierarchy, verified_person, openssl):
    certificate = issue_cloud_certificate(verified_person().party, algorithm=RSA_2048, years=1, acting=Acting(ACTOR))
    root = openssl.write("root.pem", requests.get(f"{server}/pki/ca/root-rsa.pem", timeout=10).content)
    issuing = openssl.write("issuing.pem", requests.get(f"{server}/pki/ca/issuing-rsa.pem", timeout=10).content)
    openssl.write("leaf.pem", certificate_pem(certificate))
    ask = ("ocsp", "-issuer", issuing, "-cert", "leaf.pem", "-url", f"{server}/pki/ocsp", "-CAfile", root)
    checked = openssl(*ask)
    assert "Response verify OK" in checked.stderr + checked.stdout and "leaf.pem: good" in checked.stdout

    revoke_certificate(certificate, reason=RevocationReason.KEY_COMPROMISE, acting=Acting(ACTOR))
    checked = openssl(*ask)
    assert "Response verify OK" in checked.stderr + checked.stdout and "leaf.pem: revoked" in checked.stdout


def test_time_stamps_through_the_fast_path(server, ca_hierarchy, openssl):
    root = openssl.write("root.pem", requests.get(f"{server}/pki/ca/root-rsa.pem", timeout=10).content)
    issuing = openssl.write("issuing.pem", requests.get(f"{server}/pki/ca/issuing-ecdsa.pem", timeout=10).content)
    openssl.write("doc.pdf", b"%PDF-1.7 stamped through the fast path")
    openssl("ts", "-query", "-data", "doc.pdf", "-sha256", "-cert", "-out", "req.tsq")
    query = (openssl.workdir / "req.tsq").read_bytes()
    response = requests.post(
        f"{server}/pki/tsa", data=query, headers={"Content-Type": "application/timestamp-query"}, timeout=10
    )
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/timestamp-reply"
    assert "Content-Security-Policy" not in response.headers  # answered before the middleware
    openssl.write("reply.tsr", response.content)
    result = openssl(
        "ts", "-verify", "-queryfile", "req.tsq", "-in", "reply.tsr", "-CAfile", root, "-untrusted", issuing
    )
    assert "Verification: OK" in result.stdout


def test_requests_the_fast_path_refuses_get_djangos_answers(server, ca_hierarchy):
    wrong_type = requests.post(f"{server}/pki/ocsp", data=b"x", headers={"Content-Type": "text/plain"}, timeout=10)
    assert wrong_type.status_code == 415 and "application/ocsp-request" in wrong_type.text
    too_large = requests.post(
        f"{server}/pki/tsa", data=b"x" * 70_000, headers={"Content-Type": "application/timestamp-query"}, timeout=10
    )
    assert too_large.status_code == 413
    other_family = requests.post(
        f"{server}/pki/tsa/nonexistent", data=b"x", headers={"Content-Type": "application/timestamp-query"}, timeout=10
    )
    assert other_family.status_code == 404
    garbage = requests.post(
        f"{server}/pki/ocsp", data=b"\x30\x03\x02\x01", headers={"Content-Type": "application/ocsp-request"}, timeout=10
    )
    assert garbage.status_code == 200 and garbage.content == b"\x30\x03\x0a\x01\x01"  # malformedRequest
