"""Hostile and broken OFD packages: every one gets a typed OfdError with a stable code from
reading, verifying and sealing, never another exception (small scale; bench/ has none of these)."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from inkseal.core.errors import DomainError
from inkseal.signing.core.ofd.errors import (
    OfdDuplicateEntry,
    OfdEncrypted,
    OfdError,
    OfdMalformed,
    OfdNotOfd,
    OfdTooLarge,
    OfdTruncated,
    OfdUnsafePath,
    OfdZipBomb,
)
from inkseal.signing.core.ofd.model import documents
from inkseal.signing.core.ofd.package import Limits, open_package
from inkseal.signing.core.ofd.verify import verify_ofd

CORPUS = Path("/work/shared/corpus/ofd")
HELLO = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()


def rezip(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            archive.writestr(info, data)
    return out.getvalue()


def hello_entries() -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(HELLO)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_the_corpus_opens() -> None:
    for path in sorted(CORPUS.glob("*/*.ofd")):
        package = open_package(path.read_bytes())
        assert documents(package)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", OfdNotOfd),
        (b"%PDF-1.7\n", OfdNotOfd),
        (HELLO[: len(HELLO) // 2], OfdTruncated),
        (rezip([("Doc_0/Document.xml", b"<Document/>")]), OfdNotOfd),  # no OFD.xml
    ],
    ids=["empty", "pdf", "truncated", "no-ofd-xml"],
)
def test_not_a_package(data: bytes, error: type[OfdError]) -> None:
    with pytest.raises(error) as caught:
        verify_ofd(data)
    assert caught.value.code.startswith("ofd_")


@pytest.mark.parametrize(
    "name", ["../evil.xml", "Doc_0/../../evil.xml", "/etc/passwd", "C:/evil.xml", "Doc_0\\..\\evil.xml", "a\x00b"]
)
def test_unsafe_entry_names(name: str) -> None:
    placeholder = name.replace("\x00", "\x01")  # zipfile itself cuts names at NUL when writing
    data = rezip([*hello_entries(), (placeholder, b"x")]).replace(placeholder.encode(), name.encode())
    with pytest.raises(OfdUnsafePath) as caught:
        open_package(data)
    assert caught.value.code == "ofd_unsafe_path"


def test_a_reference_that_leaves_the_package_is_refused() -> None:
    entries = [
        (n, d.replace(b"Doc_0/Document.xml", b"../../Document.xml")) if n == "OFD.xml" else (n, d)
        for n, d in hello_entries()
    ]
    with pytest.raises(OfdUnsafePath):
        verify_ofd(rezip(entries))


def test_duplicate_entries() -> None:
    entries = hello_entries()
    data = rezip([*entries, ("OFD.xml", b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")])
    with pytest.raises(OfdDuplicateEntry) as caught:
        verify_ofd(data)
    assert caught.value.code == "ofd_duplicate_entry"
    with pytest.raises(OfdDuplicateEntry):  # the same name but for case
        verify_ofd(rezip([*entries, ("doc_0/document.xml", b"<ofd:Document/>")]))


def test_zip_bomb_by_declared_size() -> None:
    data = rezip([*hello_entries(), ("Doc_0/Res/zeros.bin", bytes(4 * 1024 * 1024))])
    with pytest.raises(OfdZipBomb):
        open_package(data, Limits(max_entry=1024 * 1024))
    with pytest.raises(OfdZipBomb):  # the ratio: 4 MiB of zeros deflate to a few KiB
        open_package(data)


def test_zip_bomb_lying_about_its_size() -> None:
    """The central directory says 10 bytes; the stream inflates to 1 MiB."""
    data = bytearray(rezip([*hello_entries(), ("Doc_0/Res/lie.bin", bytes(1024 * 1024))]))
    central = data.rfind(b"PK\x01\x02")  # the last central directory record: the lie
    offset = central + 24  # uncompressed size
    data[offset : offset + 4] = struct.pack("<I", 10)
    local = data.rfind(b"PK\x03\x04", 0, central)
    data[local + 22 : local + 26] = struct.pack("<I", 10)
    with pytest.raises(OfdError) as caught:
        open_package(bytes(data))
    assert caught.value.code in ("ofd_zip_bomb", "ofd_malformed", "ofd_truncated")


def test_too_many_entries_and_too_large() -> None:
    with pytest.raises(OfdZipBomb):
        open_package(rezip([*hello_entries(), *((f"Doc_0/Res/{i}", b"") for i in range(50))]), Limits(max_entries=20))
    with pytest.raises(OfdTooLarge):
        open_package(HELLO, Limits(max_package=100))


def test_encrypted_entry() -> None:
    data = bytearray(HELLO)
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1  # general purpose flag: encrypted
    with pytest.raises((OfdEncrypted, OfdMalformed)):
        open_package(bytes(data))


@pytest.mark.parametrize(
    "ofd_xml",
    [
        b"<ofd:OFD",  # not well-formed
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'>&b;</ofd:OFD>",  # entities
        b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>",  # no DocBody
        b"<Other/>",
    ],
    ids=["not-xml", "entities", "no-docbody", "not-ofd"],
)
def test_malformed_xml(ofd_xml: bytes) -> None:
    entries = [(n, ofd_xml) if n == "OFD.xml" else (n, d) for n, d in hello_entries()]
    with pytest.raises(OfdMalformed):
        verify_ofd(rezip(entries))


def test_damaged_signed_files_never_crash() -> None:
    """Truncations and flipped bytes of every signed corpus file: a report or an OfdError."""
    rng = random.Random(17)
    for path in sorted((CORPUS / "signed").glob("*.ofd")):
        original = path.read_bytes()
        for _ in range(12):
            data = bytearray(original)
            if rng.random() < 0.3:
                data = data[: rng.randrange(len(data))]
            else:
                for _ in range(rng.randrange(1, 8)):
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            try:
                report = verify_ofd(bytes(data))
            except DomainError as exc:
                assert exc.code
                continue
            assert all(s.status for s in report.signatures)


def test_damaged_entries_never_crash() -> None:
    """Signature.xml, SignedValue.dat, Seal.esl and the other XML entries damaged inside a sound
    ZIP (truncated, bytes replaced, bytes inserted): a report or an OfdError, nothing else."""
    rng = random.Random(1717)
    packages = [open_package(p.read_bytes()) for p in sorted((CORPUS / "signed").glob("*.ofd"))]
    for _ in range(150):
        package = rng.choice(packages)
        target = rng.choice([n for n in package.names if n.endswith((".dat", ".xml", ".esl"))])
        data = bytearray(package.read(target))
        mode = rng.random()
        if mode < 0.3:
            data = data[: rng.randrange(len(data) + 1)]
        elif mode < 0.8:
            for _ in range(rng.randrange(1, 5)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            at = rng.randrange(len(data))
            data[at:at] = rng.randbytes(rng.randrange(1, 6))
        try:
            report = verify_ofd(package.write({target: bytes(data)}))
        except DomainError as exc:
            assert exc.code
            continue
        assert all(s.as_dict()["status"] for s in report.signatures)


def test_content_detection() -> None:
    from inkseal.signing.core.ofd.package import looks_like_ofd

    assert all(looks_like_ofd(p.read_bytes()) for p in CORPUS.glob("*/*.ofd"))
    assert not looks_like_ofd(b"%PDF-1.7\n")
    assert not looks_like_ofd(rezip([("word/document.xml", b"<w/>")]))  # a DOCX-like ZIP
    assert not looks_like_ofd(HELLO[:100])


def test_too_many_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    from inkseal.signing.core.ofd import verify as ofd_verify

    monkeypatch.setattr(ofd_verify, "MAX_SIGNATURES", 1)  # converter-h.ofd has two
    with pytest.raises(OfdZipBomb):
        verify_ofd((CORPUS / "signed" / "converter-h.ofd").read_bytes())


def test_the_core_is_pure() -> None:
    """inkseal.signing.core.ofd loads without Django (a fresh interpreter, no settings)."""
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = "import sys, inkseal.signing.core.ofd; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.stdout.strip() == "[]"
