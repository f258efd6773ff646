"""OCSP responder: OpenSSL's requests answered and verified; bad requests get protocol statuses."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from asn1crypto import ocsp as asn1_ocsp
from hypothesis import given, settings
from hypothesis import strategies as st

from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.crl import RevocationReason
from inkseal.pki.errors import OcspRequestMalformed
from inkseal.pki.hierarchy import Hierarchy
from inkseal.pki.keystores.soft import SoftKeystore
from inkseal.pki.names import enterprise_subject
from inkseal.pki.ocsp import CertStatus, OcspIssuer, OcspResponder, decode_get_request
from inkseal.pki.profiles import ENTERPRISE_SIGNING, validity_years
from inkseal.pki.x509 import Certificate, PublicUrls, issue_certificate
from tests.pki.conftest import OpenSSL

REVOKED_AT = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


class Statuses:
    """The injected lookup: serial -> status, 'good' for serials it knows, 'unknown' otherwise."""

    def __init__(self) -> None:
        self.by_serial: dict[int, CertStatus] = {}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, ca_id: str, serial: int) -> CertStatus:
        self.calls.append((ca_id, serial))
        return self.by_serial.get(serial, CertStatus.unknown())


@pytest.fixture(scope="module")
def statuses() -> Statuses:
    return Statuses()


@pytest.fixture(scope="module")
def responder(hierarchy: Hierarchy, keystore: SoftKeystore, statuses: Statuses) -> OcspResponder:
    issuers = [
        OcspIssuer(
            ca.ca_id,
            ca.certificate,
            hierarchy.ocsp[ca.ca_id].certificate,
            keystore.signer(hierarchy.ocsp[ca.ca_id].key_id),
        )
        for ca in hierarchy.issuing.values()
    ]
    return OcspResponder(issuers, statuses)


def new_leaf(hierarchy: Hierarchy, urls: PublicUrls, family: str) -> Certificate:
    return issue_certificate(
        hierarchy.issuing[family],
        subject=enterprise_subject("某公司", "91350100M000100Y43"),
        public_key=ECDSA_P256.generate_soft_key().public_key,
        profile=ENTERPRISE_SIGNING,
        validity=validity_years(1, datetime.now(UTC)),
        urls=urls,
    )


def openssl_request(openssl: OpenSSL, hierarchy: Hierarchy, leaf: Certificate, family: str, *extra: str) -> Path:
    issuer = openssl.write_certs("issuer.pem", hierarchy.issuing[family].certificate)
    openssl.write_certs("leaf.pem", leaf)
    openssl("ocsp", "-issuer", issuer, *extra, "-cert", "leaf.pem", "-reqout", "req.der")
    return openssl.workdir / "req.der"


def status_of(response: bytes) -> str:
    return str(asn1_ocsp.OCSPResponse.load(response)["response_status"].native)


@pytest.mark.parametrize("family", ["rsa", "ecdsa"])
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (CertStatus.good(), "leaf.pem: good"),
        (CertStatus.revoked(REVOKED_AT, RevocationReason.KEY_COMPROMISE), "Reason: keyCompromise"),
        (None, "leaf.pem: unknown"),
    ],
    ids=["good", "revoked", "unknown"],
)
def test_openssl_verifies_our_answers(
    hierarchy: Hierarchy, urls: PublicUrls, responder: OcspResponder, statuses: Statuses, openssl: OpenSSL,
    family: str, status: CertStatus | None, expected: str,
) -> None:  # fmt: skip
    leaf = new_leaf(hierarchy, urls, family)
    if status is not None:
        statuses.by_serial[leaf.serial] = status
    request = openssl_request(openssl, hierarchy, leaf, family)
    openssl.write("resp.der", responder.respond(request.read_bytes()))
    chain = openssl.write_certs("chain.pem", hierarchy.root.certificate, hierarchy.issuing[family].certificate)
    # With the original request: signature, responder authorisation and the echoed nonce.
    checked = openssl("ocsp", "-reqin", request, "-respin", "resp.der", "-CAfile", chain)
    assert "Response verify OK" in checked.stderr + checked.stdout
    assert "Nonce Verify error" not in checked.stderr + checked.stdout
    shown = openssl(
        "ocsp", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-respin", "resp.der", "-CAfile", chain, "-no_nonce"
    )
    assert expected in shown.stdout
    if status is not None and status.kind == "revoked":
        assert "Revocation Time: Mar  1 08:00:00 2025 GMT" in shown.stdout


@pytest.mark.parametrize("digest", ["-sha1", "-sha256", "-sha384", "-sha512"])
def test_cert_ids_hashed_with_sha1_and_sha2_are_understood(
    hierarchy: Hierarchy, urls: PublicUrls, responder: OcspResponder, statuses: Statuses, openssl: OpenSSL, digest: str
) -> None:
    leaf = new_leaf(hierarchy, urls, "ecdsa")
    statuses.by_serial[leaf.serial] = CertStatus.good()
    request = openssl_request(openssl, hierarchy, leaf, "ecdsa", digest)
    response = asn1_ocsp.OCSPResponse.load(responder.respond(request.read_bytes()))
    single = response.basic_ocsp_response["tbs_response_data"]["responses"][0]
    assert single["cert_status"].name == "good"
    assert (
        single["cert_id"].dump()
        == asn1_ocsp.OCSPRequest.load(request.read_bytes())["tbs_request"]["request_list"][0]["req_cert"].dump()
    )


def test_the_nonce_is_echoed_and_the_responder_certificate_included(
    hierarchy: Hierarchy, urls: PublicUrls, responder: OcspResponder, openssl: OpenSSL
) -> None:
    request = openssl_request(openssl, hierarchy, new_leaf(hierarchy, urls, "rsa"), "rsa")
    nonce = asn1_ocsp.OCSPRequest.load(request.read_bytes()).nonce_value.native
    response = asn1_ocsp.OCSPResponse.load(responder.respond(request.read_bytes()))
    assert response.nonce_value.native == nonce
    basic = response.basic_ocsp_response
    assert [c.dump() for c in basic["certs"]] == [hierarchy.ocsp["issuing-rsa"].certificate.der]
    next_update = basic["tbs_response_data"]["responses"][0]["next_update"].native
    assert timedelta(minutes=59) < next_update - datetime.now(UTC) <= timedelta(hours=1)


def test_the_lookup_gets_the_ca_and_serial(
    hierarchy: Hierarchy, urls: PublicUrls, responder: OcspResponder, statuses: Statuses, openssl: OpenSSL
) -> None:
    leaf = new_leaf(hierarchy, urls, "ecdsa")
    responder.respond(openssl_request(openssl, hierarchy, leaf, "ecdsa").read_bytes())
    assert statuses.calls[-1] == ("issuing-ecdsa", leaf.serial)


def test_issuers_we_do_not_serve_are_unauthorized(
    hierarchy: Hierarchy, urls: PublicUrls, responder: OcspResponder, openssl: OpenSSL
) -> None:
    # A certificate issued by the root: the offline root has no responder here.
    request = openssl_request(openssl, hierarchy, hierarchy.issuing["rsa"].certificate, "rsa")
    issuer = openssl.write_certs("root.pem", hierarchy.root.certificate)
    openssl("ocsp", "-issuer", issuer, "-cert", "leaf.pem", "-reqout", request)
    assert status_of(responder.respond(request.read_bytes())) == "unauthorized"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"garbage", b"\x30\x03\x02\x01\x00", b"\x30\x82\xff\xff" + b"\x00" * 10, b"\x30" * 20_000],
    ids=["empty", "zero", "text", "wrong-structure", "truncated", "oversized"],
)
def test_malformed_requests_get_malformed_request(responder: OcspResponder, data: bytes) -> None:
    assert responder.respond(data) == b"\x30\x03\x0a\x01\x01"  # OCSPResponse { malformedRequest }


def test_truncated_and_padded_real_requests_are_malformed(
    hierarchy: Hierarchy, urls: PublicUrls, responder: OcspResponder, openssl: OpenSSL
) -> None:
    request = openssl_request(openssl, hierarchy, new_leaf(hierarchy, urls, "rsa"), "rsa").read_bytes()
    assert status_of(responder.respond(request[:-3])) == "malformed_request"
    assert status_of(responder.respond(request + b"\x00")) == "malformed_request"


def test_a_failing_lookup_gives_internal_error(
    hierarchy: Hierarchy, keystore: SoftKeystore, urls: PublicUrls, openssl: OpenSSL
) -> None:
    ca = hierarchy.issuing["rsa"]
    signer = keystore.signer(hierarchy.ocsp[ca.ca_id].key_id)

    def broken(ca_id: str, serial: int) -> CertStatus:
        raise RuntimeError("database down")

    responder = OcspResponder(
        [OcspIssuer(ca.ca_id, ca.certificate, hierarchy.ocsp[ca.ca_id].certificate, signer)], broken
    )
    request = openssl_request(openssl, hierarchy, new_leaf(hierarchy, urls, "rsa"), "rsa")
    assert status_of(responder.respond(request.read_bytes())) == "internal_error"


def test_get_form_is_decoded(
    hierarchy: Hierarchy, urls: PublicUrls, responder: OcspResponder, statuses: Statuses, openssl: OpenSSL
) -> None:
    leaf = new_leaf(hierarchy, urls, "ecdsa")
    statuses.by_serial[leaf.serial] = CertStatus.good()
    request = openssl_request(openssl, hierarchy, leaf, "ecdsa").read_bytes()
    encoded = base64.b64encode(request).decode()
    assert decode_get_request(quote(encoded, safe="")) == request
    assert decode_get_request(encoded.rstrip("=")) == request
    assert decode_get_request(base64.urlsafe_b64encode(request).decode()) == request
    assert status_of(responder.respond_to_get(quote(encoded, safe=""))) == "successful"


@pytest.mark.parametrize("encoded", ["", "!!!!", "%ZZ", "a" * 40_000])
def test_bad_get_forms(responder: OcspResponder, encoded: str) -> None:
    with pytest.raises(OcspRequestMalformed):
        decode_get_request(encoded)
    assert status_of(responder.respond_to_get(encoded)) == "malformed_request"


def test_mismatched_responder_key_is_refused(hierarchy: Hierarchy) -> None:
    from inkseal.pki.errors import CaKeyMismatch

    ca = hierarchy.issuing["ecdsa"]
    with pytest.raises(CaKeyMismatch):
        OcspIssuer(ca.ca_id, ca.certificate, hierarchy.ocsp[ca.ca_id].certificate, ECDSA_P256.generate_soft_key())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1024))
def test_random_bytes_never_escape(responder: OcspResponder, data: bytes) -> None:
    assert status_of(responder.respond(data)) in {"malformed_request", "unauthorized"}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_requests_never_escape(responder: OcspResponder, real_request: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(real_request) - 1))
    mutated = bytearray(real_request)
    mutated[position] ^= data.draw(st.integers(1, 255))
    assert status_of(responder.respond(bytes(mutated))) in {"successful", "malformed_request", "unauthorized"}


@pytest.fixture(scope="module")
def real_request(hierarchy: Hierarchy, urls: PublicUrls, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    openssl = OpenSSL(tmp_path_factory.mktemp("ocsp"))
    return openssl_request(openssl, hierarchy, new_leaf(hierarchy, urls, "ecdsa"), "ecdsa").read_bytes()


def _requests_clients_send() -> list[bytes]:
    import os

    from cryptography import x509 as cx
    from cryptography.hazmat.primitives import hashes as cx_hashes
    from cryptography.hazmat.primitives import serialization as cx_serialization
    from cryptography.x509 import ocsp as cx_ocsp

    made = []
    for algorithm in (cx_hashes.SHA1(), cx_hashes.SHA256(), cx_hashes.SHA512()):
        for serial in (1, 0x7F, 0x80, 0x1234567890ABCDEF1234567890ABCDEF):
            for nonce in (None, os.urandom(16), os.urandom(32)):
                builder = cx_ocsp.OCSPRequestBuilder().add_certificate_by_hash(
                    os.urandom(algorithm.digest_size), os.urandom(algorithm.digest_size), serial, algorithm
                )
                if nonce is not None:
                    builder = builder.add_extension(cx.OCSPNonce(nonce), critical=False)
                made.append(builder.build().public_bytes(cx_serialization.Encoding.DER))
    return made


def test_the_direct_reader_agrees_with_asn1crypto_on_every_input_it_accepts():
    """The DER reader for the common request shape (the speed path) never reads a request
    differently from asn1crypto: on clients' requests and on every one-byte change of them."""
    import random

    from asn1crypto import ocsp as asn1_ocsp

    from inkseal.pki import der
    from inkseal.pki.ocsp import _read_common_request, _read_request

    def slow(data: bytes):  # type: ignore[no-untyped-def]
        try:
            return _read_request(asn1_ocsp.OCSPRequest.load(data, strict=True))
        except Exception:
            return None

    def fast(data: bytes):  # type: ignore[no-untyped-def]
        try:
            return _read_common_request(data)
        except der.DerError:
            return None

    rng = random.Random(16)
    accepted = 0
    for request in _requests_clients_send():
        assert fast(request) is not None and fast(request) == slow(request)
        for position in range(len(request)):
            for value in {0x00, 0x01, 0x7F, 0x80, 0xFF, request[position] ^ 0x01, rng.randrange(256)}:
                mutated = request[:position] + bytes([value]) + request[position + 1 :]
                read = fast(mutated)
                if read is not None:
                    accepted += 1
                    assert read == slow(mutated), (request.hex(), position, value)
    assert accepted > 100  # the changes that keep a valid request are read alike
