"""Declared sizes checked before pyHanko allocates for them, installed into its xref reader.

A cross-reference stream says how many entries it holds (/Index pairs, or /Size) and how wide
each is (/W). pyHanko (0.38) trusts /Index: in non-strict mode the entries the data lacks are
given default values, so 20 bytes declaring `/Index [0 999999999]` make it build a billion
entries (1.7 GB every 20 s). Here the declaration is checked against the decoded data first:
field widths of at most 8 bytes, non-negative increasing subsections, and no more entries than
the data holds (a few rows of slack for sloppy writers). `install()` is idempotent and runs when
this module is imported, like fastparse's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import generic, misc, xref
from pyhanko.pdf_utils.decode_limits import DecodePurpose

MAX_FIELD_BYTES = 8
SLACK_ENTRIES = 16
_original = xref.parse_xref_stream


def check_xref_stream(stream: generic.StreamObject) -> None:
    """Raise PdfReadError when the stream declares more than it can hold."""
    widths = stream.get("/W")
    if not isinstance(widths, generic.ArrayObject) or len(widths) != 3:
        raise misc.PdfReadError("xref stream /W must hold three field widths")
    sizes = [_natural(w, "/W") for w in widths]
    if any(size > MAX_FIELD_BYTES for size in sizes) or not sum(sizes):
        raise misc.PdfReadError(f"xref stream field widths {sizes} are out of range")
    index = stream.get("/Index", generic.ArrayObject([0, stream.get("/Size")]))
    if not isinstance(index, generic.ArrayObject) or len(index) % 2:
        raise misc.PdfReadError("xref stream /Index must hold pairs")
    declared, end = 0, 0
    for start, count in misc.pair_iter([_natural(v, "/Index") for v in index]):
        if start < end:
            raise misc.PdfReadError("xref stream subsections must increase")
        declared, end = declared + count, start + count
    data = stream.read_data(DecodePurpose.XREF_STREAM, expected_size=declared * (sum(sizes) + 1))
    held = len(data) // sum(sizes)
    if declared > held + SLACK_ENTRIES:
        raise misc.PdfReadError(f"xref stream declares {declared} entries but holds {held}")


def _natural(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise misc.PdfReadError(f"xref stream {what} holds {value!r}, not a non-negative integer")
    return int(value)


def parse_xref_stream(xref_stream: generic.StreamObject, strict: bool = True) -> Iterator[xref.XRefEntry]:
    check_xref_stream(xref_stream)
    return _original(xref_stream, strict)  # type: ignore[no-any-return]


def install() -> None:
    if xref.parse_xref_stream is not parse_xref_stream:
        xref.parse_xref_stream = parse_xref_stream


install()
