"""RFC 3161 TSA: OpenSSL's queries answered and verified; bad queries get the protocol's failInfo."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import algos as asn1_algos
from asn1crypto import core as asn1_core
from asn1crypto import tsp as asn1_tsp
from hypothesis import given, settings
from hypothesis import strategies as st

from inkseal.pki import oids
from inkseal.pki.errors import CaKeyMismatch
from inkseal.pki.hierarchy import Hierarchy
from inkseal.pki.keystores.soft import SoftKeystore
from inkseal.pki.tsa import TimeStampAuthority
from tests.pki.conftest import OpenSSL

DOCUMENT = b"%PDF-1.7 signed bytes" * 100


@pytest.fixture(scope="module")
def tsa(hierarchy: Hierarchy, keystore: SoftKeystore) -> TimeStampAuthority:
    assert hierarchy.tsa is not None
    return TimeStampAuthority(
        hierarchy.tsa.certificate,
        keystore.signer(hierarchy.tsa.key_id),
        serials=itertools.count(1).__next__,
        chain=[hierarchy.issuing["rsa"].certificate],
        accuracy=timedelta(milliseconds=500),
    )


def query(openssl: OpenSSL, *options: str) -> bytes:
    openssl.write("doc.pdf", DOCUMENT)
    openssl("ts", "-query", "-data", "doc.pdf", *options, "-out", "req.tsq")
    return (openssl.workdir / "req.tsq").read_bytes()


def status(reply: bytes) -> tuple[str, set[str]]:
    # asn1crypto's TimeStampResp wrongly requires the token, so read PKIStatusInfo on its own.
    outer = asn1_core.Sequence.load(reply, strict=True)
    info = asn1_tsp.PKIStatusInfo.load(outer[0].dump())
    return str(info["status"].native), set(info["fail_info"].native or ())


@pytest.mark.parametrize("digest", ["-sha256", "-sha384", "-sha512"])
def test_openssl_verifies_our_time_stamps(
    tsa: TimeStampAuthority, hierarchy: Hierarchy, openssl: OpenSSL, digest: str
) -> None:
    openssl.write("reply.tsr", tsa.respond(query(openssl, digest, "-cert")))
    root = openssl.write_certs("root.pem", hierarchy.root.certificate)
    chain = openssl.write_certs("chain.pem", hierarchy.issuing["rsa"].certificate)
    result = openssl("ts", "-verify", "-data", "doc.pdf", "-in", "reply.tsr", "-CAfile", root, "-untrusted", chain)
    assert "Verification: OK" in result.stdout
    # against the query too: imprint, nonce and policy checks
    result = openssl("ts", "-verify", "-queryfile", "req.tsq", "-in", "reply.tsr", "-CAfile", root, "-untrusted", chain)
    assert "Verification: OK" in result.stdout


def test_without_cert_req_the_certificate_is_left_out(
    tsa: TimeStampAuthority, hierarchy: Hierarchy, openssl: OpenSSL
) -> None:
    reply = tsa.respond(query(openssl, "-sha256"))
    token = asn1_tsp.TimeStampResp.load(reply)["time_stamp_token"]
    assert not token["content"]["certificates"]
    assert hierarchy.tsa is not None
    openssl.write("reply.tsr", reply)
    root = openssl.write_certs("root.pem", hierarchy.root.certificate)
    chain = openssl.write_certs("chain.pem", hierarchy.issuing["rsa"].certificate, hierarchy.tsa.certificate)
    result = openssl("ts", "-verify", "-data", "doc.pdf", "-in", "reply.tsr", "-CAfile", root, "-untrusted", chain)
    assert "Verification: OK" in result.stdout


def test_reply_fields(tsa: TimeStampAuthority, hierarchy: Hierarchy, openssl: OpenSSL) -> None:
    request = query(openssl, "-sha256", "-cert")
    before = datetime.now(UTC)
    reply = asn1_tsp.TimeStampResp.load(tsa.respond(request))
    assert reply["status"]["status"].native == "granted"
    signed_data = reply["time_stamp_token"]["content"]
    info = signed_data["encap_content_info"]["content"].parsed
    assert info["policy"].dotted == oids.TSA_POLICY
    assert info["nonce"].native == asn1_tsp.TimeStampReq.load(request)["nonce"].native
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha256(DOCUMENT).digest()
    assert before - timedelta(seconds=1) <= info["gen_time"].native <= datetime.now(UTC)
    assert info["accuracy"].native == {"seconds": None, "millis": 500, "micros": None}
    assert hierarchy.tsa is not None
    assert [c.dump() for c in signed_data["certificates"]] == [
        hierarchy.tsa.certificate.der,
        hierarchy.issuing["rsa"].certificate.der,
    ]
    attributes = {a["type"].native: a["values"][0] for a in signed_data["signer_infos"][0]["signed_attrs"]}
    ess = attributes["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(hierarchy.tsa.certificate.der).digest()
    assert ess["issuer_serial"]["serial_number"].native == hierarchy.tsa.certificate.serial


def test_serials_come_from_the_counter_in_order(hierarchy: Hierarchy, keystore: SoftKeystore, openssl: OpenSSL) -> None:
    assert hierarchy.tsa is not None
    counter = itertools.count(1000)
    tsa = TimeStampAuthority(hierarchy.tsa.certificate, keystore.signer(hierarchy.tsa.key_id), serials=counter.__next__)
    request = query(openssl, "-sha256")
    serials = []
    for _ in range(3):
        token = asn1_tsp.TimeStampResp.load(tsa.respond(request))["time_stamp_token"]
        serials.append(token["content"]["encap_content_info"]["content"].parsed["serial_number"].native)
    assert serials == [1000, 1001, 1002]


def test_sha1_imprints_are_refused_with_bad_alg(tsa: TimeStampAuthority, openssl: OpenSSL) -> None:
    reply = tsa.respond(query(openssl, "-sha1"))
    assert status(reply) == ("rejection", {"bad_alg"})
    openssl.write("reply.tsr", reply)
    shown = openssl("ts", "-reply", "-in", "reply.tsr", "-text").stdout
    assert "Status: Rejected" in shown and "unrecognized or unsupported algorithm identifier" in shown


def test_a_foreign_policy_is_refused(tsa: TimeStampAuthority, openssl: OpenSSL) -> None:
    assert status(tsa.respond(query(openssl, "-sha256", "-tspolicy", "1.2.3.4"))) == (
        "rejection",
        {"unaccepted_policy"},
    )
    assert status(tsa.respond(query(openssl, "-sha256", "-tspolicy", oids.TSA_POLICY)))[0] == "granted"


def _request(**fields: object) -> bytes:
    value: dict[str, object] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": asn1_algos.DigestAlgorithm({"algorithm": "sha256"}),
            "hashed_message": b"\x00" * 32,
        },
    }
    value.update(fields)
    return bytes(asn1_tsp.TimeStampReq(value).dump())


def test_requests_with_extensions_are_refused(tsa: TimeStampAuthority) -> None:
    extension = {"extn_id": "1.2.3.4", "critical": False, "extn_value": b"\x05\x00"}
    assert status(tsa.respond(_request(extensions=[extension]))) == ("rejection", {"unaccepted_extensions"})


def test_an_imprint_of_the_wrong_length_is_bad_data(tsa: TimeStampAuthority) -> None:
    imprint = {"hash_algorithm": asn1_algos.DigestAlgorithm({"algorithm": "sha256"}), "hashed_message": b"\x00" * 20}
    assert status(tsa.respond(_request(message_imprint=imprint))) == ("rejection", {"bad_data_format"})


def test_a_well_formed_minimal_request_is_granted(tsa: TimeStampAuthority) -> None:
    assert status(tsa.respond(_request())) == ("granted", set())


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"\x30\x03\x02\x01\x01", b"\x30\x82\xff\xff", b"\x30" * 20_000],
    ids=["empty", "text", "no-imprint", "truncated", "oversized"],
)
def test_malformed_requests_are_bad_data_format(tsa: TimeStampAuthority, data: bytes) -> None:
    assert status(tsa.respond(data)) == ("rejection", {"bad_data_format"})


def test_truncated_real_requests_are_bad_data_format(tsa: TimeStampAuthority, openssl: OpenSSL) -> None:
    request = query(openssl, "-sha256")
    assert status(tsa.respond(request[:-2])) == ("rejection", {"bad_data_format"})
    assert status(tsa.respond(request + b"\x00")) == ("rejection", {"bad_data_format"})


def test_an_expired_tsa_certificate_is_not_used(hierarchy: Hierarchy, keystore: SoftKeystore) -> None:
    assert hierarchy.tsa is not None
    later = hierarchy.tsa.certificate.not_after + timedelta(days=1)
    tsa = TimeStampAuthority(
        hierarchy.tsa.certificate, keystore.signer(hierarchy.tsa.key_id), serials=lambda: 1, clock=lambda: later
    )
    assert status(tsa.respond(_request())) == ("rejection", {"system_failure"})


def test_a_mismatched_key_is_refused(hierarchy: Hierarchy, keystore: SoftKeystore) -> None:
    assert hierarchy.tsa is not None
    with pytest.raises(CaKeyMismatch):
        TimeStampAuthority(
            hierarchy.tsa.certificate, keystore.signer(hierarchy.ocsp["issuing-rsa"].key_id), serials=lambda: 1
        )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1024))
def test_random_bytes_only_get_rejections(tsa: TimeStampAuthority, data: bytes) -> None:
    assert status(tsa.respond(data))[0] in {"rejection", "granted"}


def test_the_direct_reader_agrees_with_asn1crypto_on_every_input_it_accepts(
    tsa: TimeStampAuthority, openssl: OpenSSL
) -> None:
    """The DER reader for the common request shape (the speed path) never reads a request
    differently from asn1crypto and the checks after it: on OpenSSL's and asn1crypto's requests
    and on every one-byte change of them."""
    import random

    from inkseal.pki import der

    def slow(data: bytes) -> object:
        try:
            request = asn1_tsp.TimeStampReq.load(data, strict=True)
            request.native
            return tsa._checked(request)
        except Exception:
            return None

    def fast(data: bytes) -> object:
        try:
            return tsa._read_common(data)
        except der.DerError:
            return None

    made = [query(openssl, "-sha256", "-cert"), query(openssl, "-sha512"), query(openssl, "-sha384", "-no_nonce")]
    made += [_request(nonce=n, cert_req=c) for n in (1, 0x80, 2**64 - 1) for c in (True,)]
    rng, accepted = random.Random(16), 0
    for request in made:
        assert fast(request) is not None and fast(request) == slow(request)
        for position in range(len(request)):
            for value in {0x00, 0x01, 0x7F, 0x80, 0xFF, request[position] ^ 0x01, rng.randrange(256)}:
                mutated = request[:position] + bytes([value]) + request[position + 1 :]
                read = fast(mutated)
                if read is not None:
                    accepted += 1
                    assert read == slow(mutated), (request.hex(), position, value)
    assert accepted > 50
