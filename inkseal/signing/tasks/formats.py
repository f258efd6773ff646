"""Which format a task's document is (PDF or OFD), told by its content, never its name, and what
follows from it: the stored file's extension, the download's media type and file name.

An upload whose first bytes are a ZIP local file header is taken as OFD (GB/T 33190 packages are
ZIP files): the OFD reader then decides, so that a truncated, malformed or hostile package gets
its own `ofd_*` refusal rather than "not a PDF". Anything else goes to the PDF reader. A stored
document's format is the extension its original was stored under, chosen from the content when
the task was created.
"""

from __future__ import annotations

from typing import BinaryIO

from django.db.models.fields.files import FieldFile

from inkseal.signing.models import SignDocument

PDF, OFD = "pdf", "ofd"
MEDIA_TYPES = {PDF: "application/pdf", OFD: "application/ofd"}
_ZIP_LOCAL_HEADER = b"PK\x03\x04"


def sniff(stream: BinaryIO) -> str:
    """PDF or OFD from the first bytes of an upload (the stream is rewound)."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    return OFD if head == _ZIP_LOCAL_HEADER else PDF


def format_of(document: SignDocument) -> str:
    return stored_format(document.original)


def stored_format(field: FieldFile) -> str:
    return OFD if (field.name or "").lower().endswith(".ofd") else PDF


def media_type(document: SignDocument) -> str:
    return MEDIA_TYPES[format_of(document)]


def download_name(document: SignDocument) -> str:
    """The name a download is offered under: a PDF's as uploaded; an OFD's with the .ofd extension
    (uploaded as `bid.zip` or `bid`, it downloads as `bid.ofd`)."""
    return named_as(document.name, format_of(document))


def named_as(name: str, kind: str) -> str:
    """`name` for a download of format `kind`: an OFD's ends in .ofd."""
    if kind != OFD or name.lower().endswith(".ofd"):
        return name
    stem, dot, extension = name.rpartition(".")
    return f"{stem if dot and len(extension) <= 4 else name}.ofd"
