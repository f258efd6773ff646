"""Taking in a PDF to sign: sniffing, size and page limits, passwords, repair of broken xrefs.

Signatures are appended to one read/write stream (incremental updates), never rewriting what
is there, so existing signatures stay valid. The single exception is a document whose
cross-reference data is broken but which holds no signature: it is rewritten by qpdf (or PDFium
when qpdf is not installed), which rebuild the xref, before signing; `Document.repaired` says so.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pypdfium2 as pdfium
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.crypt.permissions import StandardPermissions
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.sign.fields import MDPPerm, enumerate_sig_fields
from pyhanko.sign.validation import read_certification_data

from inkseal.signing.core import guards  # noqa: F401  (xref streams checked before allocation)
from inkseal.signing.core.errors import (
    PdfEncrypted,
    PdfLocked,
    PdfMalformed,
    PdfNotPdf,
    PdfPasswordWrong,
    PdfSigningNotPermitted,
    PdfTooLarge,
    PdfTruncated,
)
from inkseal.signing.core.geometry import page_count
from inkseal.signing.core.pdfdict import lookup
from inkseal.signing.core.pdfium_lock import serialised

Source = bytes | bytearray | memoryview | BinaryIO | str | os.PathLike[str]

DEFAULT_MAX_PAGES = 5000
_COPY_CHUNK = 1 << 20
XMP_HEAD = 65536  # the PDF/A id is near the top of the XMP packet: never decode more than this
REPAIR_SECONDS = 60
REPAIR_MEMORY_MB = 1024

# What pyHanko raises on damaged or hostile structure besides its own errors: broken invariants
# (AssertionError), zlib, unimplemented filters, huge numbers, deep nesting, objects of the
# wrong type. Each is a bad upload (PdfMalformed, 4xx), never a server error.
UNREADABLE = (
    PyHankoPdfError,
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    AssertionError,
    NotImplementedError,
    ArithmeticError,  # OverflowError, ZeroDivisionError, decimal.InvalidOperation
    RecursionError,
    zlib.error,
    pdfium.PdfiumError,
)


@dataclass(frozen=True)
class Document:
    writer: IncrementalPdfFileWriter  # ready for the first revision
    stream: BinaryIO
    password: str | None  # what unlocked it, to reopen each revision
    pages: int
    pdfa_part: int | None
    certification: MDPPerm | None  # an existing certification signature's permission
    signed: bool
    repaired: bool


def working_copy(source: Source, output: BinaryIO | None, max_bytes: int | None) -> BinaryIO:
    """The read/write stream that receives the incremental updates: `output`, or memory."""
    if output is None and isinstance(source, bytes | bytearray | memoryview):
        _check_size(len(source), max_bytes)
        return io.BytesIO(source)
    target: BinaryIO = output if output is not None else io.BytesIO()
    target.seek(0)
    target.truncate()
    if isinstance(source, bytes | bytearray | memoryview):
        target.write(source)
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            shutil.copyfileobj(handle, target, _COPY_CHUNK)
    else:
        shutil.copyfileobj(source, target, _COPY_CHUNK)
    _check_size(target.tell(), max_bytes)
    target.seek(0)
    return target


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise PdfTooLarge(f"the PDF is {size} bytes, more than {max_bytes}", size=size, limit=max_bytes)


def open_document(
    stream: BinaryIO, *, password: str | None, max_pages: int = DEFAULT_MAX_PAGES, repair: bool = True
) -> Document:
    _sniff(stream)
    repaired = False
    try:
        writer = open_writer(stream, password)
    except PdfMalformed as exc:
        if not repair or isinstance(exc, PdfTruncated | PdfNotPdf):
            raise
        _repair_in_place(stream, password)
        writer = open_writer(stream, password)
        repaired = True
    return _describe(writer, stream, password, max_pages, repaired)


def _describe(
    writer: IncrementalPdfFileWriter, stream: BinaryIO, password: str | None, max_pages: int, repaired: bool
) -> Document:
    try:
        pages = page_count(writer, max_pages)
        certification = read_certification_data(writer.prev)
        signed = any(True for _ in enumerate_sig_fields(writer.prev, filled_status=True))
        pdfa = _pdfa_part(writer)
    except UNREADABLE as exc:
        raise PdfMalformed(f"the PDF structure is damaged: {exc!r}"[:300]) from exc
    if pages < 1:
        raise PdfMalformed("the PDF has no pages")
    permission = certification.permission if certification else None
    if permission is MDPPerm.NO_CHANGES:
        raise PdfLocked("a certification signature forbids any change to this document")
    password_used = (password or "") if writer.security_handler is not None else None
    return Document(writer, stream, password_used, pages, pdfa, permission, signed, repaired)


def open_writer(stream: BinaryIO, password: str | None) -> IncrementalPdfFileWriter:
    """An incremental writer over `stream`, unlocked when encrypted. Raises our errors."""
    stream.seek(0)
    try:
        writer = IncrementalPdfFileWriter(stream, strict=False)
    except UNREADABLE as exc:
        if not _has_eof_marker(stream):
            raise PdfTruncated("the PDF is incomplete (no end-of-file marker)") from exc
        raise PdfMalformed(f"the PDF cannot be read: {exc!r}"[:300]) from exc
    if writer.security_handler is not None:
        try:
            _unlock(writer, password)
        except UNREADABLE as exc:
            raise PdfMalformed(f"the PDF's encryption cannot be read: {exc!r}"[:300]) from exc
    return writer


def _unlock(writer: IncrementalPdfFileWriter, password: str | None) -> None:
    if not isinstance(writer.security_handler, StandardSecurityHandler):
        raise PdfEncrypted("certificate-encrypted PDFs are not supported")
    result = writer.encrypt(password or "")
    if result.status is AuthStatus.FAILED:
        if password is None:
            raise PdfEncrypted("the PDF is encrypted: a password is needed")
        raise PdfPasswordWrong("wrong password for this PDF")
    flags = result.permission_flags
    may_sign = StandardPermissions.ALLOW_FORM_FILLING | StandardPermissions.ALLOW_ANNOTS_FORM_FILLING
    if result.status is AuthStatus.USER and flags is not None and not flags & may_sign:
        raise PdfSigningNotPermitted("the PDF's permissions forbid signing")


def _sniff(stream: BinaryIO) -> None:
    stream.seek(0)
    head = stream.read(1024)
    if b"%PDF-" not in head:
        raise PdfNotPdf("this file is not a PDF")


def _has_eof_marker(stream: BinaryIO) -> bool:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - 2048))
    return b"%%EOF" in stream.read()


def _repair_in_place(stream: BinaryIO, password: str | None) -> None:
    """Rebuild a broken xref (qpdf if installed, else PDFium) by rewriting the whole file."""
    stream.seek(0)
    original = stream.read()
    repaired = _repair_with_qpdf(original, password) or _repair_with_pdfium(original, password)
    if repaired is None:
        raise PdfMalformed("the PDF is damaged beyond repair")
    stream.seek(0)
    stream.truncate()
    stream.write(repaired)
    writer = open_writer(stream, password)
    try:
        signed = any(True for _ in enumerate_sig_fields(writer.prev, filled_status=True))
    except UNREADABLE as exc:
        raise PdfMalformed(f"the repaired PDF cannot be read: {exc!r}"[:300]) from exc
    if signed:
        raise PdfMalformed("the PDF is damaged and already signed: repairing it would break the signatures")


def _repair_with_qpdf(data: bytes, password: str | None) -> bytes | None:
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        return None
    with tempfile.TemporaryDirectory() as directory:
        source, target = Path(directory, "in.pdf"), Path(directory, "out.pdf")
        source.write_bytes(data)
        command = [qpdf, *([f"--password={password}"] if password else []), str(source), str(target)]
        prlimit = shutil.which("prlimit")
        if prlimit:  # qpdf reads the same hostile bytes: the same kind of budget
            command = [prlimit, f"--as={REPAIR_MEMORY_MB << 20}", f"--cpu={REPAIR_SECONDS}", "--", *command]
        try:
            result = subprocess.run(command, capture_output=True, timeout=REPAIR_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            return None
        # 0: fine, 3: repaired with warnings
        return target.read_bytes() if result.returncode in (0, 3) and target.exists() else None


@serialised
def _repair_with_pdfium(data: bytes, password: str | None) -> bytes | None:
    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError:
        return None
    try:
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


_PDFA_PART = re.compile(rb"pdfaid:part\s*(?:=\s*[\"']|>)\s*(\d)")


def _pdfa_part(writer: IncrementalPdfFileWriter) -> int | None:
    metadata = lookup(writer.root, "/Metadata")
    if not isinstance(metadata, generic.StreamObject):
        return None
    match = _PDFA_PART.search(_head(metadata, XMP_HEAD))
    return int(match.group(1)) if match else None


def _head(stream: generic.StreamObject, size: int) -> bytes:
    """The first `size` bytes of a stream, decoding no more than that (unfiltered or one
    FlateDecode filter; anything else reads as empty): a metadata bomb stays a small read."""
    filters = lookup(stream, "/Filter")
    if isinstance(filters, generic.ArrayObject) and len(filters) == 1:
        filters = filters[0]
    if filters is None:
        return stream.encoded_data[:size]
    if filters != "/FlateDecode" or lookup(stream, "/DecodeParms") is not None:
        return b""
    try:
        return zlib.decompressobj().decompress(stream.encoded_data, size)
    except zlib.error:
        return b""
