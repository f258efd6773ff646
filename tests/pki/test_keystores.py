"""Keystores: soft (sealed under a KEK outside the database) and PKCS#11 (keys never leave the token)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pkcs11 import Attribute, ObjectClass

from inkseal.pki.algorithms import ECDSA_P256, RSA_2048, Algorithm
from inkseal.pki.crl import RevokedEntry, build_crl
from inkseal.pki.errors import InvalidKek, KeyNotFound, KeyUnwrapFailed
from inkseal.pki.hierarchy import create_issuing_ca, create_root_ca, create_tsa
from inkseal.pki.keystores.soft import DirectoryBlobStore, KeyEncryptionKey, MemoryBlobStore, SoftKeystore
from inkseal.pki.names import enterprise_subject
from inkseal.pki.profiles import ENTERPRISE_SIGNING, validity_years
from inkseal.pki.tsa import TimeStampAuthority
from inkseal.pki.x509 import PublicUrls, issue_certificate
from tests.pki.conftest import SOFTHSM_LABEL, SOFTHSM_PIN, OpenSSL

ALGORITHMS = [RSA_2048, ECDSA_P256]


def make_soft(store: MemoryBlobStore | None = None, *, cache_size: int = 1024) -> SoftKeystore:
    return SoftKeystore(store or MemoryBlobStore(), KeyEncryptionKey.generate(), cache_size=cache_size)


# --- soft keystore ---------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_soft_key_signs_and_reports_its_public_key(algorithm: Algorithm) -> None:
    keystore = make_soft()
    key_id = keystore.generate_key(algorithm, "cloud:alice")
    signer = keystore.signer(key_id)
    assert signer.algorithm is algorithm
    keystore.public_key(key_id).verify(signer.sign(b"doc"), b"doc")


def test_a_database_dump_holds_no_usable_key() -> None:
    store = MemoryBlobStore()
    keystore = make_soft(store)
    key_id = keystore.generate_key(ECDSA_P256, "cloud:bob")
    pkcs8 = keystore._unwrapped(key_id).to_pkcs8()
    blob = store.blobs[key_id]
    assert pkcs8 not in blob and pkcs8[-32:] not in blob
    with pytest.raises(KeyUnwrapFailed):
        make_soft(store).signer(key_id)  # another KEK cannot open it


def test_keys_survive_a_restart_with_the_same_kek(tmp_path: Path) -> None:
    kek = KeyEncryptionKey.generate()
    store = DirectoryBlobStore(tmp_path / "keys")
    key_id = SoftKeystore(store, kek).generate_key(RSA_2048, "ca:test")
    fresh = SoftKeystore(DirectoryBlobStore(tmp_path / "keys"), kek)
    fresh.public_key(key_id).verify(fresh.signer(key_id).sign(b"m"), b"m")


def test_a_blob_moved_to_another_key_id_does_not_open() -> None:
    store = MemoryBlobStore()
    keystore = make_soft(store, cache_size=0)
    first = keystore.generate_key(ECDSA_P256, "a")
    second = keystore.generate_key(ECDSA_P256, "b")
    store.blobs[second] = store.blobs[first]
    with pytest.raises(KeyUnwrapFailed):
        keystore.signer(second)


@pytest.mark.parametrize("position", [0, 10, -20, -1])
def test_a_tampered_blob_does_not_open(position: int) -> None:
    store = MemoryBlobStore()
    keystore = make_soft(store, cache_size=0)
    key_id = keystore.generate_key(ECDSA_P256, "label")
    blob = bytearray(store.blobs[key_id])
    blob[position] ^= 0x01
    store.blobs[key_id] = bytes(blob)
    with pytest.raises(KeyUnwrapFailed) as caught:
        keystore.signer(key_id)
    assert caught.value.code == "key_unwrap_failed"


@pytest.mark.parametrize("blob", [b"", b"ISK1", b"ISK1\x00\x10abc", b"not a blob at all"])
def test_garbage_blobs_are_refused(blob: bytes) -> None:
    store = MemoryBlobStore()
    store.blobs["00" * 16] = blob
    with pytest.raises(KeyUnwrapFailed):
        make_soft(store).signer("00" * 16)


def test_kek_rotation_rewraps_keys() -> None:
    store = MemoryBlobStore()
    old, new = KeyEncryptionKey.generate(), KeyEncryptionKey.generate()
    key_id = SoftKeystore(store, old).generate_key(ECDSA_P256, "k")
    rotated = SoftKeystore(store, new, previous_keks=[old], cache_size=0)
    rotated.rewrap(key_id)
    SoftKeystore(store, new).signer(key_id)  # opens without the old KEK now
    with pytest.raises(KeyUnwrapFailed):
        SoftKeystore(store, old).signer(key_id)


def test_destroyed_keys_are_gone() -> None:
    keystore = make_soft()
    key_id = keystore.generate_key(ECDSA_P256, "k")
    keystore.destroy_key(key_id)
    with pytest.raises(KeyNotFound):
        keystore.signer(key_id)
    with pytest.raises(KeyNotFound):
        keystore.destroy_key(key_id)


def test_unwrapped_keys_are_cached_within_a_bound() -> None:
    keystore = make_soft(cache_size=2)
    ids = [keystore.generate_key(ECDSA_P256, f"k{i}") for i in range(3)]
    assert len(keystore._cache) == 2
    assert keystore.signer(ids[1]) is keystore.signer(ids[1])
    keystore.signer(ids[0])  # unwrapped again from its blob
    assert ids[0] in keystore._cache


def test_directory_store_writes_private_files_and_refuses_odd_ids(tmp_path: Path) -> None:
    store = DirectoryBlobStore(tmp_path / "keys")
    keystore = SoftKeystore(store, KeyEncryptionKey.generate())
    key_id = keystore.generate_key(ECDSA_P256, "k")
    mode = stat.S_IMODE((tmp_path / "keys" / f"{key_id}.key").stat().st_mode)
    assert mode == 0o600
    with pytest.raises(KeyNotFound):
        store.get("../../etc/passwd")


def test_kek_loads_from_base64_hex_and_raw_files(tmp_path: Path) -> None:
    kek = KeyEncryptionKey.generate()
    kek.write(tmp_path / "kek")
    assert stat.S_IMODE((tmp_path / "kek").stat().st_mode) == 0o600
    assert KeyEncryptionKey.from_file(tmp_path / "kek") == kek
    assert KeyEncryptionKey.from_text(kek.secret.hex()) == kek
    (tmp_path / "raw").write_bytes(kek.secret)
    assert KeyEncryptionKey.from_file(tmp_path / "raw").kek_id == kek.kek_id
    assert kek.secret.hex() not in repr(kek)


@pytest.mark.parametrize("text", ["", "short", "!" * 44, "ab" * 20])
def test_bad_keks_are_refused(text: str) -> None:
    with pytest.raises(InvalidKek):
        KeyEncryptionKey.from_text(text)


def test_missing_kek_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidKek):
        KeyEncryptionKey.from_file(tmp_path / "absent")


# --- PKCS#11 keystore on SoftHSM2 ------------------------------------------------------------


@pytest.fixture(scope="module")
def hsm(softhsm_token: str):  # type: ignore[no-untyped-def]
    from inkseal.pki.keystores.pkcs11 import Pkcs11Keystore

    keystore = Pkcs11Keystore(softhsm_token, SOFTHSM_LABEL, SOFTHSM_PIN)
    yield keystore
    keystore.close()


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=lambda a: a.name)
def test_token_keys_sign_inside_the_token(hsm, algorithm: Algorithm) -> None:  # type: ignore[no-untyped-def]
    key_id = hsm.generate_key(algorithm, f"cloud:{algorithm.name}")
    signer = hsm.signer(key_id)
    assert signer.algorithm is algorithm
    public = hsm.public_key(key_id)
    public.verify(signer.sign(b"contract"), b"contract")
    with pytest.raises(Exception):
        hsm._session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=bytes.fromhex(key_id))[Attribute.VALUE]
    assert hsm.is_extractable(key_id) is False


def test_token_keys_persist_for_a_new_session(hsm, softhsm_token: str) -> None:  # type: ignore[no-untyped-def]
    from inkseal.pki.keystores.pkcs11 import Pkcs11Keystore

    key_id = hsm.generate_key(ECDSA_P256, "persist")
    other = Pkcs11Keystore(softhsm_token, SOFTHSM_LABEL, SOFTHSM_PIN)
    try:
        hsm.public_key(key_id).verify(other.signer(key_id).sign(b"m"), b"m")
    finally:
        other.close()


def test_token_keys_can_be_destroyed(hsm) -> None:  # type: ignore[no-untyped-def]
    key_id = hsm.generate_key(ECDSA_P256, "temp")
    hsm.destroy_key(key_id)
    with pytest.raises(KeyNotFound):
        hsm.signer(key_id)
    with pytest.raises(KeyNotFound):
        hsm.signer("not hex")


def test_a_ca_in_the_token_issues_certificates_openssl_accepts(hsm, openssl: OpenSSL) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    urls = PublicUrls("https://ca.inkseal.test")
    root = create_root_ca(hsm, ECDSA_P256, ca_id="root-hsm", common_name="HSM Root", organization="T", now=now)
    issuing = create_issuing_ca(
        root, hsm, RSA_2048, ca_id="issuing-hsm", common_name="HSM RSA CA", organization="T", urls=urls, now=now
    )
    leaf_key = hsm.generate_key(ECDSA_P256, "leaf")
    leaf = issue_certificate(
        issuing,
        subject=enterprise_subject("测试科技有限公司", "91350100M000100Y43"),
        public_key=hsm.public_key(leaf_key),
        profile=ENTERPRISE_SIGNING,
        validity=validity_years(1, now),
        urls=urls,
    )
    root_pem = openssl.write_certs("root.pem", root.certificate)
    chain = openssl.write_certs("chain.pem", issuing.certificate)
    leaf_pem = openssl.write_certs("leaf.pem", leaf)
    assert openssl("verify", "-CAfile", root_pem, "-untrusted", chain, leaf_pem).stdout.strip().endswith("OK")

    # CRL and time stamps signed by token keys take the same path as soft keys.
    crl = build_crl(issuing, [RevokedEntry(7, now)], crl_number=1, this_update=now, next_update=now + timedelta(days=1))
    openssl.write("hsm.crl", crl)
    full_chain = openssl.write_certs("full.pem", root.certificate, issuing.certificate)
    result = openssl("crl", "-inform", "DER", "-in", "hsm.crl", "-CAfile", full_chain, "-noout")
    assert "verify OK" in result.stdout + result.stderr
    tsa_cert = create_tsa(issuing, hsm, RSA_2048, common_name="HSM TSA", organization="T", urls=urls, now=now)
    tsa = TimeStampAuthority(tsa_cert.certificate, hsm.signer(tsa_cert.key_id), serials=lambda: 1)
    openssl.write("doc", b"document")
    openssl("ts", "-query", "-data", "doc", "-sha256", "-cert", "-out", "q.tsq")
    openssl.write("r.tsr", tsa.respond((openssl.workdir / "q.tsq").read_bytes()))
    result = openssl("ts", "-verify", "-data", "doc", "-in", "r.tsr", "-CAfile", root_pem, "-untrusted", chain)
    assert "Verification: OK" in result.stdout
