"""Sealing OFD packages: every unsigned corpus file sealed, then checked by our verifier and by the
independent check written from the standards (SM3 of each reference with GmSSL, dataHash over the
exact Signature.xml bytes, SM2 with the default ID by snowland-smx, the seal maker's signature);
a second seal leaves the first valid; untouched entries keep their bytes."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from inkseal.signing.core.errors import PageOutOfRange, PlacementOffPage, SignerUnsupported
from inkseal.signing.core.ofd.errors import OfdLocked, OfdSealNotForSigner, OfdTimestampUnsupported
from inkseal.signing.core.ofd.model import document
from inkseal.signing.core.ofd.package import open_package
from inkseal.signing.core.ofd.sign import StampPlacement, seal_ofd
from inkseal.signing.core.ofd.signature_xml import read_signature_file
from inkseal.signing.core.ofd.verify import MODIFIED, VALID, verify_ofd
from inkseal.signing.core.signer import SealSigner
from tests.helpers.sm2_pki import issue_sm2_signer
from tests.signing.ofd import independent
from tests.signing.ofd.conftest import CORPUS, OfdSealing

UNSIGNED = sorted(p.name for p in (CORPUS / "unsigned").glob("*.ofd"))


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}


@pytest.mark.parametrize("name", UNSIGNED)
def test_seal_every_unsigned_file_then_seal_again(name: str, sealing: OfdSealing) -> None:
    original = (CORPUS / "unsigned" / name).read_bytes()
    once = seal_ofd(
        original,
        seal_der=sealing.seal,
        signer=sealing.signer,
        placements=[StampPlacement(1, 10, 20)],
        timestamper=sealing.timestamper,
    )
    (first,) = verify_ofd(once, trust=sealing.trust).signatures
    assert (first.status, first.kind, first.version, first.changed) == (VALID, "ses", 4, ())
    assert first.trusted, [s.as_dict() for s in first.steps if s.status == "failed"]
    assert {s.name: s.status for s in first.steps}["timestamp"] == "passed"
    (check,) = independent.check(once)
    assert check.changed == [] and check.data_hash_ok and check.signature_ok and check.maker_ok

    before, after = entries(original), entries(once)
    for entry, data in before.items():  # every other entry keeps its bytes
        if entry != "OFD.xml":
            assert after[entry] == data, entry
    # OFD.xml gained only the <Signatures> element, when it had none
    added = re.sub(rb"<(\w+:)?Signatures>/[^<]+</(\w+:)?Signatures>", b"", after["OFD.xml"])
    assert added == before["OFD.xml"]
    protected = {r.entry for r in read_signature_file(open_package(once), first.entry).references}
    doc = document(open_package(once))
    assert doc.signatures_entry not in protected
    assert set(after) - {
        doc.signatures_entry,
        first.entry,
        first.entry.replace("Signature.xml", "SignedValue.dat"),
    } == (protected)

    twice = seal_ofd(once, seal_der=sealing.seal, signer=sealing.signer, placements=[StampPlacement(1, 60, 80)])
    reports = verify_ofd(twice, trust=sealing.trust).signatures
    assert [s.status for s in reports] == [VALID, VALID]
    assert all(c.changed == [] and c.signature_intact for c in independent.check(twice))
    doc = document(open_package(twice))
    assert [s.id for s in doc.signatures] == ["1", "2"] and doc.max_sign_id == "2"
    assert all(entries(twice)[k] == v for k, v in after.items() if k != doc.signatures_entry)


def test_stamp_annotation_and_page(sealing: OfdSealing) -> None:
    data = (CORPUS / "unsigned" / "layout-Page5.ofd").read_bytes()
    doc = document(open_package(data))
    sealed = seal_ofd(
        data,
        seal_der=sealing.seal,
        signer=sealing.signer,
        placements=[StampPlacement(3, 12.5, 30, clip=(0, 0, 20, 40))],
    )
    (report,) = verify_ofd(sealed).signatures
    assert report.stamps == (
        {"id": "1", "page_ref": doc.pages[2].id, "boundary": "12.5 30 40 40", "clip": "0 0 20 40"},
    )


def test_placement_errors(sealing: OfdSealing) -> None:
    data = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
    with pytest.raises(PageOutOfRange):
        seal_ofd(data, seal_der=sealing.seal, signer=sealing.signer, placements=[StampPlacement(2, 10, 10)])
    with pytest.raises(PlacementOffPage):
        seal_ofd(data, seal_der=sealing.seal, signer=sealing.signer, placements=[StampPlacement(1, 190, 10)])


def test_the_writer_is_deterministic(sealing: OfdSealing) -> None:
    package = open_package((CORPUS / "unsigned" / "sign-VPage7.ofd").read_bytes())
    assert package.write({}, [("Doc_0/x.bin", b"x")]) == package.write({}, [("Doc_0/x.bin", b"x")])
    moment = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)
    one, two = (
        seal_ofd(
            package, seal_der=sealing.seal, signer=sealing.signer, placements=[StampPlacement(1, 5, 5)], time=moment
        )
        for _ in range(2)
    )
    # SM2 signatures are randomised; everything else is the same bytes
    differing = {k for k, v in entries(one).items() if entries(two)[k] != v}
    assert differing == {"Doc_0/Signs/Sign_0/SignedValue.dat"}
    assert [i.filename for i in zipfile.ZipFile(io.BytesIO(one)).infolist()] == [
        i.filename for i in zipfile.ZipFile(io.BytesIO(two)).infolist()
    ]


def test_a_change_after_sealing_is_named(sealing: OfdSealing) -> None:
    sealed = seal_ofd(
        (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes(),
        seal_der=sealing.seal,
        signer=sealing.signer,
        placements=[StampPlacement(1, 10, 10)],
    )
    package = open_package(sealed)
    page = document(package).pages[0].content
    tampered = package.write({page: package.read(page).replace(b"</", b" </", 1)})
    (report,) = verify_ofd(tampered).signatures
    assert (report.status, report.changed, report.code) == (MODIFIED, (page,), "ofd_modified")


def test_protect_all_locks_the_document(sealing: OfdSealing) -> None:
    data = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
    locked = seal_ofd(
        data, seal_der=sealing.seal, signer=sealing.signer, placements=[StampPlacement(1, 10, 10)], protect_all=True
    )
    assert [s.status for s in verify_ofd(locked).signatures] == [VALID]
    with pytest.raises(OfdLocked) as caught:
        seal_ofd(locked, seal_der=sealing.seal, signer=sealing.signer, placements=[StampPlacement(1, 10, 10)])
    assert caught.value.status == 409


def test_sealing_after_other_software_keeps_its_seal_valid(sealing: OfdSealing) -> None:
    sealed = seal_ofd(
        (CORPUS / "signed" / "sign-v4signed.ofd").read_bytes(),
        seal_der=sealing.seal,
        signer=sealing.signer,
        placements=[StampPlacement(1, 10, 10)],
    )
    assert [s.status for s in verify_ofd(sealed).signatures] == [VALID, VALID]
    assert all(c.signature_intact and not c.changed for c in independent.check(sealed))


def test_refusals(sealing: OfdSealing) -> None:
    data = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
    other_key, other_certificate = issue_sm2_signer(sealing.pki.issuing_ca, "另一家公司")
    with pytest.raises(OfdSealNotForSigner):  # the seal lists another certificate
        seal_ofd(
            data,
            seal_der=sealing.seal,
            signer=SealSigner(other_key, other_certificate.der),
            placements=[StampPlacement(1, 10, 10)],
        )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder(issuer_name=name, subject_name=name, public_key=key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(SignerUnsupported):
        seal_ofd(
            data,
            seal_der=sealing.seal,
            signer=SealSigner.from_private_key(key, certificate),
            placements=[StampPlacement(1, 10, 10)],
        )
    with pytest.raises(OfdLocked):  # converter-h's first seal protects Signatures.xml
        seal_ofd(
            (CORPUS / "signed" / "converter-h.ofd").read_bytes(),
            seal_der=sealing.seal,
            signer=sealing.signer,
            placements=[StampPlacement(1, 10, 10)],
        )


def test_gm_t_0031_seal(sealing: OfdSealing) -> None:
    """A GM/T 0031 seal (header version 2) seals OFD too; it has no field for a time stamp."""
    seal = sealing.make_seal([sealing.pki.signer_cert.der], version=2)
    data = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
    sealed = seal_ofd(data, seal_der=seal, signer=sealing.signer, placements=[StampPlacement(1, 10, 10)])
    (report,) = verify_ofd(sealed, trust=sealing.trust).signatures
    assert (report.status, report.standard, report.version, report.trusted) == (VALID, "GM/T 0031-2014", 2, True)
    with pytest.raises(OfdTimestampUnsupported):
        seal_ofd(
            data,
            seal_der=seal,
            signer=sealing.signer,
            placements=[StampPlacement(1, 10, 10)],
            timestamper=sealing.timestamper,
        )


def two_documents(listed: bool) -> bytes:
    """reader-helloworld.ofd with a second DocBody whose document is a copy of the first; `listed`:
    each DocBody already names an empty Signatures.xml."""
    package = open_package((CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes())
    ofd_xml = package.read("OFD.xml")
    start, end = ofd_xml.index(b"<ofd:DocBody>"), ofd_xml.index(b"</ofd:DocBody>")
    body = ofd_xml[start:end] + (b"<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>" if listed else b"")
    bodies = body + b"</ofd:DocBody>" + body.replace(b"Doc_0/", b"Doc_1/") + b"</ofd:DocBody>"
    added = [
        (name.replace("Doc_0/", "Doc_1/"), package.read(name)) for name in package.names if name.startswith("Doc_0/")
    ]
    if listed:
        empty = (
            b'<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:MaxSignId>0</ofd:MaxSignId></ofd:Signatures>'
        )
        added += [("Doc_0/Signs/Signatures.xml", empty), ("Doc_1/Signs/Signatures.xml", empty)]
    ofd_xml = ofd_xml[:start] + bodies + ofd_xml[end + len(b"</ofd:DocBody>") :]
    return package.write({"OFD.xml": ofd_xml}, added)


def test_two_documents(sealing: OfdSealing) -> None:
    place = [StampPlacement(1, 10, 10)]
    both = seal_ofd(two_documents(True), seal_der=sealing.seal, signer=sealing.signer, placements=place)
    both = seal_ofd(both, seal_der=sealing.seal, signer=sealing.signer, placements=place, document_index=1)
    reports = verify_ofd(both).signatures
    assert [(s.entry, s.status) for s in reports] == [
        ("Doc_0/Signs/Sign_0/Signature.xml", VALID),
        ("Doc_1/Signs/Sign_0/Signature.xml", VALID),
    ]
    assert all(c.signature_intact and not c.changed for c in independent.check(both))
    # without listings, the second document's first seal must name its Signatures.xml in OFD.xml,
    # which the first document's seal protects: refused, not broken
    one = seal_ofd(two_documents(False), seal_der=sealing.seal, signer=sealing.signer, placements=place)
    with pytest.raises(OfdLocked) as caught:
        seal_ofd(one, seal_der=sealing.seal, signer=sealing.signer, placements=place, document_index=1)
    assert caught.value.details["files"] == ["OFD.xml"]


def test_a_seal_file_other_than_the_signed_seal(sealing: OfdSealing) -> None:
    """Seal.esl is what viewers show: one that is not the seal inside the signature makes the
    signature invalid (as ofdrw's validator does), before any reference is looked at."""
    sealed = seal_ofd(
        (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes(),
        seal_der=sealing.seal,
        signer=sealing.signer,
        placements=[StampPlacement(1, 10, 10)],
    )
    package = open_package(sealed)
    other = sealing.make_seal([sealing.pki.signer_cert.der], name="另一枚印章")
    (report,) = verify_ofd(package.write({"Doc_0/Signs/Sign_0/Seal.esl": other})).signatures
    assert (report.status, report.code) == ("invalid", "seal_file_mismatch")
    assert {s.name: s.code for s in report.steps}["seal_file"] == "seal_file_mismatch"
