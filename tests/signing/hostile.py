"""Hostile PDFs, built in the test (small files, as an attacker would send them): loops in the page
tree, memory bombs, lies about the page count, damaged files, and one file per exception class
the parsers used to leak as a server error (issue #20 items 2, 3, 6, 11).

Each builder returns bytes; `HOSTILE` names them for parametrised tests."""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Callable

from tests.signing.conftest import _serialise, build_text_pdf

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_CONTENT = b"BT /F1 12 Tf 72 700 Td (bid) Tj ET"


def _stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(body), extra, body)


def _page(parent: int, extra: bytes = b" /MediaBox [0 0 595 842]") -> bytes:
    return b"<< /Type /Page /Parent %d 0 R%s /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>" % (
        parent,
        extra,
    )


def _one_page(page: bytes, catalog_extra: bytes = b"", more: dict[int, bytes] | None = None) -> bytes:
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R%s >>" % catalog_extra,
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: page,
        4: _stream(_CONTENT),
        5: _FONT,
        **(more or {}),
    }
    return _serialise(objects)


def self_parent() -> bytes:
    """The page's /Parent is the page itself, and no /MediaBox: the inherited-value lookup climbs
    /Parent forever (9+ minutes in production)."""
    return _one_page(_page(3, b""))


def parent_cycle() -> bytes:
    """A /Parent cycle of length 2 (page → node 6 → page), no box anywhere."""
    return _one_page(_page(6, b""), more={6: b"<< /Type /Pages /Parent 3 0 R /Kids [3 0 R] /Count 1 >>"})


def kids_cycle() -> bytes:
    """The page tree's /Kids lead back to the root."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [6 0 R 3 0 R] /Count 2 >>",
        3: _page(2),
        4: _stream(_CONTENT),
        5: _FONT,
        6: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
    }
    return _serialise(objects)


def deep_page_tree(depth: int = 3000) -> bytes:
    """Intermediate /Pages nodes nested `depth` deep above one page."""
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 4: _stream(_CONTENT), 5: _FONT}
    first = 6
    chain = [2, *range(first, first + depth)]
    for position, number in enumerate(chain):
        child = chain[position + 1] if position + 1 < len(chain) else 3
        parent = b"" if number == 2 else b" /Parent %d 0 R" % chain[position - 1]
        objects[number] = b"<< /Type /Pages%s /Kids [%d 0 R] /Count 1 >>" % (parent, child)
    objects[3] = _page(chain[-1])
    return _serialise(objects)


def deep_nesting(depth: int = 5000) -> bytes:
    """An array nested `depth` deep in the page dictionary (parsers recurse on it)."""
    return _one_page(_page(2, b" /MediaBox [0 0 595 842] /Junk " + b"[" * depth + b"]" * depth))


def count_lie(pages: int = 60) -> bytes:
    """/Count 1 over `pages` real pages: a limit on /Count alone lets them all through."""
    pdf = build_text_pdf([(0, [(72, 700, 14, f"第{n}页")]) for n in range(pages)])
    return pdf.replace(b"/Count %d >>" % pages, b"/Count 1 >>" + b" " * (len(str(pages)) - 1))


def _xref_stream_pdf(index: bytes, rows: bytes, *, widths: bytes = b"[1 4 2]", filters: bytes = b"") -> bytes:
    """A file whose only cross-reference data is an xref stream with `index`, `rows` (raw, or
    already encoded for `filters`)."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: _page(2),
        4: _stream(_CONTENT),
        5: _FONT,
    }
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for number in sorted(objects):
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    at = out.tell()
    extra = b"/Type /XRef /Size 7 /Root 1 0 R /W %s /Index %s %s" % (widths, index, filters)
    out.write(b"6 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n" % (_stream(rows, extra), at))
    return out.getvalue()


def xref_index_bomb() -> bytes:
    """20 bytes of xref stream declaring a billion entries (/Index [0 999999999]): readers that
    default the missing rows allocate without end (1.7 GB per 20 s in production)."""
    return _xref_stream_pdf(b"[0 999999999]", b"\x01\x00\x00\x00\x0f\x00\x00" * 3)


def xref_index_decreasing() -> bytes:
    """Subsections out of order (pyHanko asserts on it: AssertionError)."""
    return _xref_stream_pdf(b"[5 2 0 2]", b"\x01\x00\x00\x00\x0f\x00\x00" * 4)


def xref_bad_flate() -> bytes:
    """An xref stream whose FlateDecode data is not zlib (zlib.error)."""
    return _xref_stream_pdf(b"[0 7]", b"this is not deflate data at all", filters=b"/Filter /FlateDecode")


def xref_bad_predictor() -> bytes:
    """A PNG predictor row filter pyHanko does not implement (NotImplementedError)."""
    rows = b"".join(b"\x04" + b"\x00" * 7 for _ in range(7))
    return _xref_stream_pdf(
        b"[0 7]", zlib.compress(rows), filters=b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>"
    )


@functools.cache
def flate_bomb_content(megabytes: int = 64) -> bytes:
    """A content stream of `megabytes` MB of spaces, deflated to a few tens of KB."""
    body = zlib.compress(b" " * (megabytes << 20), 9)
    return _one_page(_page(2), more={4: _stream(body, b"/Filter /FlateDecode ")})


@functools.cache
def flate_bomb_metadata(megabytes: int = 64) -> bytes:
    """An XMP /Metadata stream of `megabytes` MB (whitespace after a PDF/A id), deflated."""
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><pdfaid:part>2</pdfaid:part></x:xmpmeta>'
    body = zlib.compress(xmp + b" " * (megabytes << 20), 9)
    return _one_page(
        _page(2), b" /Metadata 6 0 R", {6: _stream(body, b"/Type /Metadata /Subtype /XML /Filter /FlateDecode ")}
    )


def root_without_pages() -> bytes:
    """A catalog with no /Pages (KeyError)."""
    return _one_page(_page(2)).replace(b"/Pages 2 0 R", b"/Pagez 2 0 R")


def pages_not_a_dictionary() -> bytes:
    """/Pages is a number (AttributeError / TypeError in tree walks)."""
    return _one_page(_page(2)).replace(b"/Pages 2 0 R", b"/Pages 42   ")


def rotate_overflow() -> bytes:
    """/Rotate 1e999-ish (OverflowError converting infinity to an int)."""
    return _one_page(_page(2, b" /MediaBox [0 0 595 842] /Rotate 9" + b"9" * 400 + b".0"))


def mediabox_junk() -> bytes:
    return _one_page(_page(2, b" /MediaBox [0 0 (a) /B]"))


def mediabox_tiny() -> bytes:
    """A page a thousandth of a point wide: scaling it to a preview overflows (OverflowError)."""
    return _one_page(_page(2, b" /MediaBox [0 0 0.001 842]"))


def mediabox_empty() -> bytes:
    return _one_page(_page(2, b" /MediaBox [0 0 0 0]"))


def truncated() -> bytes:
    pdf = build_text_pdf([(0, [(72, 700, 14, "投标文件")])])
    return pdf[: len(pdf) // 2]


def garbage_after_header() -> bytes:
    import random

    noise = random.Random(20).randbytes(4000)
    return b"%PDF-1.7\n" + noise + b"\n%%EOF\n"


def broken_xref() -> bytes:
    """Every xref offset wrong and the objects themselves damaged: nothing to rebuild from."""
    pdf = _one_page(_page(2))
    start = pdf.index(b"xref\n")
    body = pdf[:start].replace(b" obj", b" jbo").replace(b"endobj", b"endjbo")
    return body + pdf[start:].replace(b" 00000 n ", b" 00099 n ")


HOSTILE: dict[str, Callable[[], bytes]] = {
    "self_parent": self_parent,
    "parent_cycle": parent_cycle,
    "kids_cycle": kids_cycle,
    "deep_page_tree": deep_page_tree,
    "deep_nesting": deep_nesting,
    "count_lie": count_lie,
    "xref_index_bomb": xref_index_bomb,
    "xref_index_decreasing": xref_index_decreasing,
    "xref_bad_flate": xref_bad_flate,
    "xref_bad_predictor": xref_bad_predictor,
    "root_without_pages": root_without_pages,
    "pages_not_a_dictionary": pages_not_a_dictionary,
    "rotate_overflow": rotate_overflow,
    "mediabox_junk": mediabox_junk,
    "mediabox_tiny": mediabox_tiny,
    "mediabox_empty": mediabox_empty,
    "truncated": truncated,
    "garbage_after_header": garbage_after_header,
    "broken_xref": broken_xref,
}
