"""国密 SM2/SM3/SM4: published vectors, a second implementation and OpenSSL as peers, SM2 PKI end to end.

OpenSSL 3.0 signs and verifies SM2 with an empty user ID unless given `distid`; GM/T 0009 (and so
every signature we make) uses 1234567812345678. Certificates are therefore checked with
`openssl verify -vfyopt distid:...` (one link at a time: the option reaches the target only), and
CRL, OCSP and time-stamp signatures with `openssl dgst -sm3 -sigopt distid:...` over the signed
bytes. Signing the same structures with OpenSSL's empty ID shows its own CRL and OCSP verifiers
accept our encodings too.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import core as asn1_core
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from hypothesis import given, settings
from hypothesis import strategies as st
from pysmx.SM2 import Sign as snowland_sign
from pysmx.SM2 import Verify as snowland_verify

from inkseal.pki import der, gm
from inkseal.pki.algorithms import (
    ECDSA_P256,
    RSA_2048,
    SM2,
    Algorithm,
    KeyHandle,
    PublicKey,
    Sm2SoftKey,
    get_algorithm,
    load_public_key,
)
from inkseal.pki.crl import RevocationReason, RevokedEntry, build_crl
from inkseal.pki.csr import parse_csr
from inkseal.pki.dual import escrow_new_encryption_key, open_enveloped_key, parse_enveloped_key, seal_enveloped_key
from inkseal.pki.errors import (
    CsrSignatureInvalid,
    DecryptionFailed,
    EnvelopeMalformed,
    SignatureInvalid,
    SignatureMalformed,
    UnsupportedAlgorithm,
)
from inkseal.pki.hierarchy import Hierarchy, bootstrap_hierarchy
from inkseal.pki.keystores.soft import KeyEncryptionKey, MemoryBlobStore, SoftKeystore
from inkseal.pki.names import enterprise_subject
from inkseal.pki.ocsp import CertStatus, OcspIssuer, OcspResponder
from inkseal.pki.profiles import ENTERPRISE_ENCRYPTION, ENTERPRISE_SIGNING, CertificateProfile, validity_years
from inkseal.pki.tsa import TimeStampAuthority
from inkseal.pki.x509 import Certificate, CertificateAuthority, PublicUrls, issue_certificate
from tests.pki.conftest import SOFTHSM_LABEL, SOFTHSM_PIN, OpenSSL

DISTID = "distid:1234567812345678"
NOW = datetime.now(UTC).replace(microsecond=0)
N = gm.N


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def i(text: str) -> int:
    return int.from_bytes(h(text), "big")


# --- textbook affine arithmetic, only to replay the published examples with their fixed k ----

Point = tuple[int, int] | None


def ec_add(curve: gm.Curve, p: Point, q: Point) -> Point:
    if p is None or q is None:
        return p or q
    (x1, y1), (x2, y2) = p, q
    if x1 == x2 and (y1 + y2) % curve.p == 0:
        return None
    if p == q:
        slope = (3 * x1 * x1 + curve.a) * pow(2 * y1, -1, curve.p)
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, curve.p)
    x3 = (slope * slope - x1 - x2) % curve.p
    return x3, (slope * (x1 - x3) - y1) % curve.p


def ec_mul(curve: gm.Curve, k: int, p: Point) -> Point:
    result: Point = None
    while k:
        if k & 1:
            result = ec_add(curve, result, p)
        p, k = ec_add(curve, p, p), k >> 1
    return result


def reference_sign(curve: gm.Curve, d: int, e: int, k: int) -> tuple[int, int]:
    kg = ec_mul(curve, k, (curve.gx, curve.gy))
    assert kg is not None
    r = (e + kg[0]) % curve.n
    return r, pow(1 + d, -1, curve.n) * (k - r * d) % curve.n


def point_bytes(point: Point) -> bytes:
    assert point is not None
    return point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


# --- SM3, SM4 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
    ids=["abc", "abcd*16"],
)
def test_sm3_known_answers(message: bytes, digest: str) -> None:
    assert gm.sm3(message).hex() == digest
    fallback = gm._BufferedSm3(message[:1])  # the path for an OpenSSL without SM3
    fallback.update(message[1:])
    assert fallback.hexdigest() == digest


def test_sm4_known_answer_gbt_32907() -> None:
    key = h("0123456789abcdeffedcba9876543210")
    assert gm.sm4_ecb_encrypt(key, key).hex() == "681edf34d206965e86b3e94f536e4246"
    assert gm.sm4_ecb_decrypt(key, h("681edf34d206965e86b3e94f536e4246")) == key
    with pytest.raises(ValueError):
        gm.sm4_ecb_encrypt(key, b"not a block")


# --- published SM2 examples ------------------------------------------------------------------

# GB/T 32918.2-2016 Annex A (and GM/T 0003.2): a 256-bit test curve, not the recommended one.
ANNEX_A_CURVE = gm.Curve(
    name="gbt32918.2-annex-a",
    p=i("8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3"),
    a=i("787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498"),
    b=i("63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A"),
    n=i("8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7"),
    gx=i("421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D"),
    gy=i("0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2"),
)


def test_gbt_32918_2_annex_a_signature_example() -> None:
    d = i("128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263")
    public = ec_mul(ANNEX_A_CURVE, d, (ANNEX_A_CURVE.gx, ANNEX_A_CURVE.gy))
    assert point_bytes(public) == h(
        "0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A"
        "7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857"
    )
    # Our Z_A on the example's curve, user ID ALICE123@YAHOO.COM (ENTL 0x0090).
    z = gm.z_a(point_bytes(public), b"ALICE123@YAHOO.COM", curve=ANNEX_A_CURVE)
    assert z == h("F4A38489 E32B45B6 F876E3AC 2168CA39 2362DC8F 23459C1D 1146FC3D BFB7BC9A")
    e = gm.sm3(z + b"message digest")
    assert e == h("B524F552 CD82B8B0 28476E00 5C377FB1 9A87E6FC 682D48BB 5D42E3D9 B9EFFE76")
    k = i("6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F")
    r, s = reference_sign(ANNEX_A_CURVE, d, int.from_bytes(e, "big"), k)
    assert r == i("40F1EC59 F793D9F4 9E09DCEF 49130D41 94F79FB1 EED2CAA5 5BACDB49 C4E755D1")
    assert s == i("6FC6DAC3 2C5D5CF1 0C77DFB2 0F7C2EB6 67A45787 2FB09EC5 6327A67E C7DEEBE7")


# GB/T 32918.5-2017 Annex A (GM/T 0003.5-2012): the recommended curve, default user ID.
EXAMPLE_D = h("3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8")
EXAMPLE_POINT = h(
    "09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020"
    "CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13"
)
EXAMPLE_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
EXAMPLE_R = i("F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3")
EXAMPLE_S = i("B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA")


def test_recommended_curve_example_digest_and_signature() -> None:
    key = gm.Sm2PublicKey(EXAMPLE_POINT)
    assert point_bytes(ec_mul(gm.SM2P256V1, i(EXAMPLE_D.hex()), (gm.SM2P256V1.gx, gm.SM2P256V1.gy))) == EXAMPLE_POINT
    assert gm.DEFAULT_USER_ID == b"1234567812345678"
    assert gm.z_a(EXAMPLE_POINT) == h("B2E14C5C 79C6DF5B 85F4FE7E D8DB7A26 2B9DA7E0 7CCB0EA9 F4747B8C CDA8A4F3")
    e = key.signing_digest(b"message digest")
    assert e == h("F0B43E94 BA45ACCA ACE692ED 534382EB 17E6AB5A 19CE7B31 F4486FDF C0D28640")
    # verify-only through the library: the published (r, s), DER-encoded
    key.verify(gm.encode_signature(EXAMPLE_R, EXAMPLE_S), b"message digest")
    with pytest.raises(SignatureInvalid):
        key.verify(gm.encode_signature(EXAMPLE_R, EXAMPLE_S), b"message digest", user_id=b"ALICE123@YAHOO.COM")
    # the fixed-k signature, by the textbook equations and by snowland-smx
    assert reference_sign(gm.SM2P256V1, i(EXAMPLE_D.hex()), int.from_bytes(e, "big"), i(EXAMPLE_K)) == (
        EXAMPLE_R,
        EXAMPLE_S,
    )
    raw = snowland_sign(b"message digest", EXAMPLE_D, EXAMPLE_K, 64, uid=b"1234567812345678")
    assert raw == EXAMPLE_R.to_bytes(32, "big") + EXAMPLE_S.to_bytes(32, "big")


def test_z_a_is_sm3_of_entl_id_curve_and_key() -> None:
    curve = gm.SM2P256V1
    parameters = b"".join(v.to_bytes(32, "big") for v in (curve.a, curve.b, curve.gx, curve.gy))
    preimage = b"\x00\x80" + b"1234567812345678" + parameters + EXAMPLE_POINT
    assert gm.z_a(EXAMPLE_POINT) == hashlib.new("sm3", preimage).digest()


def test_recommended_curve_decryption_example() -> None:
    # GM/T 0003.5 Annex C: "encryption standard" with the example key and k, as SM2Cipher DER.
    ciphertext = h(
        "307C0220 04EBFC71 8E8D1798 62043226 8E77FEB6 415E2EDE 0E073C0F 4F640ECD 2E149A73 022100E8"
        "58F9D81E 5430A57B 36DAAB8F 950A3C64 E6EE6A63 094D9928 3AFF767E 124DF004 2059983C 18F809E2"
        "62923C53 AEC295D3 0383B54E 39D609D1 60AFCB19 08D0BD87 66041321 886CA989 CA9C7D58 087307CA"
        "93092D65 1EFA"
    )
    key = gm.Sm2PrivateKey(EXAMPLE_D, gm.Sm2PublicKey(EXAMPLE_POINT))
    assert key.decrypt(ciphertext) == b"encryption standard"


# --- signatures: round trips, DER, ranges ----------------------------------------------------


def test_sign_verify_and_tampering() -> None:
    key = SM2.generate_soft_key()
    signature = key.sign(b"contract v1")
    key.public_key.verify(signature, b"contract v1")
    for data in (b"contract v2", b""):
        with pytest.raises(SignatureInvalid):
            key.public_key.verify(signature, data)
    assert key.sign(b"contract v1") != signature  # a fresh nonce each time
    with pytest.raises(SignatureInvalid):
        SM2.generate_soft_key().public_key.verify(signature, b"contract v1")


def test_sign_digest_signs_sm3_of_z_and_message() -> None:
    key = SM2.generate_soft_key()
    e = gm.sm3(gm.z_a(key.public_key.native.point) + b"pdf byte ranges")
    assert SM2.signing_digest(b"pdf byte ranges", key.public_key) == e
    key.public_key.verify(key.sign_digest(e), b"pdf byte ranges")
    with pytest.raises(ValueError):
        key.sign_digest(hashlib.sha256(b"x").digest()[:20])


@settings(max_examples=25, deadline=None)
@given(message=st.binary(max_size=2048), user_id=st.binary(max_size=64))
def test_round_trip_for_any_message_and_user_id(message: bytes, user_id: bytes) -> None:
    key = gm.Sm2PrivateKey.generate()
    key.public_key.verify(key.sign(message, user_id), message, user_id)


@pytest.mark.parametrize(("r", "s"), [(1, 1), (N - 1, N - 1), (0x80, 0x7F), (1 << 255, (1 << 248) + 5)])
def test_der_round_trips_at_the_edges(r: int, s: int) -> None:
    encoded = gm.encode_signature(r, s)
    assert gm.decode_signature(encoded) == (r, s)
    assert encoded == der.sequence(der.integer(r), der.integer(s))


@given(r=st.integers(1, N - 1), s=st.integers(1, N - 1))
def test_der_round_trips(r: int, s: int) -> None:
    assert gm.decode_signature(gm.encode_signature(r, s)) == (r, s)


def _raw_signature(*integers: bytes, trailing: bytes = b"") -> bytes:
    return der.sequence(*(der.tlv(der.INTEGER, value) for value in integers)) + trailing


@pytest.mark.parametrize(
    "signature",
    [
        _raw_signature(b"\x00", b"\x01"),  # r = 0
        _raw_signature(b"\x01", b"\x00"),  # s = 0
        _raw_signature(b"\x00" + N.to_bytes(32, "big"), b"\x01"),  # r = n
        _raw_signature(b"\x01", b"\x00" + (N + 1).to_bytes(32, "big")),  # s = n + 1
        _raw_signature(b"\xff", b"\x01"),  # negative r
        _raw_signature(b"\x00\x01", b"\x01"),  # non-minimal integer
        _raw_signature(b"\x01"),  # one value
        _raw_signature(b"\x01", b"\x01", b"\x01"),  # three values
        _raw_signature(b"\x01", b"\x01", trailing=b"\x00"),  # trailing byte
        b"\x30\x81\x06\x02\x01\x01\x02\x01\x01",  # long-form length for a short one
        b"\x30\x80\x02\x01\x01\x02\x01\x01\x00\x00",  # BER indefinite length
        b"\x31\x06\x02\x01\x01\x02\x01\x01",  # SET, not SEQUENCE
        b"",
    ],
)
def test_malformed_and_out_of_range_signatures_are_refused(signature: bytes) -> None:
    with pytest.raises(SignatureMalformed):
        gm.decode_signature(signature)
    key = SM2.generate_soft_key()
    with pytest.raises(SignatureInvalid):
        key.public_key.verify(signature, b"m")


def test_encoding_refuses_values_out_of_range() -> None:
    for r, s in ((0, 1), (1, N), (-1, 5)):
        with pytest.raises(ValueError):
            gm.encode_signature(r, s)


_VERIFIER = gm.Sm2PrivateKey.generate().public_key
_DECRYPTER = gm.Sm2PrivateKey.generate()


@given(st.binary(max_size=80))
def test_random_bytes_only_raise_signature_errors(data: bytes) -> None:
    try:
        gm.decode_signature(data)
    except SignatureMalformed:
        pass
    with pytest.raises(SignatureInvalid):
        _VERIFIER.verify(data, b"m")


@given(st.binary(max_size=200))
def test_random_ciphertexts_only_raise_decryption_failed(data: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        _DECRYPTER.decrypt(data)


# --- a second implementation and OpenSSL -----------------------------------------------------


def test_snowland_smx_and_we_verify_each_other() -> None:
    key = gm.Sm2PrivateKey.generate()
    message = "合同 contract".encode()
    r, s = gm.decode_signature(key.sign(message))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert snowland_verify(raw, message, key.public_key.point, 64, uid=b"1234567812345678")
    theirs = snowland_sign(message, key.private_bytes(), secrets.token_hex(32), 64, uid=b"1234567812345678")
    key.public_key.verify(gm.encode_signature(i(theirs[:32].hex()), i(theirs[32:].hex())), message)


def openssl_verifies(openssl: OpenSSL, public_key: PublicKey, data: bytes, signature: bytes) -> bool:
    """OpenSSL's SM2 verification with the GM/T 0009 default ID, over the signed bytes."""
    args = [openssl.write("signer.pem", public_key.pem()), openssl.write("sig.der", signature)]
    result = openssl(
        "dgst", "-sm3", "-verify", args[0], "-sigopt", DISTID, "-signature", args[1], openssl.write("tbs", data),
        check=False,
    )  # fmt: skip
    return "Verified OK" in result.stdout


def test_openssl_and_we_verify_each_other(openssl: OpenSSL) -> None:
    key = SM2.generate_soft_key()
    assert openssl_verifies(openssl, key.public_key, b"seal me", key.sign(b"seal me"))
    assert not openssl_verifies(openssl, key.public_key, b"seal me!", key.sign(b"seal me"))
    openssl("genpkey", "-algorithm", "SM2", "-out", "theirs.pem")
    openssl("pkey", "-in", "theirs.pem", "-pubout", "-outform", "DER", "-out", "theirs.spki")
    public = SM2.load_public_key((openssl.workdir / "theirs.spki").read_bytes())
    openssl.write("doc", b"seal me")
    openssl("dgst", "-sm3", "-sign", "theirs.pem", "-sigopt", DISTID, "-out", "doc.sig", "doc")
    public.verify((openssl.workdir / "doc.sig").read_bytes(), b"seal me")
    # without distid OpenSSL 3.0 signs with an empty ID, which is not GM/T 0009's
    openssl("dgst", "-sm3", "-sign", "theirs.pem", "-out", "empty.sig", "doc")
    with pytest.raises(SignatureInvalid):
        public.verify((openssl.workdir / "empty.sig").read_bytes(), b"seal me")


def test_keys_move_between_openssl_and_us(openssl: OpenSSL) -> None:
    openssl("genpkey", "-algorithm", "SM2", "-out", "theirs.pem")
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", "theirs.pem", "-outform", "DER", "-out", "theirs.p8")
    theirs = SM2.load_soft_key((openssl.workdir / "theirs.p8").read_bytes())
    shown = openssl("pkey", "-in", "theirs.pem", "-pubout", "-outform", "DER", "-out", "theirs.spki")
    assert shown.returncode == 0 and theirs.public_key.spki_der == (openssl.workdir / "theirs.spki").read_bytes()
    ours = SM2.generate_soft_key()
    openssl.write("ours.p8", ours.to_pkcs8())
    text = openssl("pkey", "-inform", "DER", "-in", "ours.p8", "-text", "-noout").stdout
    assert "ASN1 OID: SM2" in text
    openssl("pkey", "-inform", "DER", "-in", "ours.p8", "-pubout", "-outform", "DER", "-out", "ours.spki")
    assert (openssl.workdir / "ours.spki").read_bytes() == ours.public_key.spki_der


def test_sm2_encryption_interoperates_with_openssl(openssl: OpenSSL) -> None:
    key = SM2.generate_soft_key()
    assert isinstance(key, Sm2SoftKey)
    openssl.write("key.p8", key.to_pkcs8())
    openssl.write("pub.pem", key.public_key.pem())
    openssl.write("ours.ct", key.gm_key.public_key.encrypt(b"sixteen byte key"))
    openssl("pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", "key.p8", "-in", "ours.ct", "-out", "plain")
    assert (openssl.workdir / "plain").read_bytes() == b"sixteen byte key"
    openssl.write("msg", b"from openssl")
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "msg", "-out", "theirs.ct")
    assert key.gm_key.decrypt((openssl.workdir / "theirs.ct").read_bytes()) == b"from openssl"


# --- the algorithm in the registry, keys, keystores ------------------------------------------


def test_sm2_is_registered_with_its_identifiers() -> None:
    assert get_algorithm("sm2") is SM2
    assert (SM2.label, SM2.family, SM2.hash_name, SM2.digest_size) == ("SM2", "sm2", "sm3", 32)
    assert SM2.signature_algorithm_der.hex() == "300a06082a811ccf55018375"  # SM2-with-SM3, no parameters
    assert SM2.digest_algorithm_der.hex() == "300a06082a811ccf55018311"  # SM3
    spki = SM2.generate_soft_key().public_key.spki_der
    assert spki.startswith(h("3059301306072a8648ce3d020106082a811ccf5501822d03420004"))


def test_public_keys_are_recognised_and_checked() -> None:
    key = SM2.generate_soft_key()
    assert load_public_key(key.public_key.spki_der).algorithm is SM2
    off_curve = key.public_key.spki_der[:-1] + bytes([key.public_key.spki_der[-1] ^ 1])
    compressed = h("3039301306072a8648ce3d020106082a811ccf5501822d03220002") + EXAMPLE_POINT[:32]
    for spki in (off_curve, compressed):
        with pytest.raises(UnsupportedAlgorithm):
            load_public_key(spki)
    assert load_public_key(ECDSA_P256.generate_soft_key().public_key.spki_der).algorithm is ECDSA_P256


def test_foreign_signature_algorithms_are_refused_for_sm2() -> None:
    key = SM2.generate_soft_key()
    with pytest.raises(UnsupportedAlgorithm):
        key.public_key.verify(key.sign(b"m"), b"m", signature_oid="1.2.840.10045.4.3.2")


def test_pkcs8_round_trip_and_refusals() -> None:
    key = SM2.generate_soft_key()
    again = SM2.load_soft_key(key.to_pkcs8())
    assert again.public_key.spki_der == key.public_key.spki_der
    key.public_key.verify(again.sign(b"m"), b"m")
    other = gm.Sm2PrivateKey.generate()
    assert isinstance(key, Sm2SoftKey)
    mismatched = other.to_pkcs8().replace(other.public_key.point, key.gm_key.public_key.point)
    with pytest.raises(UnsupportedAlgorithm):
        gm.Sm2PrivateKey.from_pkcs8(mismatched)
    for pkcs8 in (ECDSA_P256.generate_soft_key().to_pkcs8(), b"\x30\x00", b"garbage"):
        with pytest.raises(UnsupportedAlgorithm):
            SM2.load_soft_key(pkcs8)
    for scalar in (bytes(32), (N - 1).to_bytes(32, "big")):
        with pytest.raises(UnsupportedAlgorithm):
            gm.Sm2PrivateKey(scalar, other.public_key, check_pair=False)


def test_soft_keystore_keeps_sm2_keys() -> None:
    store, kek = MemoryBlobStore(), KeyEncryptionKey.generate()
    key_id = SoftKeystore(store, kek).generate_key(SM2, "cloud:sm2")
    reopened = SoftKeystore(store, kek)
    signer = reopened.signer(key_id)
    assert signer.algorithm is SM2
    reopened.public_key(key_id).verify(signer.sign(b"contract"), b"contract")


def test_pkcs11_tokens_refuse_sm2_keys(softhsm_token: str) -> None:
    from inkseal.pki.keystores.pkcs11 import Pkcs11Keystore

    hsm = Pkcs11Keystore(softhsm_token, SOFTHSM_LABEL, SOFTHSM_PIN)
    try:
        with pytest.raises(UnsupportedAlgorithm, match="SM2 keys are not supported on PKCS#11 tokens"):
            hsm.generate_key(SM2, "cloud:sm2")
    finally:
        hsm.close()


# --- SM2 hierarchy: certificates, CRL, OCSP, time stamps -------------------------------------

URLS = PublicUrls("https://ca.inkseal.test/")


@pytest.fixture(scope="module")
def sm2_keystore() -> SoftKeystore:
    return SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())


@pytest.fixture(scope="module")
def sm2(sm2_keystore: SoftKeystore) -> Hierarchy:
    return bootstrap_hierarchy(
        sm2_keystore,
        urls=URLS,
        organization="Inkseal Test",
        now=NOW,
        root_algorithm=SM2,
        issuing_algorithms=(SM2,),
        tsa_algorithm=SM2,
    )


def issue_sm2(sm2: Hierarchy, public_key: PublicKey, profile: CertificateProfile = ENTERPRISE_SIGNING) -> Certificate:
    return issue_certificate(
        sm2.issuing["sm2"],
        subject=enterprise_subject("测试科技有限公司", "91350100M000100Y43"),
        public_key=public_key,
        profile=profile,
        validity=validity_years(1, NOW),
        urls=URLS,
    )


def openssl_verifies_link(openssl: OpenSSL, issuer: Certificate, certificate: Certificate) -> str:
    """`openssl verify` of one link, the issuer as trust anchor (distid reaches the target only)."""
    anchor = openssl.write_certs("anchor.pem", issuer)
    target = openssl.write_certs("target.pem", certificate)
    result = openssl(
        "verify", "-x509_strict", "-vfyopt", DISTID, "-partial_chain", "-CAfile", anchor, target, check=False
    )
    return result.stdout.strip()


def test_the_sm2_hierarchy_has_its_own_root(sm2: Hierarchy) -> None:
    assert sm2.root.ca_id == "root-sm2" and list(sm2.issuing) == ["sm2"]
    assert sm2.issuing["sm2"].ca_id == "issuing-sm2" and list(sm2.ocsp) == ["issuing-sm2"]
    assert sm2.tsa is not None and sm2.tsa.certificate.public_key.algorithm is SM2
    with pytest.raises(ValueError):
        bootstrap_hierarchy(
            SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate()),
            urls=URLS, organization="T", now=NOW, root_algorithm=SM2, issuing_algorithms=(SM2,),
        )  # fmt: skip


def test_openssl_reads_and_verifies_the_sm2_chain(sm2: Hierarchy, openssl: OpenSSL) -> None:
    issuing = sm2.issuing["sm2"].certificate
    leaf = issue_sm2(sm2, SM2.generate_soft_key().public_key)
    text = openssl("x509", "-in", openssl.write_certs("leaf.pem", leaf), "-noout", "-text").stdout
    assert text.count("Signature Algorithm: SM2-with-SM3") == 2 and "ASN1 OID: SM2" in text
    assert openssl_verifies_link(openssl, sm2.root.certificate, issuing).endswith(": OK")
    assert openssl_verifies_link(openssl, issuing, leaf).endswith(": OK")
    assert sm2.tsa is not None
    for service in (sm2.ocsp["issuing-sm2"].certificate, sm2.tsa.certificate):
        assert openssl_verifies_link(openssl, issuing, service).endswith(": OK")
    # OpenSSL's own default (empty ID) does not verify GM/T 0009 signatures
    openssl_verifies_link(openssl, issuing, leaf)
    assert openssl("verify", "-partial_chain", "-CAfile", "anchor.pem", "target.pem", check=False).returncode != 0
    leaf.verify_signed_by(sm2.issuing["sm2"].certificate)
    issuing.verify_signed_by(sm2.root.certificate)


def test_signing_and_encryption_certificates_carry_the_gmt_0015_key_usage(sm2: Hierarchy) -> None:
    signing = issue_sm2(sm2, SM2.generate_soft_key().public_key, ENTERPRISE_SIGNING)
    encryption = issue_sm2(sm2, SM2.generate_soft_key().public_key, ENTERPRISE_ENCRYPTION)
    assert asn1_x509.Certificate.load(signing.der).key_usage_value.native == {"digital_signature", "non_repudiation"}
    assert asn1_x509.Certificate.load(encryption.der).key_usage_value.native == {
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
    }
    assert asn1_x509.Certificate.load(signing.der)["signature_algorithm"].dump() == SM2.signature_algorithm_der


def test_sm2_certificate_requests_from_openssl(sm2: Hierarchy, openssl: OpenSSL) -> None:
    openssl("genpkey", "-algorithm", "SM2", "-out", "ukey.pem")
    subject = ["-subj", "/CN=UKEY 0001"]
    openssl("req", "-new", "-key", "ukey.pem", "-sm3", "-sigopt", DISTID, *subject, "-outform", "DER", "-out", "ok")
    request = parse_csr((openssl.workdir / "ok").read_bytes())
    assert request.public_key.algorithm is SM2 and request.subject == {"common_name": "UKEY 0001"}
    leaf = issue_sm2(sm2, request.public_key)
    assert openssl_verifies_link(openssl, sm2.issuing["sm2"].certificate, leaf).endswith(": OK")
    openssl("req", "-new", "-key", "ukey.pem", "-sm3", *subject, "-outform", "DER", "-out", "empty-id")
    with pytest.raises(CsrSignatureInvalid, match="distid:1234567812345678"):
        parse_csr((openssl.workdir / "empty-id").read_bytes())


class OpenSslDefaultIdSigner(KeyHandle):
    """Signs as OpenSSL 3.0 does without distid (empty user ID), so its own verifiers can check encodings."""

    def __init__(self, key: KeyHandle):
        assert isinstance(key, Sm2SoftKey)
        self._key = key

    @property
    def algorithm(self) -> Algorithm:
        return SM2

    @property
    def public_key(self) -> PublicKey:
        return self._key.public_key

    def sign_digest(self, digest: bytes) -> bytes:
        return self._key.sign_digest(digest)

    def sign(self, data: bytes) -> bytes:
        return self._key.gm_key.sign(data, user_id=b"")


def test_sm2_crls(sm2: Hierarchy, sm2_keystore: SoftKeystore, openssl: OpenSSL) -> None:
    ca = sm2.issuing["sm2"]
    entries = [RevokedEntry(0x1234, NOW - timedelta(hours=1), RevocationReason.KEY_COMPROMISE)]
    crl = build_crl(ca, entries, crl_number=7, this_update=NOW, next_update=NOW + timedelta(days=1))
    text = openssl("crl", "-inform", "DER", "-in", openssl.write("ca.crl", crl), "-noout", "-text").stdout
    assert "Signature Algorithm: SM2-with-SM3" in text and "Serial Number: 1234" in text
    parsed = asn1_crl.CertificateList.load(crl)
    tbs, signature = parsed["tbs_cert_list"].dump(), parsed["signature"].native
    assert openssl_verifies(openssl, ca.certificate.public_key, tbs, signature)
    ca.certificate.public_key.verify(signature, tbs)
    # the same CRL signed with OpenSSL's empty ID passes `openssl crl -verify`
    with_empty_id = CertificateAuthority(ca.ca_id, ca.certificate, OpenSslDefaultIdSigner(ca.signer))
    crl = build_crl(with_empty_id, entries, crl_number=8, this_update=NOW, next_update=NOW + timedelta(days=1))
    chain = openssl.write_certs("chain.pem", sm2.root.certificate, ca.certificate)
    result = openssl("crl", "-inform", "DER", "-in", openssl.write("e.crl", crl), "-CAfile", chain, "-noout")
    assert "verify OK" in result.stdout + result.stderr


def test_sm2_ocsp_responses(sm2: Hierarchy, sm2_keystore: SoftKeystore, openssl: OpenSSL) -> None:
    ca, responder_cert = sm2.issuing["sm2"], sm2.ocsp["issuing-sm2"]
    leaf = issue_sm2(sm2, SM2.generate_soft_key().public_key)
    statuses = {leaf.serial: CertStatus.revoked(NOW - timedelta(days=1), RevocationReason.KEY_COMPROMISE)}
    issuer = OcspIssuer(
        ca.ca_id, ca.certificate, responder_cert.certificate, sm2_keystore.signer(responder_cert.key_id)
    )
    responder = OcspResponder([issuer], lambda _ca, serial: statuses.get(serial, CertStatus.unknown()))
    openssl.write_certs("issuer.pem", ca.certificate)
    openssl.write_certs("leaf.pem", leaf)
    openssl.write_certs("responder.pem", responder_cert.certificate)
    openssl("ocsp", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-reqout", "req.der")
    response = responder.respond((openssl.workdir / "req.der").read_bytes())
    openssl.write("resp.der", response)
    shown = openssl("ocsp", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-respin", "resp.der", "-noverify")
    assert "leaf.pem: revoked" in shown.stdout and "Reason: keyCompromise" in shown.stdout
    basic = asn1_ocsp.OCSPResponse.load(response).basic_ocsp_response
    assert basic["signature_algorithm"].dump() == SM2.signature_algorithm_der
    tbs, signature = basic["tbs_response_data"].dump(), basic["signature"].native
    assert openssl_verifies(openssl, responder_cert.certificate.public_key, tbs, signature)
    assert openssl_verifies_link(openssl, ca.certificate, responder_cert.certificate).endswith(": OK")
    # signed with OpenSSL's empty ID, `openssl ocsp` itself checks the signature and the nonce
    issuer = OcspIssuer(
        ca.ca_id, ca.certificate, responder_cert.certificate, OpenSslDefaultIdSigner(issuer.responder_signer)
    )
    responder = OcspResponder([issuer], lambda _ca, serial: statuses.get(serial, CertStatus.unknown()))
    openssl.write("resp.der", responder.respond((openssl.workdir / "req.der").read_bytes()))
    checked = openssl(
        "ocsp", "-reqin", "req.der", "-respin", "resp.der",
        "-verify_other", "responder.pem", "-trust_other", "-CAfile", "issuer.pem", "-partial_chain",
    )  # fmt: skip
    assert "Response verify OK" in checked.stdout + checked.stderr


def test_cert_ids_hashed_with_sm3_are_understood(sm2: Hierarchy, sm2_keystore: SoftKeystore, openssl: OpenSSL) -> None:
    ca, responder_cert = sm2.issuing["sm2"], sm2.ocsp["issuing-sm2"]
    signer = sm2_keystore.signer(responder_cert.key_id)
    issuer = OcspIssuer(ca.ca_id, ca.certificate, responder_cert.certificate, signer)
    responder = OcspResponder([issuer], lambda _ca, _serial: CertStatus.good())
    openssl.write_certs("issuer.pem", ca.certificate)
    openssl.write_certs("leaf.pem", issue_sm2(sm2, SM2.generate_soft_key().public_key))
    openssl("ocsp", "-sm3", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-reqout", "req.der")
    openssl.write("resp.der", responder.respond((openssl.workdir / "req.der").read_bytes()))
    shown = openssl("ocsp", "-sm3", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-respin", "resp.der", "-noverify")
    assert "leaf.pem: good" in shown.stdout


def test_sm2_time_stamps_with_sm3_imprints(sm2: Hierarchy, sm2_keystore: SoftKeystore, openssl: OpenSSL) -> None:
    assert sm2.tsa is not None
    tsa_cert = sm2.tsa.certificate
    tsa = TimeStampAuthority(
        tsa_cert, sm2_keystore.signer(sm2.tsa.key_id), serials=itertools.count(1).__next__, chain=[]
    )
    openssl.write("doc.pdf", b"%PDF-1.7 contract")
    openssl("ts", "-query", "-data", "doc.pdf", "-sm3", "-cert", "-out", "req.tsq")
    reply = asn1_tsp.TimeStampResp.load(tsa.respond((openssl.workdir / "req.tsq").read_bytes()))
    assert reply["status"]["status"].native == "granted"
    signed_data = reply["time_stamp_token"]["content"]
    tst_info = signed_data["encap_content_info"]["content"]
    imprint = tst_info.parsed["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].dotted == gm.SM3_OID
    assert imprint["hashed_message"].native == gm.sm3(b"%PDF-1.7 contract")
    signer_info = signed_data["signer_infos"][0]
    assert signer_info["digest_algorithm"].dump() == SM2.digest_algorithm_der
    assert signer_info["signature_algorithm"].dump() == SM2.signature_algorithm_der
    attributes = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    assert attributes["message_digest"].native == gm.sm3(tst_info.contents)
    signed = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    assert openssl_verifies(openssl, tsa_cert.public_key, signed, signer_info["signature"].native)
    openssl("ts", "-query", "-data", "doc.pdf", "-sha1", "-out", "sha1.tsq")
    refused = asn1_core.Sequence.load(tsa.respond((openssl.workdir / "sha1.tsq").read_bytes()))
    assert asn1_tsp.PKIStatusInfo.load(refused[0].dump())["status"].native == "rejection"


# --- dual certificates: escrowed encryption key, SM2EnvelopedKey -----------------------------


@pytest.fixture
def delivery(sm2_keystore: SoftKeystore) -> tuple[SoftKeystore, str, Sm2SoftKey, bytes]:
    kmc = SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())
    escrowed = escrow_new_encryption_key(kmc, label="escrow:enc")
    signing_key = SM2.generate_soft_key()  # on the UKEY in real life
    assert isinstance(signing_key, Sm2SoftKey)
    envelope = seal_enveloped_key(kmc.private_key(escrowed.key_id), signing_key.public_key)
    return kmc, escrowed.key_id, signing_key, envelope


def test_the_envelope_carries_the_escrowed_key_to_the_signing_key_holder(
    delivery: tuple[SoftKeystore, str, Sm2SoftKey, bytes],
) -> None:
    kmc, key_id, signing_key, envelope = delivery
    opened = open_enveloped_key(envelope, signing_key)
    assert opened.public_key.spki_der == kmc.public_key(key_id).spki_der
    assert isinstance(opened, Sm2SoftKey)
    ciphertext = kmc.public_key(key_id).native.encrypt(b"document key 16B")
    assert opened.gm_key.decrypt(ciphertext) == b"document key 16B"
    parts = parse_enveloped_key(envelope)
    assert parts.public_point == kmc.public_key(key_id).native.point


def test_the_envelope_structure_is_gmt_0009(delivery: tuple[SoftKeystore, str, Sm2SoftKey, bytes]) -> None:
    _, _, _, envelope = delivery
    reader = der.read_sequence(envelope)
    assert reader.read_element(der.SEQUENCE) == der.sequence(der.oid("1.2.156.10197.1.104.1"), der.NULL)
    cipher = gm.decode_ciphertext(reader.read_element(der.SEQUENCE))
    assert len(cipher.ciphertext) == 16  # the SM4 key
    assert len(reader.read_bit_string()) == 65 and len(reader.read_bit_string()) == 32
    reader.expect_end()


def test_an_envelope_opens_only_for_its_recipient(delivery: tuple[SoftKeystore, str, Sm2SoftKey, bytes]) -> None:
    _, _, _, envelope = delivery
    with pytest.raises(DecryptionFailed):
        open_enveloped_key(envelope, SM2.generate_soft_key())


@pytest.mark.parametrize("position", [30, 60, 140, 170, -40, -1])
def test_a_tampered_envelope_does_not_open(
    delivery: tuple[SoftKeystore, str, Sm2SoftKey, bytes], position: int
) -> None:
    _, _, signing_key, envelope = delivery
    tampered = bytearray(envelope)
    tampered[position] ^= 0x01
    with pytest.raises((DecryptionFailed, EnvelopeMalformed)):
        open_enveloped_key(bytes(tampered), signing_key)


def test_envelopes_are_for_sm2_keys_only() -> None:
    rsa_key = RSA_2048.generate_soft_key()
    with pytest.raises(UnsupportedAlgorithm):
        seal_enveloped_key(rsa_key, SM2.generate_soft_key().public_key)
    with pytest.raises(UnsupportedAlgorithm):
        seal_enveloped_key(SM2.generate_soft_key(), rsa_key.public_key)


@given(st.binary(max_size=300))
def test_random_bytes_only_raise_envelope_malformed(data: bytes) -> None:
    with pytest.raises(EnvelopeMalformed):
        parse_enveloped_key(data)


def test_large_envelopes_are_refused_before_parsing() -> None:
    with pytest.raises(EnvelopeMalformed):
        parse_enveloped_key(b"\x30\x82\xff\xff" + bytes(0xFFFF))
