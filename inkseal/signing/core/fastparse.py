"""A faster reader for PDF hex strings, installed into pyHanko's object parser.

pyHanko reads a hex string `<...>` one byte at a time through a generator (`read_hex_string_from_
stream`); a signature's /Contents is a hex string of several thousand digits, so reading it was
about a third of verifying a one-page signature (bench/signing_bench.py, profiled). This reader
finds the closing `>` with one `bytes.find` per block, drops PDF white space, checks the digits
and decodes with `binascii`: same result, same errors, same stream position afterwards.

What it does not handle itself it hands to pyHanko's own reader (so behaviour stays pyHanko's):
a `%` before the closing `>` (pyHanko skips it as a comment) and a stream that ends first.
`install()` is idempotent and runs when this module is imported.
"""

from __future__ import annotations

import binascii
import re
from typing import Any, BinaryIO

from pyhanko.pdf_utils import generic

_BLOCK = 16384
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_HEX = re.compile(rb"[0-9A-Fa-f]*")
_original = generic.read_hex_string_from_stream


def read_hex_string(stream: BinaryIO) -> Any:
    """pyHanko's `read_hex_string_from_stream`, a block at a time. `stream` is at the `<`."""
    opening = stream.tell()
    stream.read(1)
    blocks: list[bytes] = []
    while True:
        block = stream.read(_BLOCK)
        end = block.find(b">")
        if not block or b"%" in (block if end < 0 else block[:end]):
            stream.seek(opening)  # end of stream or a comment: pyHanko's reader decides
            return _original(stream)
        if end >= 0:
            blocks.append(block[:end])
            break
        blocks.append(block)
    digits = b"".join(blocks)
    stream.seek(opening + 1 + len(digits) + 1)  # just after the `>`
    digits = digits.translate(None, _PDF_WHITESPACE)
    if not _HEX.fullmatch(digits):
        bad = next(bytes([c]) for c in digits if c not in b"0123456789abcdefABCDEF")
        raise generic.PdfStreamError("Unexpected token in hex string: " + repr(bad))
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def install() -> None:
    if generic.read_hex_string_from_stream is not read_hex_string:
        generic.read_hex_string_from_stream = read_hex_string  # type: ignore[assignment]


install()
