"""Reading an OFD package (GB/T 33190: a ZIP of XML and resources) safely, and writing it back
deterministically. Pure.

Every refusal is an `OfdError` with a stable code, never a crash: not a ZIP, truncated, encrypted
entries, unsafe names (`..`, absolute, backslashes, NUL, drive letters), duplicate names, too many
entries, and sizes beyond `Limits` (declared sizes are checked first, then the bytes actually
inflated, since a ZIP may lie about them). XML is parsed without DTDs, entities or network.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from inkseal.signing.core.ofd.errors import (
    OfdDuplicateEntry,
    OfdEncrypted,
    OfdMalformed,
    OfdNotOfd,
    OfdTooLarge,
    OfdTruncated,
    OfdUnsafePath,
    OfdZipBomb,
)

ROOT_ENTRY = "OFD.xml"
_LOCAL_HEADER = b"PK\x03\x04"
_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")
# new entries get a fixed time: the same inputs give the same bytes
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Limits:
    max_package: int = 200 * 1024 * 1024  # the upload itself
    max_entries: int = 20_000
    max_entry: int = 256 * 1024 * 1024  # one inflated entry
    max_total: int = 1024 * 1024 * 1024  # all inflated entries
    max_ratio: int = 200  # inflated / compressed, for entries above ratio_floor
    ratio_floor: int = 1024 * 1024


DEFAULT_LIMITS = Limits()

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False, remove_pis=False
)


def parse_xml(data: bytes, name: str) -> etree._Element:
    """The root element of an XML entry; OfdMalformed for bad XML or a DTD (entities are refused)."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise OfdMalformed(f"{name} is not well-formed XML: {exc}", entry=name)
    if root is None:
        raise OfdMalformed(f"{name} is empty", entry=name)
    if root.getroottree().docinfo.doctype:
        raise OfdMalformed(f"{name} declares a DTD, which OFD documents do not use", entry=name)
    return root


def local(element: etree._Element) -> str:
    """The tag without its namespace: files in the wild use http://www.ofdspec.org/2016, other
    namespaces and none at all."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if local(child) == name]


def child(element: etree._Element, name: str) -> etree._Element | None:
    found = children(element, name)
    return found[0] if found else None


def text_of(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def check_name(name: str) -> str:
    """The entry name, or OfdUnsafePath when it could escape the package."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or _DRIVE.match(name):
        raise OfdUnsafePath(f"unsafe entry name {name!r}", entry=name)
    if any(part == ".." for part in name.split("/")):
        raise OfdUnsafePath(f"entry name {name!r} leaves the package", entry=name)
    return name


class OfdPackage:
    """The entries of an OFD package, in their order, with their ZIP metadata for rewriting."""

    def __init__(self, infos: list[zipfile.ZipInfo], contents: dict[str, bytes]):
        self.infos = infos
        self.contents = contents  # file entries (not directories) by name

    @property
    def names(self) -> list[str]:
        return [info.filename for info in self.infos if not info.is_dir()]

    def has(self, name: str) -> bool:
        return name in self.contents

    def read(self, name: str) -> bytes:
        try:
            return self.contents[name]
        except KeyError:
            raise OfdMalformed(f"the package has no entry {name}", entry=name)

    def xml(self, name: str) -> etree._Element:
        return parse_xml(self.read(name), name)

    def resolve(self, reference: str, base_dir: str = "") -> str:
        """The entry name a location in the document means: absolute locations from the package
        root, relative ones from `base_dir` and, when nothing is there, from the root (both are
        written in the wild). OfdUnsafePath for a location that leaves the package."""
        reference = reference.strip()
        if not reference or "\x00" in reference or "\\" in reference:
            raise OfdUnsafePath(f"unsafe location {reference!r}", entry=reference)
        candidates = (
            [reference.lstrip("/")]
            if reference.startswith("/")
            else [
                posixpath.join(base_dir, reference),
                reference,
            ]
        )
        resolved = []
        for candidate in candidates:
            parts: list[str] = []
            for part in candidate.split("/"):
                if part in ("", "."):
                    continue
                if part == "..":
                    if not parts:
                        raise OfdUnsafePath(f"location {reference!r} leaves the package", entry=reference)
                    parts.pop()
                else:
                    parts.append(part)
            resolved.append("/".join(parts))
        return next((name for name in resolved if name in self.contents), resolved[0])

    def write(self, replaced: dict[str, bytes], added: Iterable[tuple[str, bytes]] = ()) -> bytes:
        """A new package: every entry in its order, `replaced` ones with new bytes, then `added`.
        Untouched entries keep their bytes, names, times and compression; the output depends only
        on the inputs."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for info in self.infos:
                copy = _copy_info(info)
                if info.is_dir():
                    archive.writestr(copy, b"")
                else:
                    archive.writestr(copy, replaced.get(info.filename, self.contents[info.filename]))
            for name, data in added:
                check_name(name)
                new = zipfile.ZipInfo(name, FIXED_DATE_TIME)
                new.compress_type = zipfile.ZIP_DEFLATED
                new.create_system = 0
                new.external_attr = 0
                archive.writestr(new, data)
        return out.getvalue()


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = (
        info.compress_type if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else zipfile.ZIP_DEFLATED
    )
    copy.create_system = info.create_system
    copy.external_attr = info.external_attr
    copy.comment = info.comment
    copy.extra = b""
    return copy


def looks_like_ofd(data: bytes) -> bool:
    """Content detection: a ZIP whose directory lists OFD.xml (the name of an upload says nothing).
    Cheap: the central directory only, nothing inflated; `open_package` still decides."""
    if data[:4] != _LOCAL_HEADER:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(info.filename == ROOT_ENTRY for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False


def open_package(data: bytes, limits: Limits = DEFAULT_LIMITS) -> OfdPackage:
    """The package in `data`; an OfdError (never another exception) when it is not a safe,
    complete OFD package."""
    if len(data) > limits.max_package:
        raise OfdTooLarge(f"the package is larger than {limits.max_package} bytes")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        if data[:4] == _LOCAL_HEADER:
            raise OfdTruncated("the ZIP package is truncated (no central directory)")
        raise OfdNotOfd("not an OFD package (not a ZIP file)")
    except (ValueError, OSError, EOFError) as exc:
        raise OfdTruncated(f"the ZIP package cannot be read: {exc}")
    with archive:
        infos = archive.infolist()
        _check_directory(infos, limits)
        contents = {info.filename: _inflate(archive, info, limits) for info in infos if not info.is_dir()}
    if sum(len(v) for v in contents.values()) > limits.max_total:
        raise OfdZipBomb("the package inflates beyond its limit")
    if ROOT_ENTRY not in contents:
        raise OfdNotOfd("not an OFD package (no OFD.xml)")
    return OfdPackage(infos, contents)


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise OfdZipBomb(f"more than {limits.max_entries} entries")
    seen: set[str] = set()
    total = 0
    for info in infos:
        check_name(info.orig_filename)  # zipfile cuts names at NUL; the name as written counts
        name = check_name(info.filename)
        # case folded too: readers that unpack to a case-insensitive file system would keep one
        key = name.rstrip("/").casefold()
        if key in seen:
            raise OfdDuplicateEntry(f"the entry {name} appears twice", entry=name)
        seen.add(key)
        if info.flag_bits & 0x1:
            raise OfdEncrypted(f"the entry {name} is encrypted", entry=name)
        if info.file_size > limits.max_entry:
            raise OfdZipBomb(f"the entry {name} inflates beyond {limits.max_entry} bytes", entry=name)
        total += info.file_size
        if total > limits.max_total:
            raise OfdZipBomb("the package inflates beyond its limit")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise OfdZipBomb(f"the entry {name} has a compression ratio no document has", entry=name)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """The entry's bytes, reading no more than its declared size (+1 to see a lie)."""
    cap = min(info.file_size, limits.max_entry)
    try:
        with archive.open(info) as stream:
            parts, size = [], 0
            while True:
                chunk = stream.read(min(_CHUNK, cap + 1 - size))
                if not chunk:
                    break
                parts.append(chunk)
                size += len(chunk)
                if size > cap:
                    raise OfdZipBomb(
                        f"the entry {info.filename} inflates beyond its declared size", entry=info.filename
                    )
    except zipfile.BadZipFile as exc:
        raise OfdMalformed(f"the entry {info.filename} is corrupt: {exc}", entry=info.filename)
    except (EOFError, zlib.error, ValueError, OSError) as exc:
        raise OfdTruncated(f"the entry {info.filename} cannot be inflated: {exc}", entry=info.filename)
    except NotImplementedError as exc:
        raise OfdMalformed(f"the entry {info.filename} uses an unsupported compression: {exc}", entry=info.filename)
    return b"".join(parts)
