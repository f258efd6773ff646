"""Every OFD signed by other software (corpus/ofd/signed) gets the verdict its README gives, and
our verifier agrees with the independent check written from the standards (independent.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inkseal.seals.ses_chain import ChainValidator
from inkseal.seals.ses_parse import parse_seal, parse_signature
from inkseal.seals.ses_verify import SesTrust, verify_signature
from inkseal.signing.core.ofd.verify import COSIGNED, MALFORMED, MODIFIED, UNSUPPORTED, VALID, verify_ofd
from tests.signing.ofd import independent

CORPUS = Path("/work/shared/corpus/ofd")
SIGNED = CORPUS / "signed"

# file -> [(kind, status, changed files)] per signature, from corpus/ofd/README.md
EXPECTED: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "reader-SESV4SignDoc.ofd": [("ses", VALID, ())],
    "sign-v4signed.ofd": [("ses", VALID, ())],
    "sign-allprotected.ofd": [("ses", VALID, ())],
    "sign-signedFile.ofd": [("ses", VALID, ())],
    "converter-V4RideRight.ofd": [("ses", VALID, ())],
    "converter-999.ofd": [("ses", VALID, ())],
    "converter-testImageNotFound.ofd": [("signed_data", VALID, ()), ("signed_data", VALID, ())],
    "converter-testPathClip.ofd": [("signed_data", VALID, ()), ("signed_data", VALID, ())],
    "converter-h.ofd": [("ses", COSIGNED, ("Doc_0/Signs/Signatures.xml",)), ("ses", VALID, ())],
    "converter-n.ofd": [
        (
            "unknown",
            MALFORMED,
            (
                "Doc_0/Document.xml",
                "Doc_0/Pages/Page_0/Content.xml",
                "Doc_0/Pages/Page_1/Content.xml",
                "Doc_0/PublicRes.xml",
                "OFD.xml",
                "Doc_0/Signs/Sign_0/Seal.esl",
            ),
        )
    ],
    "reader-keyword.ofd": [
        ("ses", MODIFIED, ("OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml")),
        ("signed_data", MODIFIED, ("OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml")),
    ],
    "sign-DigitalSign.ofd": [("raw", UNSUPPORTED, ())],
}


def test_the_table_covers_the_corpus() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in SIGNED.glob("*.ofd"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_verdict(name: str) -> None:
    report = verify_ofd((SIGNED / name).read_bytes())
    got = [(s.kind, s.status, s.changed) for s in report.signatures]
    assert got == EXPECTED[name]
    for signature in report.signatures:
        assert signature.trusted is False  # none of these CAs is ours
        if signature.status != VALID:
            assert signature.code and signature.detail
        assert signature.as_dict()["status"] == signature.status


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_our_verifier_agrees_with_the_independent_check(name: str) -> None:
    data = (SIGNED / name).read_bytes()
    ours = verify_ofd(data).signatures
    theirs = independent.check(data)
    assert [s.entry for s in ours] == [c.base_loc for c in theirs]
    for mine, check in zip(ours, theirs, strict=True):
        assert list(mine.changed) == check.changed
        if check.kind in ("ses", "signed_data"):
            assert mine.kind == check.kind
            step = {s.name: s.status for s in mine.steps}
            assert (step["signature"] == "passed") == check.signature_ok
            assert (step["data_hash"] == "passed") == check.data_hash_ok
            if check.kind == "ses":
                assert (step["seal_signature"] == "passed") == check.maker_ok
        else:
            assert mine.status in (MALFORMED, UNSUPPORTED)


def test_cosigned_seal_is_reported_intact() -> None:
    first, second = verify_ofd((SIGNED / "converter-h.ofd").read_bytes()).signatures
    assert first.intact and second.intact
    assert first.code == "ofd_cosigned" and "co-signed" in first.detail
    assert all(r.status == "intact" for r in first.references if r.entry != "Doc_0/Signs/Signatures.xml")


def test_v1_with_other_check_method_is_explained() -> None:
    (signature,) = verify_ofd((SIGNED / "converter-n.ofd").read_bytes()).signatures
    assert signature.check_method == "1.2.156.10197.1.401.2"
    assert "not SM3" in signature.detail and "6 of 6" in signature.detail


def test_seals_of_every_version_are_read() -> None:
    """v1 (GM/T 0031), v4 (GB/T 38540) and v5 (the v4 layout with version 5, as ofdrw writes it)."""
    versions = [parse_seal((CORPUS / "seals" / f"User{v}.esl").read_bytes()).version for v in ("V1", "V4", "V5")]
    assert versions == [1, 4, 5]
    untrusted = SesTrust(ChainValidator([]), ChainValidator([]))
    for name in ("SignedValueV4.dat", "SignedValueV5.dat"):
        value = (CORPUS / "seals" / name).read_bytes()
        report = verify_signature(
            value, data_hash=parse_signature(value).data_hash, trust=untrusted, at=datetime.now(UTC)
        )
        steps = {s.name: s.status for s in report.steps}
        assert steps["signature"] == steps["seal_signature"] == steps["signer_in_seal"] == "passed"
