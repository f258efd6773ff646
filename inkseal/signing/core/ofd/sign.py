"""Sealing an OFD package (GB/T 33190-2016 section 18, GB/T 38540-2020). Pure.

One call adds one signature (`Type="Seal"`) to a document of the package:

- `Signatures.xml` extended (or created, and named in OFD.xml's DocBody), with a new ID after
  every ID and MaxSignId there, and MaxSignId set to it;
- `Sign_N/Seal.esl`: the seal (our GB/T 38540 SES_Seal);
- `Sign_N/Signature.xml`: SM3 CheckValues of every file of the package but Signatures.xml (so
  later seals leave this one valid; `protect_all` protects it too, locking the document) and
  this signature's own Signature.xml and SignedValue.dat, and one StampAnnot per placement
  (page ID + Boundary in millimetres, the page's own coordinates: origin top left, y down);
- `Sign_N/SignedValue.dat`: SES_Signature (the seal's version) whose dataHash is SM3 of the exact
  Signature.xml bytes, SM2 with SM3 and the default user ID, time-stamped when a time stamper is
  given; propertyInfo is the Signature.xml location, as other implementations write it.

Every other entry keeps its bytes; the ZIP is written deterministically (`OfdPackage.write`).
Several seals are successive calls. A document whose existing signature protects
Signatures.xml is refused (`OfdLocked`): another seal would break it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from inkseal.pki import gm
from inkseal.seals.ses import VERSION_38540
from inkseal.seals.ses_make import make_signature, timestamp_request
from inkseal.seals.ses_parse import parse_seal, timestamp_token
from inkseal.signing.core.errors import PageOutOfRange, PlacementOffPage, SignerUnsupported
from inkseal.signing.core.ofd.errors import OfdLocked, OfdMalformed, OfdSealNotForSigner, OfdTimestampUnsupported
from inkseal.signing.core.ofd.model import Document, Page, documents
from inkseal.signing.core.ofd.package import DEFAULT_LIMITS, Limits, OfdPackage, local, open_package
from inkseal.signing.core.ofd.signature_xml import read_signature_file
from inkseal.signing.core.signer import SealSigner, SignatureAlgorithm

OFD_NAMESPACE = "http://www.ofdspec.org/2016"
PROVIDER = "Inkseal"
PROVIDER_VERSION = "1.0"
_ID = re.compile(r"(\D*)(\d+)")


@dataclass(frozen=True)
class StampPlacement:
    """Where the seal goes: page (1-based), its top-left corner in millimetres from the page's top
    left; the size defaults to the seal picture's. `clip` (x y w h within the stamp) shows part of
    the picture only (骑缝章)."""

    page: int
    x_mm: float
    y_mm: float
    width_mm: float | None = None
    height_mm: float | None = None
    clip: tuple[float, float, float, float] | None = None


def ses_timestamper(respond: Callable[[bytes], bytes], nonce: Callable[[], int]) -> Callable[[bytes], bytes]:
    """A time stamper for `make_signature`: sends an SM3 TimeStampReq for the signature value to
    `respond` (a TSA: request DER -> response DER) and returns the TimeStampToken."""

    def stamp(signature_value: bytes) -> bytes:
        return timestamp_token(respond(timestamp_request(signature_value, nonce=nonce())))

    return stamp


def seal_ofd(
    data: bytes | OfdPackage,
    *,
    seal_der: bytes,
    signer: SealSigner,
    placements: Sequence[StampPlacement],
    time: datetime | None = None,
    timestamper: Callable[[bytes], bytes] | None = None,
    protect_all: bool = False,
    document_index: int = 0,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """The package with one more seal; OfdError, PlacementError or SignerUnsupported otherwise."""
    if signer.algorithm is not SignatureAlgorithm.SM2_SM3:
        raise SignerUnsupported("OFD seals (GB/T 38540) are signed with SM2 certificates only")
    if not placements:
        raise PageOutOfRange("a seal needs at least one placement")
    package = data if isinstance(data, OfdPackage) else open_package(data, limits)
    every_document = documents(package)
    if not 0 <= document_index < len(every_document):
        raise OfdMalformed(f"the package has no document {document_index + 1}")
    doc = every_document[document_index]
    # no document's Signatures.xml is protected (but this one's with protect_all): seals on any
    # document of the package leave this one valid
    listings = {d.signatures_entry for d in every_document if d.signatures_entry is not None}
    seal = parse_seal(seal_der)
    if timestamper is not None and seal.version < VERSION_38540:
        raise OfdTimestampUnsupported("a GM/T 0031 seal makes signatures without a time stamp field")
    time = (time or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    stamps = [
        _stamp(doc, placement, seal.info.picture.width_mm, seal.info.picture.height_mm) for placement in placements
    ]

    signs_dir = f"{doc.directory}/Signs" if doc.directory else "Signs"
    index = 0
    while any(name.startswith(f"{signs_dir}/Sign_{index}/") for name in package.contents):
        index += 1
    sign_dir = f"{signs_dir}/Sign_{index}"
    seal_entry, signature_entry, value_entry = (
        f"{sign_dir}/{n}" for n in ("Seal.esl", "Signature.xml", "SignedValue.dat")
    )
    sign_id = _next_id(doc)

    replaced: dict[str, bytes] = {}
    added: list[tuple[str, bytes]] = []
    signatures_entry = doc.signatures_entry
    if signatures_entry is None:
        signatures_entry = f"{signs_dir}/Signatures.xml"
        replaced["OFD.xml"] = _name_signatures(package.read("OFD.xml"), document_index, signatures_entry)
    listing = _signatures_xml(
        package.read(signatures_entry) if package.has(signatures_entry) else None, sign_id, signature_entry
    )
    if package.has(signatures_entry):
        replaced[signatures_entry] = listing
    else:
        added.append((signatures_entry, listing))
    added.append((seal_entry, seal.der))
    _check_not_locked(package, every_document, set(replaced))

    current = {name: replaced.get(name, package.contents[name]) for name in package.names}
    current.update(added)
    unprotected = (listings | {signatures_entry}) - ({signatures_entry} if protect_all else set())
    protected = [name for name in current if name not in unprotected]
    signature_xml = _signature_xml(
        time, [(name, gm.sm3(current[name])) for name in protected], stamps, seal_entry, value_entry
    )
    try:
        value = make_signature(
            seal.der,
            data_hash=gm.sm3(signature_xml),
            signer_certificate=signer.certificate.dump(),
            signer_key=signer.key,
            time=time,
            property_info="/" + signature_entry,
            timestamper=timestamper,
        )
    except ValueError as exc:
        raise OfdSealNotForSigner(str(exc))
    added += [(signature_entry, signature_xml), (value_entry, value)]
    return package.write(replaced, added)


def _check_not_locked(package: OfdPackage, every_document: Sequence[Document], changing: set[str]) -> None:
    """OfdLocked when an existing signature of any document protects a file this seal changes
    (its document's Signatures.xml, or OFD.xml when a document gets its first Signatures.xml)."""
    for doc in every_document:
        for entry in doc.signatures:
            if not package.has(entry.location):
                continue
            existing = read_signature_file(package, entry.location)
            hit = sorted(changing & {reference.entry for reference in existing.references})
            if hit:
                raise OfdLocked(
                    f"signature {entry.id} protects {', '.join(hit)}: another seal would invalidate it", files=hit
                )


def _stamp(doc: Document, placement: StampPlacement, width: float, height: float) -> tuple[Page, str, str | None]:
    if not 1 <= placement.page <= len(doc.pages):
        raise PageOutOfRange(f"page {placement.page} of {len(doc.pages)}", page=placement.page)
    page = doc.pages[placement.page - 1]
    w = placement.width_mm or width
    h = placement.height_mm or height
    _, _, page_width, page_height = page.box
    x, y = placement.x_mm, placement.y_mm
    # what shows: the whole stamp, or its clip (a riding seal's slice; the rest may lie off the page)
    vx, vy, vw, vh = (
        (x, y, w, h) if placement.clip is None else (x + placement.clip[0], y + placement.clip[1], *placement.clip[2:])
    )
    if (
        w <= 0
        or h <= 0
        or vw <= 0
        or vh <= 0
        or vx < -1e-6
        or vy < -1e-6
        or vx + vw > page_width + 1e-6
        or vy + vh > page_height + 1e-6
    ):
        raise PlacementOffPage(
            f"the seal ({w:g}x{h:g} mm at {x:g}, {y:g}) leaves page {placement.page} "
            f"({page_width:g}x{page_height:g} mm)"
        )
    clip = _numbers(placement.clip) if placement.clip else None
    return page, _numbers((x, y, w, h)), clip


def _numbers(values: Sequence[float]) -> str:
    return " ".join(f"{round(v, 3):g}" for v in values)


def _next_id(doc: Document) -> str:
    prefix, width, highest = "", 0, 0
    for text in [doc.max_sign_id or "", *(entry.id for entry in doc.signatures)]:
        match = _ID.fullmatch(text.strip())
        if match is None:
            continue
        if int(match[2]) >= highest:
            prefix, width, highest = match[1], len(match[2]) if match[2].startswith("0") else 0, int(match[2])
    return f"{prefix}{highest + 1:0{width}d}"


def _name_signatures(ofd_xml: bytes, document_index: int, signatures_entry: str) -> bytes:
    """OFD.xml with <Signatures> added at the end of the document's DocBody (text edit: every other
    byte stays as it was)."""
    closings = list(re.finditer(rb"</((?:[A-Za-z_][\w.-]*:)?)DocBody\s*>", ofd_xml))
    if len(closings) <= document_index:
        raise OfdMalformed("OFD.xml: cannot find the DocBody to name Signatures.xml in")
    match = closings[document_index]
    prefix = match[1].decode("ascii")
    element = f"<{prefix}Signatures>/{escape(signatures_entry)}</{prefix}Signatures>".encode()
    return ofd_xml[: match.start()] + element + ofd_xml[match.start() :]


def _signatures_xml(existing: bytes | None, sign_id: str, signature_entry: str) -> bytes:
    if existing is None:
        root = etree.Element(etree.QName(OFD_NAMESPACE, "Signatures"), nsmap={"ofd": OFD_NAMESPACE})
    else:
        root = etree.fromstring(existing, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    namespace = etree.QName(root).namespace
    for element in [e for e in root if local(e) == "MaxSignId"]:
        root.remove(element)
    maximum = etree.Element(etree.QName(namespace, "MaxSignId") if namespace else "MaxSignId")
    maximum.text = sign_id
    root.insert(0, maximum)
    signature = etree.SubElement(root, etree.QName(namespace, "Signature") if namespace else "Signature")
    signature.set("ID", sign_id)
    signature.set("Type", "Seal")
    signature.set("BaseLoc", "/" + signature_entry)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _signature_xml(
    time: datetime,
    references: Sequence[tuple[str, bytes]],
    stamps: Sequence[tuple[Page, str, str | None]],
    seal_entry: str,
    value_entry: str,
) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<ofd:Signature xmlns:ofd="{OFD_NAMESPACE}"><ofd:SignedInfo>',
        f'<ofd:Provider ProviderName="{PROVIDER}" Company="{PROVIDER}" Version="{PROVIDER_VERSION}"/>',
        f"<ofd:SignatureMethod>{gm.SM2_WITH_SM3_OID}</ofd:SignatureMethod>",
        f"<ofd:SignatureDateTime>{time:%Y%m%d%H%M%S}Z</ofd:SignatureDateTime>",
        f'<ofd:References CheckMethod="{gm.SM3_OID}">',
    ]
    for name, digest in references:
        parts.append(
            f"<ofd:Reference FileRef={quoteattr('/' + name)}>"
            f"<ofd:CheckValue>{base64.b64encode(digest).decode()}</ofd:CheckValue></ofd:Reference>"
        )
    parts.append("</ofd:References>")
    for number, (page, boundary, clip) in enumerate(stamps, start=1):
        clip_attribute = f' Clip="{clip}"' if clip else ""
        parts.append(
            f'<ofd:StampAnnot ID="{number}" PageRef={quoteattr(page.id)} Boundary="{boundary}"{clip_attribute}/>'
        )
    parts.append(f"<ofd:Seal><ofd:BaseLoc>/{escape(seal_entry)}</ofd:BaseLoc></ofd:Seal>")
    parts.append(f"</ofd:SignedInfo><ofd:SignedValue>/{escape(value_entry)}</ofd:SignedValue></ofd:Signature>")
    return "".join(parts).encode("utf-8")
