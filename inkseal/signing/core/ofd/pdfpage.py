"""A minimal PDF writer for one translated OFD page: numbered objects, streams, a cross-reference
table. Pure. Only what `render` emits: the bytes are never stored, they go straight to PDFium."""

from __future__ import annotations

import math
import zlib


def num(value: float) -> str:
    """A PDF real: finite, short, no exponent (PDF has none)."""
    if not math.isfinite(value):
        return "0"
    rounded = round(value, 4)
    if rounded == int(rounded):
        return str(int(rounded))
    text = repr(rounded)
    return text if "e" not in text else f"{rounded:.4f}".rstrip("0").rstrip(".")


def name(text: str) -> str:
    return "/" + "".join(c if c.isalnum() else f"#{ord(c):02X}" for c in text.encode("ascii", "replace").decode())


class PdfWriter:
    def __init__(self) -> None:
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        self.objects.append(None)
        return len(self.objects)

    def set(self, ref: int, body: bytes) -> int:
        self.objects[ref - 1] = body
        return ref

    def add(self, body: bytes | str) -> int:
        return self.set(self.reserve(), body.encode() if isinstance(body, str) else body)

    def stream(self, dictionary: str, data: bytes, *, compress: bool = False) -> int:
        if compress:
            data = zlib.compress(data, 1)
            dictionary += " /Filter /FlateDecode"
        return self.add(f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")

    def finish(self, root: int) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + (body or b"null") + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
        out += f"trailer\n<< /Size {len(self.objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)
