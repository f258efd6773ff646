"""GB/T 38540 electronic seals and signatures (and GM/T 0031): making, strict reading, and the
validator's steps in the standard's order. Pure: an SM2 hierarchy in a memory keystore.

Independent checks: asn1crypto classes written here from the standards' ASN.1 read what we
write and write what we read (including certListType 2, which we never write), and OpenSSL
verifies the SM2 signatures over TBS_Sign and the seal information.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import core as asn1_core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkseal.pki import der, gm
from inkseal.pki.algorithms import SM2, KeyHandle
from inkseal.pki.hierarchy import Hierarchy, bootstrap_hierarchy, create_seal_maker
from inkseal.pki.keystores.soft import KeyEncryptionKey, MemoryBlobStore, SoftKeystore
from inkseal.pki.names import enterprise_subject
from inkseal.pki.oids import POLICY_SEAL_MAKER
from inkseal.pki.profiles import ENTERPRISE_SIGNING, validity_years
from inkseal.pki.tsa import TimeStampAuthority
from inkseal.pki.x509 import Certificate, PublicUrls, issue_certificate
from inkseal.seals import ses, ses_make, ses_parse
from inkseal.seals.ses_chain import ChainValidator
from inkseal.seals.ses_verify import STEPS, SesReport, SesTrust, verify_signature
from tests.pki.conftest import OpenSSL, openssl  # noqa: F401

URLS = PublicUrls("https://ca.inkseal.test/")
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DOCUMENT = "投标文件 bid document".encode() * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"".join(hashlib.sha256(bytes([i])).digest() for i in range(32))


@dataclass
class Pki:
    keystore: SoftKeystore
    hierarchy: Hierarchy

    @property
    def maker(self) -> Certificate:
        assert self.hierarchy.seal_maker is not None
        return self.hierarchy.seal_maker.certificate

    @property
    def maker_key(self) -> KeyHandle:
        assert self.hierarchy.seal_maker is not None
        return self.keystore.signer(self.hierarchy.seal_maker.key_id)

    def signer(self, name: str = "测试科技有限公司") -> tuple[Certificate, KeyHandle]:
        key = SM2.generate_soft_key()
        certificate = issue_certificate(
            self.hierarchy.issuing["sm2"],
            subject=enterprise_subject(name, "91350100M000100Y43"),
            public_key=key.public_key,
            profile=ENTERPRISE_SIGNING,
            validity=validity_years(1, NOW - timedelta(days=30)),
            urls=URLS,
        )
        return certificate, key

    def tsa(self) -> TimeStampAuthority:
        assert self.hierarchy.tsa is not None
        serials = itertools.count(1)
        return TimeStampAuthority(
            self.hierarchy.tsa.certificate,
            self.keystore.signer(self.hierarchy.tsa.key_id),
            serials=serials.__next__,
            chain=[self.hierarchy.issuing["sm2"].certificate],
            clock=lambda: NOW + timedelta(seconds=2),
        )


def make_pki(organization: str) -> Pki:
    keystore = SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())
    hierarchy = bootstrap_hierarchy(
        keystore,
        urls=URLS,
        organization=organization,
        now=NOW - timedelta(days=60),
        root_algorithm=SM2,
        issuing_algorithms=(SM2,),
        tsa_algorithm=SM2,
    )
    return Pki(keystore, hierarchy)


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki("Inkseal Test")


@pytest.fixture(scope="module")
def other_pki() -> Pki:
    return make_pki("Other CA")


@pytest.fixture(scope="module")
def signer(pki: Pki) -> tuple[Certificate, KeyHandle]:
    return pki.signer()


def trust_of(pki: Pki, revoked: dict[int, datetime] | None = None) -> SesTrust:
    root = pki.hierarchy.root.certificate.der
    issuing = pki.hierarchy.issuing["sm2"].certificate.der
    revocations = revoked or {}

    def revocation(certificate: Certificate, issuer: Certificate) -> datetime | None:
        return revocations.get(certificate.serial)

    return SesTrust(
        makers=ChainValidator([root], [issuing], policy=POLICY_SEAL_MAKER),
        signers=ChainValidator([root], [issuing], revocation=revocation),
        timestamps=ChainValidator([root], [issuing], extended_key_usage="time_stamping"),
    )


def make_seal(
    pki: Pki, certificates: list[bytes], *, version: int = 4, maker: Pki | None = None, **overrides: Any
) -> bytes:
    maker = maker or pki
    fields: dict[str, Any] = {
        "maker_certificate": maker.maker.der,
        "maker_key": maker.maker_key,
        "es_id": "1101080000001A2B",
        "seal_type": ses.SEAL_TYPE_UNIT,
        "name": "测试科技有限公司合同专用章",
        "signer_certificates": certificates,
        "picture": ses.Picture("PNG", PNG, 42, 42),
        "created": NOW - timedelta(days=1),
        "valid_start": NOW - timedelta(days=1),
        "valid_end": NOW + timedelta(days=364),
        "version": version,
    }
    fields.update(overrides)
    return ses_make.make_seal(**fields)


def sign(
    seal_der: bytes, signer: tuple[Certificate, KeyHandle], data: bytes | None = DOCUMENT, **overrides: Any
) -> bytes:
    certificate, key = signer
    fields: dict[str, Any] = {
        "signer_certificate": certificate.der,
        "signer_key": key,
        "time": NOW,
        "property_info": "scope=document;event=test",
    }
    fields.update(overrides)
    return ses_make.make_signature(seal_der, data, **fields)


def verify(pki: Pki, signature: bytes, data: bytes = DOCUMENT, **overrides: Any) -> SesReport:
    trust = overrides.pop("trust", None) or trust_of(pki)
    return verify_signature(signature, data, trust=trust, at=overrides.pop("at", NOW + timedelta(hours=1)))


def statuses(report: SesReport) -> dict[str, str]:
    return {step.name: step.status for step in report.steps}


# --- making and reading --------------------------------------------------------------------------


def test_a_seal_made_for_a_signer_reads_back_field_by_field(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    seal = ses_parse.parse_seal(make_seal(pki, [signer[0].der]))
    info = seal.info
    assert (seal.version, seal.standard, info.vid, info.es_id) == (4, "GB/T 38540-2020", "INKSEAL", "1101080000001A2B")
    assert (info.seal_type, info.name, info.cert_list_type) == (1, "测试科技有限公司合同专用章", 1)
    assert info.certificates == (signer[0].der,) and info.lists(signer[0].der)
    assert (info.created, info.valid_start, info.valid_end) == (
        NOW - timedelta(days=1),
        NOW - timedelta(days=1),
        NOW + timedelta(days=364),
    )
    assert info.picture == ses.Picture("PNG", PNG, 42, 42)
    assert seal.maker_certificate == pki.maker.der and seal.algorithm == "1.2.156.10197.1.501"
    assert info.der[:2] == b"\x30\x82" and seal.der.startswith(b"\x30\x82")


def test_a_signature_round_trips_and_every_step_passes(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    signature = sign(make_seal(pki, [signer[0].der]), signer)
    parsed = ses_parse.parse_signature(signature)
    assert (parsed.version, parsed.time, parsed.property_info) == (4, NOW, "scope=document;event=test")
    assert parsed.data_hash == gm.sm3(DOCUMENT) and parsed.signer_certificate == signer[0].der
    assert parsed.timestamp is None
    report = verify(pki, signature)
    assert report.valid and report.failure is None
    assert [step.name for step in report.steps] == list(STEPS)
    assert statuses(report) == {**dict.fromkeys(STEPS, "passed"), "timestamp": "skipped"}
    body = report.as_dict()
    assert body["valid"] is True and body["standard"] == "GB/T 38540-2020"
    assert body["seal"]["es_id"] == "1101080000001A2B" and "Inkseal Test Seal Maker" in body["seal"]["maker"]["subject"]


def test_a_time_stamp_over_the_signature_value_is_checked(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    tsa = pki.tsa()

    def stamp(value: bytes) -> bytes:
        return ses_parse.timestamp_token(tsa.respond(ses_make.timestamp_request(value, nonce=42)))

    signature = sign(make_seal(pki, [signer[0].der]), signer, timestamper=stamp)
    assert ses_parse.parse_signature(signature).timestamp is not None
    report = verify(pki, signature)
    assert report.valid and statuses(report)["timestamp"] == "passed"
    assert report.timestamp_time == NOW + timedelta(seconds=2)

    # a token over some other value is refused
    def wrong(value: bytes) -> bytes:
        return ses_parse.timestamp_token(tsa.respond(ses_make.timestamp_request(value + b"!", nonce=43)))

    report = verify(pki, sign(make_seal(pki, [signer[0].der]), signer, timestamper=wrong))
    assert report.failure is not None and report.failure.code == "timestamp_mismatch"


def test_the_data_hash_may_be_given_instead_of_the_document(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    signature = sign(make_seal(pki, [signer[0].der]), signer, data=None, data_hash=gm.sm3(DOCUMENT))
    assert verify(pki, signature).valid
    report = verify_signature(signature, data_hash=gm.sm3(DOCUMENT), trust=trust_of(pki), at=NOW)
    assert report.valid
    with pytest.raises(ValueError):
        sign(make_seal(pki, [signer[0].der]), signer, data=None, data_hash=b"short")


def test_gmt_0031_seals_and_signatures_are_made_and_read(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    seal_der = make_seal(pki, [signer[0].der], version=ses.VERSION_0031)
    seal = ses_parse.parse_seal(seal_der)
    assert (seal.version, seal.standard, seal.info.cert_list_type) == (2, "GM/T 0031-2014", 1)
    assert seal.info.created == NOW - timedelta(days=1)  # UTCTime
    signature = sign(seal_der, signer)
    parsed = ses_parse.parse_signature(signature)
    assert (parsed.version, parsed.time, parsed.standard) == (2, NOW, "GM/T 0031-2014")
    report = verify(pki, signature)
    assert report.valid and statuses(report)["timestamp"] == "skipped"
    with pytest.raises(ValueError):
        sign(seal_der, signer, timestamper=lambda value: b"")


@pytest.mark.parametrize(
    ("time_info", "expected"),
    [
        (b"20260301080000Z", NOW),
        (b"260301080000Z", NOW),
        (b"2026-03-01 16:00:00", NOW),  # Beijing time, as ofdrw writes it
        (b"\x18\x0f20260301080000Z", NOW),
        (b"yesterday", None),
    ],
)
def test_gmt_0031_time_info_forms(
    pki: Pki, signer: tuple[Certificate, KeyHandle], time_info: bytes, expected: datetime | None
) -> None:
    seal_der = make_seal(pki, [signer[0].der], version=ses.VERSION_0031)
    tbs = der.sequence(
        der.integer(1),
        seal_der,
        der.bit_string(time_info),
        der.bit_string(gm.sm3(DOCUMENT)),
        der.tlv(der.IA5_STRING, b"/Doc_0/Signs/Sign_0/Signature.xml"),
        der.octet_string(signer[0].der),
        der.oid(gm.SM2_WITH_SM3_OID),
    )
    signature = der.sequence(tbs, der.bit_string(signer[1].sign(tbs)))
    assert ses_parse.parse_signature(signature).time == expected
    report = verify(pki, signature)
    assert report.valid == (expected is not None)
    if expected is None:
        assert report.failure is not None and report.failure.code == "signing_time_unknown"


def test_the_maker_key_must_match_the_maker_certificate(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        make_seal(pki, [signer[0].der], maker_key=SM2.generate_soft_key())
    other = pki.signer("另一家公司")
    with pytest.raises(ValueError, match="does not list"):
        sign(make_seal(pki, [signer[0].der]), other)


def test_the_seal_maker_certificate_has_its_own_profile_and_ends_with_its_ca(pki: Pki) -> None:
    maker = pki.maker.asn1
    assert not maker.ca and maker.key_usage_value.native == {"digital_signature", "non_repudiation"}
    assert [p["policy_identifier"].dotted for p in maker.certificate_policies_value] == [POLICY_SEAL_MAKER]
    pki.maker.verify_signed_by(pki.hierarchy.issuing["sm2"].certificate)
    ca = pki.hierarchy.issuing["sm2"]
    late = create_seal_maker(
        ca, pki.keystore, organization="T", urls=URLS, now=ca.certificate.not_after - timedelta(days=99)
    )
    assert late.certificate.not_after == ca.certificate.not_after


# --- failures, each at its own step ---------------------------------------------------------------


def test_a_tampered_document_fails_the_data_hash(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    report = verify(pki, sign(make_seal(pki, [signer[0].der]), signer), data=DOCUMENT + b" ")
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("data_hash", "data_hash_mismatch")
    assert [s.name for s in report.steps if s.status == "failed"] == ["data_hash"]


def tamper_picture(seal_der: bytes) -> bytes:
    marker = PNG[100:140]
    assert seal_der.count(marker) == 1
    return seal_der.replace(marker, bytes(b ^ 0xFF for b in marker))


def test_a_tampered_seal_picture_breaks_the_makers_signature(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    forged_seal = tamper_picture(make_seal(pki, [signer[0].der]))
    report = verify(pki, sign(forged_seal, signer))  # the signer signs a forged seal
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("seal_signature", "seal_signature_invalid")
    # changing the picture inside a finished signature breaks the signer's signature first
    report = verify(pki, tamper_picture(sign(make_seal(pki, [signer[0].der]), signer)))
    assert report.failure is not None and report.failure.code == "signature_invalid"
    assert statuses(report)["seal_signature"] == "failed"


def test_a_seal_made_by_another_cas_maker_is_refused(
    pki: Pki, other_pki: Pki, signer: tuple[Certificate, KeyHandle]
) -> None:
    report = verify(pki, sign(make_seal(pki, [signer[0].der], maker=other_pki), signer))
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("maker_certificate", "maker_untrusted")
    assert statuses(report)["seal_signature"] == "passed"  # genuine, but not by a maker we trust


def test_a_maker_certificate_without_the_seal_maker_policy_is_refused(
    pki: Pki, signer: tuple[Certificate, KeyHandle]
) -> None:
    ordinary, key = pki.signer("冒充的制章者")
    seal = make_seal(pki, [signer[0].der], maker_certificate=ordinary.der, maker_key=key)
    report = verify(pki, sign(seal, signer))
    assert report.failure is not None and report.failure.code == "maker_wrong_usage"


def test_an_expired_seal_fails_its_validity(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    seal = make_seal(pki, [signer[0].der], valid_start=NOW - timedelta(days=400), valid_end=NOW - timedelta(days=35))
    report = verify(pki, sign(seal, signer))
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("seal_validity", "seal_expired")
    early = make_seal(pki, [signer[0].der], valid_start=NOW + timedelta(days=1), valid_end=NOW + timedelta(days=9))
    report = verify(pki, sign(early, signer))
    assert report.failure is not None and report.failure.code == "seal_not_yet_valid"


def test_a_revoked_signer_fails_the_signer_certificate(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    signature = sign(make_seal(pki, [signer[0].der]), signer)
    trust = trust_of(pki, revoked={signer[0].serial: NOW + timedelta(minutes=10)})
    report = verify(pki, signature, trust=trust)
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("signer_certificate", "signer_revoked")
    # verified before the revocation happened, it still stands
    assert verify(pki, signature, trust=trust, at=NOW + timedelta(minutes=5)).valid


def test_a_time_stamp_before_the_revocation_keeps_the_signature_valid(
    pki: Pki, signer: tuple[Certificate, KeyHandle]
) -> None:
    tsa = pki.tsa()
    signature = sign(
        make_seal(pki, [signer[0].der]),
        signer,
        timestamper=lambda value: ses_parse.timestamp_token(tsa.respond(ses_make.timestamp_request(value, nonce=7))),
    )
    trust = trust_of(pki, revoked={signer[0].serial: NOW + timedelta(minutes=10)})
    assert verify(pki, signature, trust=trust, at=NOW + timedelta(days=2)).valid


def test_a_signer_from_another_ca_is_untrusted(other_pki: Pki, pki: Pki) -> None:
    foreign = other_pki.signer()
    report = verify(pki, sign(make_seal(pki, [foreign[0].der]), foreign))
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("signer_certificate", "signer_untrusted")


def test_a_signer_the_seal_does_not_list_is_refused(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    other = pki.signer("另一家公司")
    seal_der = make_seal(pki, [signer[0].der])
    tbs = der.sequence(
        der.integer(4),
        seal_der,
        der.generalized_time(NOW),
        der.bit_string(gm.sm3(DOCUMENT)),
        der.tlv(der.IA5_STRING, b"scope=document"),
    )
    signature = der.sequence(
        tbs, der.octet_string(other[0].der), der.oid(gm.SM2_WITH_SM3_OID), der.bit_string(other[1].sign(tbs))
    )
    report = verify(pki, signature)
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("signer_in_seal", "signer_not_in_seal")


def test_a_signature_by_another_key_fails_first(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    parsed = ses_parse.parse_signature(sign(make_seal(pki, [signer[0].der]), signer))
    forged = der.sequence(
        parsed.tbs_der,
        der.octet_string(parsed.signer_certificate),
        der.oid(parsed.algorithm),
        der.bit_string(SM2.generate_soft_key().sign(parsed.tbs_der)),
    )
    report = verify(pki, forged)
    assert report.failure is not None
    assert (report.failure.name, report.failure.code) == ("signature", "signature_invalid")
    assert [s.name for s in report.steps if s.status == "failed"] == ["signature"]


# --- strict reading --------------------------------------------------------------------------------


def test_malformed_input_raises_ses_malformed(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    signature = sign(make_seal(pki, [signer[0].der]), signer)
    seal = make_seal(pki, [signer[0].der])
    bad = [
        b"",
        b"\x30\x00",
        signature + b"\x00",  # trailing bytes
        signature[:-1],  # truncated
        b"\x30\x80" + signature[4:] + b"\x00\x00",  # BER indefinite length
        b"\x30\x83\x00" + signature[2:],  # length not minimal
        seal,  # a seal is not a signature
        seal.replace(b"\x16\x02ES", b"\x16\x02EX", 1),  # header ID
        seal.replace(b"\x02\x01\x04\x16\x07INKSEAL", b"\x02\x01\x03\x16\x07INKSEAL", 1),  # version vs layout
    ]
    for data in bad:
        with pytest.raises(ses.SesMalformed):
            ses_parse.parse_signature(data)
    with pytest.raises(ses.SesMalformed):
        ses_parse.parse_seal(signature)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_corruption_is_malformed_or_a_failed_step_never_a_crash(
    pki: Pki, signer: tuple[Certificate, KeyHandle], data: st.DataObject
) -> None:
    signature = _signature_for_fuzzing(pki, signer)
    position = data.draw(st.integers(0, len(signature) - 1))
    value = data.draw(st.integers(0, 255))
    corrupted = signature[:position] + bytes([value]) + signature[position + 1 :]
    try:
        report = verify(pki, corrupted)
    except ses.SesMalformed:
        return
    assert report.valid == (corrupted == signature)


_fuzz_cache: dict[str, bytes] = {}


def _signature_for_fuzzing(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> bytes:
    if "v4" not in _fuzz_cache:
        _fuzz_cache["v4"] = sign(make_seal(pki, [signer[0].der], picture=ses.Picture("PNG", PNG[:64], 42, 42)), signer)
    return _fuzz_cache["v4"]


def test_uploads_may_be_der_base64_or_pem(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    signature = sign(make_seal(pki, [signer[0].der]), signer)
    text = base64.b64encode(signature)
    pem = b"-----BEGIN SES SIGNATURE-----\n" + base64.encodebytes(signature) + b"-----END SES SIGNATURE-----\n"
    assert (
        ses_parse.decode_upload(signature) == ses_parse.decode_upload(text) == ses_parse.decode_upload(pem) == signature
    )
    for junk in (b"not base64 !", "中文".encode(), base64.b64encode(b"plain text")):
        with pytest.raises(ses.SesMalformed):
            ses_parse.decode_upload(junk)


# --- independent checks --------------------------------------------------------------------------


class Header(asn1_core.Sequence):
    _fields = [("id", asn1_core.IA5String), ("version", asn1_core.Integer), ("vid", asn1_core.IA5String)]


class CertDigestObj(asn1_core.Sequence):
    _fields = [("type", asn1_core.PrintableString), ("value", asn1_core.OctetString)]


class PropertyInfo(asn1_core.Sequence):
    _fields = [
        ("type", asn1_core.Integer),
        ("name", asn1_core.UTF8String),
        ("cert_list_type", asn1_core.Integer),
        ("cert_list", asn1_core.Any),
        ("create_date", asn1_core.GeneralizedTime),
        ("valid_start", asn1_core.GeneralizedTime),
        ("valid_end", asn1_core.GeneralizedTime),
    ]


class PictureInfo(asn1_core.Sequence):
    _fields = [
        ("type", asn1_core.IA5String),
        ("data", asn1_core.OctetString),
        ("width", asn1_core.Integer),
        ("height", asn1_core.Integer),
    ]


class SealInfo(asn1_core.Sequence):
    _fields = [
        ("header", Header),
        ("es_id", asn1_core.IA5String),
        ("property", PropertyInfo),
        ("picture", PictureInfo),
    ]


class SESeal(asn1_core.Sequence):
    _fields = [
        ("info", SealInfo),
        ("cert", asn1_core.OctetString),
        ("sign_alg_id", asn1_core.ObjectIdentifier),
        ("signed_value", asn1_core.OctetBitString),
    ]


class TbsSign(asn1_core.Sequence):
    _fields = [
        ("version", asn1_core.Integer),
        ("eseal", SESeal),
        ("time_info", asn1_core.GeneralizedTime),
        ("data_hash", asn1_core.OctetBitString),
        ("property_info", asn1_core.IA5String),
    ]


class SesSignatureAsn1(asn1_core.Sequence):
    _fields = [
        ("to_sign", TbsSign),
        ("cert", asn1_core.OctetString),
        ("signature_alg_id", asn1_core.ObjectIdentifier),
        ("signature", asn1_core.OctetBitString),
        ("time_stamp", asn1_core.OctetBitString, {"explicit": 0, "optional": True}),
    ]


def test_an_independent_asn1_reading_agrees(pki: Pki, signer: tuple[Certificate, KeyHandle]) -> None:
    signature = sign(make_seal(pki, [signer[0].der]), signer)
    parsed = SesSignatureAsn1.load(signature, strict=True)
    assert parsed.dump(force=True) == signature  # re-encoding from values gives the same DER
    tbs = parsed["to_sign"]
    seal = tbs["eseal"]
    assert tbs["version"].native == 4 and tbs["time_info"].native == NOW
    assert seal["info"]["header"].native == {"id": "ES", "version": 4, "vid": "INKSEAL"}
    assert seal["info"]["property"]["name"].native == "测试科技有限公司合同专用章"
    assert seal["info"]["picture"]["width"].native == 42 and seal["sign_alg_id"].dotted == gm.SM2_WITH_SM3_OID
    assert bytes(tbs["data_hash"].native) == gm.sm3(DOCUMENT)
    assert parsed["time_stamp"].native is None


def test_a_seal_with_a_certificate_digest_list_written_independently_verifies(
    pki: Pki, signer: tuple[Certificate, KeyHandle]
) -> None:
    digests = asn1_core.SequenceOf(spec=CertDigestObj)
    digests.append(CertDigestObj({"type": "SM3", "value": gm.sm3(signer[0].der)}))
    info = SealInfo(
        {
            "header": {"id": "ES", "version": 4, "vid": "OTHER"},
            "es_id": "X-1",
            "property": {
                "type": 2,
                "name": "王五",
                "cert_list_type": 2,
                "cert_list": digests,
                "create_date": NOW - timedelta(days=1),
                "valid_start": NOW - timedelta(days=1),
                "valid_end": NOW + timedelta(days=30),
            },
            "picture": {"type": "PNG", "data": PNG, "width": 20, "height": 20},
        }
    )
    info_der = info.dump()
    seal = SESeal(
        {
            "info": info,
            "cert": pki.maker.der,
            "sign_alg_id": gm.SM2_WITH_SM3_OID,
            "signed_value": pki.maker_key.sign(info_der),
        }
    ).dump()
    parsed = ses_parse.parse_seal(seal)
    assert parsed.info.cert_list_type == 2 and parsed.info.lists(signer[0].der)
    assert parsed.info.cert_digests == (ses.CertDigest("SM3", gm.sm3(signer[0].der)),)
    assert verify(pki, sign(seal, signer)).valid


def test_openssl_verifies_the_signature_and_the_makers_signature(
    pki: Pki,
    signer: tuple[Certificate, KeyHandle],
    openssl: OpenSSL,  # noqa: F811
) -> None:
    signature = sign(make_seal(pki, [signer[0].der]), signer)
    openssl.write("ses.der", signature)
    assert openssl("asn1parse", "-inform", "DER", "-in", "ses.der").returncode == 0
    parsed = ses_parse.parse_signature(signature)
    checks = [
        (signer[0], parsed.tbs_der, parsed.signature),
        (pki.maker, parsed.seal.info.der, parsed.seal.signed_value),
    ]
    for n, (certificate, message, value) in enumerate(checks):
        key = openssl.write(f"key{n}.pem", certificate.public_key.pem())
        result = openssl(
            "dgst", "-sm3", "-verify", key, "-sigopt", "distid:1234567812345678",
            "-signature", openssl.write(f"sig{n}", value), openssl.write(f"msg{n}", message),
        )  # fmt: skip
        assert "Verified OK" in result.stdout
