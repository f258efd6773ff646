"""CRLs: OpenSSL reads and verifies them; reasons and numbers as set; 100k entries stay fast."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509 as cx

from inkseal.pki.crl import REASON_LABELS_ZH, SUBSCRIBER_REASONS, RevocationReason, RevokedEntry, build_crl
from inkseal.pki.hierarchy import Hierarchy
from inkseal.pki.x509 import random_serial
from tests.pki.conftest import OpenSSL

NOW = datetime.now(UTC).replace(microsecond=0)


def make_crl(hierarchy: Hierarchy, entries: list[RevokedEntry], family: str = "rsa", number: int = 7) -> bytes:
    return build_crl(
        hierarchy.issuing[family], entries, crl_number=number, this_update=NOW, next_update=NOW + timedelta(days=1)
    )


@pytest.mark.parametrize("family", ["rsa", "ecdsa"])
def test_openssl_verifies_and_reads_the_crl(hierarchy: Hierarchy, openssl: OpenSSL, family: str) -> None:
    entries = [
        RevokedEntry(0x1234, NOW - timedelta(hours=1), RevocationReason.KEY_COMPROMISE),
        RevokedEntry(random_serial(), NOW, RevocationReason.UNSPECIFIED),
    ]
    path = openssl.write("ca.crl", make_crl(hierarchy, entries, family))
    chain = openssl.write_certs("chain.pem", hierarchy.root.certificate, hierarchy.issuing[family].certificate)
    result = openssl("crl", "-inform", "DER", "-in", path, "-CAfile", chain, "-text", "-noout")
    assert "verify OK" in result.stderr + result.stdout
    assert "X509v3 CRL Number: \n                7" in result.stdout
    assert "Serial Number: 1234" in result.stdout and "Key Compromise" in result.stdout


def test_entries_carry_time_and_reason(hierarchy: Hierarchy) -> None:
    revoked_at = NOW - timedelta(days=3)
    crl = cx.load_der_x509_crl(make_crl(hierarchy, [RevokedEntry(42, revoked_at, RevocationReason.SUPERSEDED)]))
    ca = hierarchy.issuing["rsa"]
    assert crl.is_signature_valid(cx.load_der_x509_certificate(ca.certificate.der).public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(42)
    assert entry is not None and entry.revocation_date_utc == revoked_at
    assert entry.extensions.get_extension_for_class(cx.CRLReason).value.reason == cx.ReasonFlags.superseded
    assert crl.extensions.get_extension_for_class(cx.CRLNumber).value.crl_number == 7
    assert crl.extensions.get_extension_for_class(cx.AuthorityKeyIdentifier).value.key_identifier == ca.key_identifier
    assert crl.last_update_utc == NOW and crl.next_update_utc == NOW + timedelta(days=1)
    assert crl.issuer == cx.load_der_x509_certificate(ca.certificate.der).subject


def test_unspecified_reason_leaves_the_extension_out(hierarchy: Hierarchy) -> None:
    crl = cx.load_der_x509_crl(make_crl(hierarchy, [RevokedEntry(5, NOW)]))
    entry = crl.get_revoked_certificate_by_serial_number(5)
    assert entry is not None and len(entry.extensions) == 0


def test_an_empty_crl_is_valid(hierarchy: Hierarchy, openssl: OpenSSL) -> None:
    path = openssl.write("empty.crl", make_crl(hierarchy, [], "ecdsa", number=0))
    chain = openssl.write_certs("chain.pem", hierarchy.root.certificate, hierarchy.issuing["ecdsa"].certificate)
    result = openssl("crl", "-inform", "DER", "-in", path, "-CAfile", chain, "-noout")
    assert "verify OK" in result.stderr + result.stdout
    assert len(cx.load_der_x509_crl(path.read_bytes())) == 0


def test_dates_beyond_2049_use_generalized_time(hierarchy: Hierarchy) -> None:
    late = datetime(2051, 1, 1, tzinfo=UTC)
    crl = build_crl(
        hierarchy.root, [RevokedEntry(1, late)], crl_number=1, this_update=late, next_update=late + timedelta(days=1)
    )
    parsed = cx.load_der_x509_crl(crl)
    assert parsed.next_update_utc == late + timedelta(days=1)
    assert b"\x18\x0f20510101000000Z" in crl


@pytest.mark.parametrize(
    ("number", "next_update"), [(-1, timedelta(days=1)), (1 << 160, timedelta(days=1)), (1, timedelta(0))]
)
def test_bad_parameters_are_refused(hierarchy: Hierarchy, number: int, next_update: timedelta) -> None:
    with pytest.raises(ValueError):
        build_crl(hierarchy.root, [], crl_number=number, this_update=NOW, next_update=NOW + next_update)


def test_a_hundred_thousand_entries_in_well_under_a_few_seconds(hierarchy: Hierarchy) -> None:
    entries = [
        RevokedEntry(random_serial(), NOW - timedelta(seconds=i), RevocationReason(i % 6)) for i in range(100_000)
    ]
    started = time.perf_counter()
    crl = make_crl(hierarchy, entries, "ecdsa")
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"{elapsed:.2f}s"
    parsed = cx.load_der_x509_crl(crl)
    assert len(parsed) == 100_000
    assert parsed.get_revoked_certificate_by_serial_number(entries[-1].serial) is not None


def test_every_reason_has_a_label_and_subscriber_reasons_are_real_reasons() -> None:
    assert set(REASON_LABELS_ZH) == set(RevocationReason)
    assert 7 not in {r.value for r in RevocationReason}
    assert set(SUBSCRIBER_REASONS) <= set(RevocationReason)
    assert RevocationReason.CA_COMPROMISE not in SUBSCRIBER_REASONS
