"""The block-wise hex-string reader gives pyHanko's own reader's result, error and position."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from inkseal.signing.core import fastparse

_ALPHABET = b"0123456789abcdefABCDEF \n\r\t\x00\x0c%>xZ<"


def _outcome(reader: object, data: bytes) -> tuple[str, object, int]:
    stream = io.BytesIO(data)
    try:
        value = reader(stream)  # type: ignore[operator]
    except Exception as exc:
        return ("error", type(exc).__name__, stream.tell())
    return ("value", bytes(value.original_bytes if hasattr(value, "original_bytes") else value), stream.tell())


@given(st.lists(st.sampled_from(list(_ALPHABET)), max_size=80).map(bytes), st.binary(max_size=8))
def test_same_as_pyhankos_reader(body: bytes, tail: bytes) -> None:
    data = b"<" + body + b">" + tail
    ours, theirs = _outcome(fastparse.read_hex_string, data), _outcome(fastparse._original, data)
    if theirs[0] == "value":
        assert ours == theirs
    else:
        assert ours[0] == "error" and ours[1] == theirs[1]


def test_long_strings_across_blocks() -> None:
    payload = bytes(range(256)) * 100  # 51,200 digits: several blocks
    data = b"<" + payload.hex().encode() + b"\n>/Next"
    stream = io.BytesIO(data)
    assert bytes(fastparse.read_hex_string(stream)) == payload
    assert stream.read() == b"/Next"


def test_installed_into_pyhanko() -> None:
    from pyhanko.pdf_utils import generic

    assert generic.read_hex_string_from_stream is fastparse.read_hex_string
