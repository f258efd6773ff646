"""The part of the OFD document model (GB/T 33190-2016) that signatures need. Pure.

    OFD.xml            DocBody* { DocInfo, DocRoot (Document.xml), Signatures (Signatures.xml)? }
    Document.xml       CommonData { PageArea { PhysicalBox } }, Pages { Page ID BaseLoc }*
    Page Content.xml   Area { PhysicalBox }? (else the document's), Content { Layer { TextObject ... } }
    Signatures.xml     MaxSignId, Signature { ID, Type (Seal | Sign), BaseLoc }*
    Signature.xml      SignedInfo { Provider, SignatureMethod, SignatureDateTime,
                       References CheckMethod { Reference FileRef { CheckValue } }*, StampAnnot*,
                       Seal { BaseLoc }? }, SignedValue

Elements are matched by local name whatever their namespace (files in the wild use the standard
http://www.ofdspec.org/2016, http://www.ofdspec.org and others), locations are resolved with
`OfdPackage.resolve`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from inkseal.signing.core.ofd.errors import OfdMalformed
from inkseal.signing.core.ofd.package import OfdPackage, child, children, local, text_of

A4 = (0.0, 0.0, 210.0, 297.0)


@dataclass(frozen=True)
class Page:
    id: str
    content: str  # entry name of its Content.xml
    box: tuple[float, float, float, float]  # PhysicalBox in millimetres: x, y, width, height


@dataclass(frozen=True)
class SignatureEntry:
    id: str
    type: str  # "Seal" (electronic seal) or "Sign" (digital signature); Seal when absent
    location: str  # entry name of its Signature.xml


@dataclass(frozen=True)
class Document:
    index: int
    root: str  # entry name of Document.xml
    directory: str
    pages: tuple[Page, ...]
    signatures_entry: str | None  # Signatures.xml, when the DocBody names one
    signatures: tuple[SignatureEntry, ...]
    max_sign_id: str | None


def _box(text: str, where: str) -> tuple[float, float, float, float]:
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        raise OfdMalformed(f"{where}: PhysicalBox {text!r} is not four numbers")
    if len(values) != 4 or values[2] <= 0 or values[3] <= 0:
        raise OfdMalformed(f"{where}: PhysicalBox {text!r} is not x y width height")
    return values[0], values[1], values[2], values[3]


def documents(package: OfdPackage) -> list[Document]:
    """Every document of the package (one per DocBody); OfdMalformed when the structure is broken."""
    ofd = package.xml("OFD.xml")
    if local(ofd) != "OFD":
        raise OfdMalformed("OFD.xml does not hold an OFD element")
    bodies = children(ofd, "DocBody")
    if not bodies:
        raise OfdMalformed("OFD.xml has no DocBody")
    return [_document(package, index, body) for index, body in enumerate(bodies)]


def document(package: OfdPackage, index: int = 0) -> Document:
    found = documents(package)
    if not 0 <= index < len(found):
        raise OfdMalformed(f"the package has no document {index + 1}")
    return found[index]


def _document(package: OfdPackage, index: int, body: object) -> Document:
    root_location = text_of(child(body, "DocRoot"))  # type: ignore[arg-type]
    if not root_location:
        raise OfdMalformed("a DocBody has no DocRoot")
    root = package.resolve(root_location)
    directory = posixpath.dirname(root)
    doc = package.xml(root)
    common = child(doc, "CommonData")
    default_box = A4
    if common is not None:
        area = child(common, "PageArea")
        if area is not None and child(area, "PhysicalBox") is not None:
            default_box = _box(text_of(child(area, "PhysicalBox")), root)
    pages = []
    container = child(doc, "Pages")
    for element in children(container, "Page") if container is not None else []:
        location = element.get("BaseLoc", "")
        if not location:
            raise OfdMalformed(f"{root}: a Page has no BaseLoc")
        content = package.resolve(location, directory)
        pages.append(Page(element.get("ID", ""), content, _page_box(package, content, default_box)))
    signatures_location = text_of(child(body, "Signatures"))  # type: ignore[arg-type]
    signatures_entry = package.resolve(signatures_location) if signatures_location else None
    entries: list[SignatureEntry] = []
    max_sign_id = None
    if signatures_entry is not None and package.has(signatures_entry):
        listing = package.xml(signatures_entry)
        base = posixpath.dirname(signatures_entry)
        for element in listing:
            if local(element) == "MaxSignId":
                max_sign_id = text_of(element)
            elif local(element) == "Signature":
                location = element.get("BaseLoc", "")
                if not location:
                    raise OfdMalformed(f"{signatures_entry}: a Signature has no BaseLoc")
                entries.append(
                    SignatureEntry(element.get("ID", ""), element.get("Type", "Seal"), package.resolve(location, base))
                )
    return Document(index, root, directory, tuple(pages), signatures_entry, tuple(entries), max_sign_id)


def _page_box(
    package: OfdPackage, content: str, default: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    if not package.has(content):
        return default
    page = package.xml(content)
    area = child(page, "Area")
    if area is not None and child(area, "PhysicalBox") is not None:
        return _box(text_of(child(area, "PhysicalBox")), content)
    return default
