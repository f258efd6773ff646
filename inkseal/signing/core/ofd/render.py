"""Pictures of OFD pages (GB/T 33190-2016): each page is translated into a one-page PDF and drawn
by PDFium, as the PDF previews are. Pure (no Django); the caller runs it in a parser process under
the parsing budget (inkseal.signing.parsing), like the PDF previews.

Why a translation to PDF and not our own rasteriser: PDFium already gives anti-aliased Bézier
paths, clipping, transforms, JPEG / PNG / JBIG2 images and TrueType glyphs by glyph ID, and finds a
system CJK font (Noto CJK, found by fontconfig's directories) for fonts the package does not carry.
See docs/ofd.md (why not easyofd and the other libraries on PyPI).

What is drawn, in this order: the page's background templates, its layers (Background, Body,
Foreground), its foreground templates, the document's annotations on the page (Annot Appearance),
and, with `stamps=True`, the seals of the document's signatures (StampAnnot: the picture of the seal
inside SignedValue.dat, else Seal.esl; a seal picture that is itself an OFD is drawn by this
translator). Objects: TextObject / TextCode (X, Y, DeltaX, DeltaY with `g`, CGTransform glyph IDs
for embedded fonts, otherwise the characters in a CJK fallback font), PathObject (AbbreviatedData,
stroke and fill, rule, line width, cap, join, dash, colours and alpha, DrawParam inheritance),
ImageObject (MultiMedia: JPEG, PNG, BMP, GIF, TIFF, JBIG2), CompositeObject, PageBlock, Clips,
Boundary and CTM. Coordinates are millimetres, origin top left, y down (the page's PhysicalBox).

Hostile input: the package is read with `open_package` and its `Limits` (so every package-level
refusal is the core's `OfdError`); an object this translator cannot use (bad numbers, a missing
resource, an undecodable image) is left out, as viewers do, never an exception of another kind.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from lxml import etree
from PIL import Image

from inkseal.seals.ses import SesMalformed
from inkseal.seals.ses_parse import parse_seal, parse_signature
from inkseal.signing.core.ofd.abbreviated import parse_abbreviated
from inkseal.signing.core.ofd.errors import OfdError, OfdMalformed
from inkseal.signing.core.ofd.model import Document, Page, document
from inkseal.signing.core.ofd.package import (
    DEFAULT_LIMITS,
    Limits,
    OfdPackage,
    child,
    children,
    local,
    open_package,
    text_of,
)
from inkseal.signing.core.ofd.pdfpage import PdfWriter, num
from inkseal.signing.core.ofd.signature_xml import read_signature_file

MM_TO_PT = 72 / 25.4
MAX_IMAGE_PIXELS = 40_000_000  # a decoded image beyond this is left out
MAX_OBJECTS = 200_000  # graphic objects drawn on one page (with templates and annotations)
MAX_DRAWN = 2_000_000  # glyphs and path segments drawn on one page
MAX_DEPTH = 8  # PageBlock / CompositeObject / template nesting
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
Matrix = tuple[float, float, float, float, float, float]
_LAYER_ORDER = {"Background": 0, "Body": 1, "Foreground": 2}
_SANS = ("黑体", "hei", "雅黑", "yahei", "arial", "helvetica", "sans", "gothic", "等线", "dengxian")


def _floats(text: str | None, count: int) -> list[float] | None:
    try:
        values = [float(v) for v in (text or "").split()]
    except ValueError:
        return None
    if len(values) != count or not all(math.isfinite(v) for v in values):
        return None
    return values


def _float(text: str | None, default: float) -> float:
    try:
        value = float(text) if text is not None else default
    except ValueError:
        return default
    return value if math.isfinite(value) else default


def _expand(text: str | None, limit: int = 100_000) -> list[float]:
    """DeltaX / DeltaY: numbers, with `g count value` repeating a value (at most `limit` in all:
    no more advances than a TextCode has characters are used)."""
    values: list[float] = []
    tokens = (text or "").split()
    index = 0
    while index < len(tokens) and len(values) < limit:
        if tokens[index] == "g" and index + 2 < len(tokens):
            count = min(int(_float(tokens[index + 1], 0)), limit - len(values))
            values += [_float(tokens[index + 2], 0.0)] * max(count, 0)
            index += 3
        else:
            values.append(_float(tokens[index], 0.0))
            index += 1
    return values


@dataclass(frozen=True)
class Style:
    """The inheritable drawing parameters (DrawParam and the object's own attributes)."""

    line_width: float = 0.353
    join: str = "Miter"
    cap: str = "Butt"
    miter: float = 3.528
    dash: tuple[float, ...] = ()
    dash_offset: float = 0.0
    fill: tuple[str, float] | None = None  # PDF colour operands and operator base, alpha 0..1
    stroke: tuple[str, float] | None = None
    alpha: float = 1.0  # the object's own (Alpha), multiplied with its colours'


@dataclass
class Resources:
    """Every resource of a document by ID: fonts, colour spaces, draw parameters, multimedia,
    composite units (PublicRes, DocumentRes and the page's PageRes), each with its directory."""

    elements: dict[str, tuple[etree._Element, str]] = field(default_factory=dict)

    def add_file(self, package: OfdPackage, entry: str) -> None:
        if not package.has(entry):
            return
        root = package.xml(entry)
        base = root.get("BaseLoc", "")
        directory = posixpath.join(posixpath.dirname(entry), base) if base else posixpath.dirname(entry)
        for element in root.iter():
            if isinstance(element.tag, str) and element.get("ID") and element is not root:
                self.elements.setdefault(element.get("ID", ""), (element, directory))

    def get(self, identifier: str | None, kind: str) -> tuple[etree._Element, str] | None:
        found = self.elements.get((identifier or "").strip())
        return found if found is not None and local(found[0]) == kind else None


def _locate(package: OfdPackage, location: str, *bases: str) -> str | None:
    """The entry a resource location means: from each base directory, then the root, then
    ignoring case (`DOC_0/Res/…` for `Doc_0`); None when nothing is there."""
    location = location.strip()
    if not location:
        return None
    for base in (*bases, ""):
        try:
            entry = package.resolve(location, base)
        except OfdError:
            return None
        if package.has(entry):
            return entry
    wanted = {package.resolve(location, base).casefold() for base in (*bases, "")}
    return next((n for n in package.names if n.casefold() in wanted), None)


class _Fonts:
    """PDF fonts: an embedded TrueType of the package by glyph ID (Identity-H), or a non-embedded
    CJK font by Unicode (UniGB-UTF16-H), which PDFium maps to the system's CJK font."""

    def __init__(self, pdf: PdfWriter, package: OfdPackage, resources: Resources):
        self.pdf, self.package, self.resources = pdf, package, resources
        self.refs: dict[str, int] = {}  # PDF resource name -> object
        self._embedded: dict[str, str | None] = {}
        self._fallback: dict[bool, str] = {}
        self._fallback_of: dict[str, str] = {}

    def embedded(self, font_id: str) -> str | None:
        """The resource name of the font's embedded file, or None."""
        if font_id in self._embedded:
            return self._embedded[font_id]
        self._embedded[font_id] = None
        found = self.resources.get(font_id, "Font")
        if found is not None:
            element, directory = found
            entry = _locate(self.package, text_of(child(element, "FontFile")), directory)
            if entry is not None and self.package.read(entry)[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO"):
                data = self.package.read(entry)
                cff = data[:4] == b"OTTO"
                font_name = f"F{len(self.refs)}"
                file_ref = self.pdf.stream("/Subtype /OpenType" if cff else f"/Length1 {len(data)}", data)
                descriptor = self.pdf.add(
                    f"<< /Type /FontDescriptor /FontName /{font_name} /Flags 4 /FontBBox [0 -200 1000 900]"
                    f" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80"
                    f" /{'FontFile3' if cff else 'FontFile2'} {file_ref} 0 R >>"
                )
                cid = self.pdf.add(
                    f"<< /Type /Font /Subtype /{'CIDFontType0' if cff else 'CIDFontType2'} /BaseFont /{font_name}"
                    " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
                    f" /FontDescriptor {descriptor} 0 R /DW 1000" + ("" if cff else " /CIDToGIDMap /Identity") + " >>"
                )
                self.refs[font_name] = self.pdf.add(
                    f"<< /Type /Font /Subtype /Type0 /BaseFont /{font_name} /Encoding /Identity-H"
                    f" /DescendantFonts [{cid} 0 R] >>"
                )
                self._embedded[font_id] = font_name
        return self._embedded[font_id]

    def fallback(self, font_id: str) -> str:
        if font_id in self._fallback_of:
            return self._fallback_of[font_id]
        found = self.resources.get(font_id, "Font")
        family = (found[0].get("FontName", "") + " " + found[0].get("FamilyName", "")).casefold() if found else ""
        sans = any(word in family for word in _SANS)
        if sans not in self._fallback:
            base = "SimHei" if sans else "SimSun"
            font_name = f"F{len(self.refs)}"
            descriptor = self.pdf.add(
                f"<< /Type /FontDescriptor /FontName /{base} /Flags {4 if sans else 6} /FontBBox [0 -200 1000 900]"
                " /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
            )
            cid = self.pdf.add(
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} /CIDSystemInfo << /Registry (Adobe)"
                f" /Ordering (GB1) /Supplement 5 >> /FontDescriptor {descriptor} 0 R /DW 1000 >>"
            )
            self.refs[font_name] = self.pdf.add(
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /UniGB-UTF16-H"
                f" /DescendantFonts [{cid} 0 R] >>"
            )
            self._fallback[sans] = font_name
        self._fallback_of[font_id] = self._fallback[sans]
        return self._fallback[sans]


class Translator:
    """Translates the pages of one document into PDF pages."""

    def __init__(
        self, package: OfdPackage, doc: Document, *, stamps: bool = True, depth: int = 0, pdf: PdfWriter | None = None
    ):
        self.package, self.doc, self.stamps, self.depth = package, doc, stamps, depth
        self.pdf = pdf or PdfWriter()
        self.resources = Resources()
        self.templates: dict[str, str] = {}
        root = package.xml(doc.root)
        common = child(root, "CommonData")
        if common is not None:
            for element in common:
                if local(element) in ("PublicRes", "DocumentRes"):
                    entry = _locate(package, text_of(element), doc.directory)
                    if entry is not None:
                        self.resources.add_file(package, entry)
                elif local(element) == "TemplatePage":
                    entry = _locate(package, element.get("BaseLoc", ""), doc.directory)
                    if entry is not None:
                        self.templates[element.get("ID", "")] = entry
        self.annotations = self._annotations(root)
        self.fonts = _Fonts(self.pdf, package, self.resources)
        self.xobjects: dict[str, int] = {}
        self.states: dict[str, int] = {}
        self.ops: list[str] = []
        self.count = 0
        self.drawn = 0

    # -- the page ---------------------------------------------------------------------------

    def page_pdf(self, index: int) -> bytes:
        """A one-page PDF of page `index` (0-based), its media box the PhysicalBox in points."""
        pages = self.pdf.reserve()
        page_ref = self.page_object(index, pages)
        self.pdf.set(pages, f"<< /Type /Pages /Kids [{page_ref} 0 R] /Count 1 >>".encode())
        return self.pdf.finish(self.pdf.add(f"<< /Type /Catalog /Pages {pages} 0 R >>"))

    def page_object(self, index: int, parent: int) -> int:
        page = self.doc.pages[index]
        x, y, width, height = page.box
        self.ops = [
            f"{num(MM_TO_PT)} 0 0 {num(-MM_TO_PT)} 0 {num(height * MM_TO_PT)} cm",
            f"1 0 0 1 {num(-x)} {num(-y)} cm",
        ]
        self.draw_page_content(page)
        content = self.pdf.stream("", "\n".join(self.ops).encode("latin-1"), compress=True)
        return self.pdf.add(
            f"<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 {num(width * MM_TO_PT)} {num(height * MM_TO_PT)}]"
            f" /Contents {content} 0 R /Resources {self.resource_dict()} >>"
        )

    def resource_dict(self) -> str:
        fonts = " ".join(f"/{n} {r} 0 R" for n, r in self.fonts.refs.items())
        images = " ".join(f"/{n} {r} 0 R" for n, r in self.xobjects.items())
        states = " ".join(f"/{n} {r} 0 R" for n, r in self.states.items())
        return f"<< /Font << {fonts} >> /XObject << {images} >> /ExtGState << {states} >> >>"

    def draw_page_content(self, page: Page) -> None:
        if not self.package.has(page.content):
            return
        root = self.package.xml(page.content)
        for element in children(root, "PageRes"):
            entry = _locate(self.package, text_of(element), posixpath.dirname(page.content))
            if entry is not None:
                self.resources.add_file(self.package, entry)
        templates = children(root, "Template")
        self._templates(templates, "Background")
        self._layers(root)
        self._templates(templates, "Body")
        self._templates(templates, "Foreground")
        for appearance in self.annotations.get(page.id, []):
            self.group(appearance, Style(), self.depth)
        if self.stamps:
            self._stamps(page)

    def _templates(self, templates: list[etree._Element], order: str) -> None:
        for template in templates:
            if (template.get("ZOrder") or "Background") != order:
                continue
            entry = self.templates.get(template.get("TemplateID", ""))
            if entry is not None and self.depth < MAX_DEPTH:
                self._layers(self.package.xml(entry))

    def _layers(self, root: etree._Element) -> None:
        content = child(root, "Content")
        if content is None:
            return
        layers = children(content, "Layer")
        layers.sort(key=lambda layer: _LAYER_ORDER.get(layer.get("Type", "Body"), 1))
        for layer in layers:
            self.group(layer, self.draw_param(layer.get("DrawParam"), Style()), self.depth)

    def _annotations(self, root: etree._Element) -> dict[str, list[etree._Element]]:
        found: dict[str, list[etree._Element]] = {}
        listing = _locate(self.package, text_of(child(root, "Annotations")), self.doc.directory)
        if listing is None:
            return found
        base = posixpath.dirname(listing)
        for page in children(self.package.xml(listing), "Page"):
            entry = _locate(self.package, text_of(child(page, "FileLoc")), base)
            if entry is None:
                continue
            for annot in children(self.package.xml(entry), "Annot"):
                appearance = child(annot, "Appearance")
                if appearance is not None and annot.get("Visible", "true") != "false":
                    found.setdefault(page.get("PageID", ""), []).append(appearance)
        return found

    # -- objects ----------------------------------------------------------------------------

    def group(self, container: etree._Element, style: Style, depth: int) -> None:
        """The graphic objects of a Layer, PageBlock or Appearance, in order."""
        if depth > MAX_DEPTH:
            return
        origin = _floats(container.get("Boundary"), 4) if local(container) == "Appearance" else None
        if origin:
            self.ops.append(f"q 1 0 0 1 {num(origin[0])} {num(origin[1])} cm")
        for element in container:
            kind = local(element)
            if kind in ("TextObject", "PathObject", "ImageObject", "CompositeObject"):
                self.count += 1
                if self.count > MAX_OBJECTS:
                    raise OfdMalformed("the page has more graphic objects than a preview draws")
                if element.get("Visible", "true") != "false":
                    self.graphic(element, kind, style, depth)
            elif kind == "PageBlock":
                self.group(element, style, depth + 1)
        if origin:
            self.ops.append("Q")

    def tally(self, drawn: int) -> None:
        self.drawn += drawn
        if self.drawn > MAX_DRAWN:
            raise OfdMalformed("the page has more glyphs and path segments than a preview draws")

    def draw_param(self, identifier: str | None, style: Style, seen: frozenset[str] = frozenset()) -> Style:
        found = self.resources.get(identifier, "DrawParam")
        if found is None or identifier in seen:
            return style
        element = found[0]
        style = self.draw_param(element.get("Relative"), style, seen | {identifier or ""})
        return self.own_style(element, style)

    def own_style(self, element: etree._Element, style: Style) -> Style:
        changes: dict[str, object] = {}
        if element.get("LineWidth") is not None:
            changes["line_width"] = max(_float(element.get("LineWidth"), style.line_width), 0.0)
        if element.get("Join"):
            changes["join"] = element.get("Join")
        if element.get("Cap"):
            changes["cap"] = element.get("Cap")
        if element.get("MiterLimit"):
            changes["miter"] = max(_float(element.get("MiterLimit"), style.miter), 1.0)
        if element.get("DashPattern"):
            dash = tuple(v for v in _expand(element.get("DashPattern")) if v >= 0)[:16]
            if dash and sum(dash) > 0:
                changes["dash"] = dash
                changes["dash_offset"] = _float(element.get("DashOffset"), 0.0)
        for kind, key in (("FillColor", "fill"), ("StrokeColor", "stroke")):
            colour = child(element, kind)
            if colour is not None:
                changes[key] = self.colour(colour)
        return replace(style, **changes) if changes else style  # type: ignore[arg-type]

    def colour(self, element: etree._Element) -> tuple[str, float] | None:
        alpha = min(max(_float(element.get("Alpha"), 255.0), 0.0), 255.0) / 255
        space_type, bits = "RGB", 8
        space = self.resources.get(element.get("ColorSpace"), "ColorSpace")
        if space is not None:
            space_type = (space[0].get("Type") or "RGB").upper()
            bits = int(_float(space[0].get("BitsPerComponent"), 8)) if space[0].get("BitsPerComponent") else 8
        top = float((1 << max(1, min(bits, 16))) - 1)
        raw = element.get("Value")
        if raw is None:  # a shading: its first segment's colour
            segment = next((e for e in element.iter() if isinstance(e.tag, str) and local(e) == "Color"), None)
            raw = segment.get("Value") if segment is not None else None
        if raw is None:
            return ("0 0 0 rg", alpha)
        values = []
        for token in raw.split():
            try:
                values.append(int(token[1:], 16) if token.startswith("#") else float(token))
            except ValueError:
                return None
        values = [min(max(v / top, 0.0), 1.0) for v in values]
        if space_type == "GRAY" and len(values) == 1:
            return (f"{num(values[0])} g", alpha)
        if space_type == "CMYK" and len(values) == 4:
            return (" ".join(num(v) for v in values) + " k", alpha)
        if len(values) == 3:
            return (" ".join(num(v) for v in values) + " rg", alpha)
        return None

    def alpha_state(self, fill: float, stroke: float) -> str:
        key = f"A{int(fill * 255)}_{int(stroke * 255)}"
        if key not in self.states:
            self.states[key] = self.pdf.add(f"<< /ca {num(fill)} /CA {num(stroke)} >>")
        return f"/{key} gs"

    def graphic(self, element: etree._Element, kind: str, style: Style, depth: int) -> None:
        boundary = _floats(element.get("Boundary"), 4)
        if boundary is None:
            return
        ctm = _floats(element.get("CTM"), 6) or list(_IDENTITY)
        style = self.own_style(element, self.draw_param(element.get("DrawParam"), style))
        alpha = min(max(_float(element.get("Alpha"), 255.0), 0.0), 255.0) / 255
        ops_before = len(self.ops)
        self.ops.append(f"q 1 0 0 1 {num(boundary[0])} {num(boundary[1])} cm")
        clips = child(element, "Clips")
        trans_flag = clips is not None and clips.get("TransFlag", "false") == "true"
        if clips is not None and not trans_flag and not self.clips(clips, style):
            del self.ops[ops_before:]
            return
        self.ops.append(f"{' '.join(num(v) for v in ctm)} cm")
        if clips is not None and trans_flag and not self.clips(clips, style):
            del self.ops[ops_before:]
            return
        if alpha < 1:
            style = replace(style, alpha=style.alpha * alpha)
            if kind in ("ImageObject", "CompositeObject"):
                self.ops.append(self.alpha_state(style.alpha, style.alpha))
        if kind == "PathObject":
            self.path(element, style)
        elif kind == "TextObject":
            self.text(element, style)
        elif kind == "ImageObject":
            self.image(element)
        else:
            self.composite(element, style, depth)
        self.ops.append("Q")

    def clips(self, clips: etree._Element, style: Style) -> bool:
        """Each Clip intersects; the Areas of one Clip unite. False when nothing is visible."""
        for clip in children(clips, "Clip"):
            ops: list[str] = []
            for area in children(clip, "Area"):
                ctm = _floats(area.get("CTM"), 6) or list(_IDENTITY)
                for shape in area:
                    if local(shape) != "Path":
                        continue
                    box = _floats(shape.get("Boundary"), 4) or [0.0, 0.0, 0.0, 0.0]
                    inner = _floats(shape.get("CTM"), 6) or list(_IDENTITY)
                    matrix = _multiply(_multiply(inner, [1, 0, 0, 1, box[0], box[1]]), ctm)
                    ops += _path_ops(_segments(text_of(child(shape, "AbbreviatedData"))), matrix)
            if not ops:
                return False
            self.ops.append(" ".join(ops) + " W n")
        return True

    def path(self, element: etree._Element, style: Style) -> None:
        segments = _segments(text_of(child(element, "AbbreviatedData")))
        if not segments:
            return
        stroke = element.get("Stroke", "true") != "false"
        fill = element.get("Fill", "false") == "true"
        even_odd = element.get("Rule", "NonZero") == "Even-Odd"
        ops = self._paint_state(style, fill, stroke)
        if ops is None:
            return
        fill_colour = style.fill or ("0 0 0 rg", 1.0)
        stroke_colour = style.stroke or ("0 0 0 rg", 1.0)
        fill = fill and fill_colour is not None
        stroke = stroke and stroke_colour is not None
        self.tally(len(segments))
        body = _path_ops(segments, list(_IDENTITY))
        operator = ("B*" if even_odd else "B") if fill and stroke else ("f*" if even_odd else "f") if fill else "S"
        if not (fill or stroke):
            return
        self.ops.append(ops + " " + " ".join(body) + " " + operator)

    def _paint_state(self, style: Style, fill: bool, stroke: bool) -> str | None:
        fill_colour = style.fill or ("0 0 0 rg", 1.0)
        stroke_colour = style.stroke or ("0 0 0 rg", 1.0)
        parts = [
            fill_colour[0],
            _stroking(stroke_colour[0]),
            f"{num(style.line_width)} w",
            f"{ {'Round': 1, 'Square': 2}.get(style.cap, 0) } J",
            f"{ {'Round': 1, 'Bevel': 2}.get(style.join, 0) } j",
            f"{num(style.miter)} M",
            f"[{' '.join(num(v) for v in style.dash)}] {num(style.dash_offset)} d",
        ]
        fill_alpha = (fill_colour[1] if fill else 1.0) * style.alpha
        stroke_alpha = (stroke_colour[1] if stroke else 1.0) * style.alpha
        if fill_alpha < 1 or stroke_alpha < 1:
            parts.append(self.alpha_state(fill_alpha, stroke_alpha))
        return " ".join(parts)

    def text(self, element: etree._Element, style: Style) -> None:
        font_id = element.get("Font", "")
        size = _float(element.get("Size"), 0.0)
        if size <= 0 or size > 10_000:
            return
        fill = element.get("Fill", "true") != "false"
        stroke = element.get("Stroke", "false") == "true"
        if not (fill or stroke):
            return
        mode = 2 if fill and stroke else 1 if stroke else 0
        weight = _float(element.get("Weight"), 400)
        if weight >= 700 and mode == 0:  # bold without a bold font: fill and a thin stroke
            mode, style = 2, replace(style, stroke=style.fill, line_width=size * 0.03)
        head = self._paint_state(style, fill, stroke or mode == 2)
        h_scale = _float(element.get("HScale"), 1.0)
        italic = 0.2 if element.get("Italic") == "true" else 0.0
        direction = int(_float(element.get("CharDirection"), 0)) % 360
        rotate = {90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}.get(direction, (1, 0, 0, 1))
        embedded = self.fonts.embedded(font_id)
        glyph_map = _glyph_map(element)
        a, b, c, d = rotate
        shape = " ".join(
            num(v) for v in (size * h_scale * a, size * h_scale * b, -size * (c + italic * a), -size * (d + italic * b))
        )
        shape += " "
        current_font = ""
        runs: list[str] = []
        x = y = 0.0
        position = 0
        for code in children(element, "TextCode"):
            x = _float(code.get("X"), x)
            y = _float(code.get("Y"), y)
            characters = code.text or ""
            dx, dy = _expand(code.get("DeltaX"), len(characters)), _expand(code.get("DeltaY"), len(characters))
            for index, char in enumerate(characters):
                glyph = glyph_map.get(position)
                position += 1
                if embedded is not None and glyph is not None:
                    font, show = embedded, f"<{glyph:04X}>"
                elif char.isspace():
                    font, show = "", ""
                else:
                    font = self.fonts.fallback(font_id)
                    show = "<" + char.encode("utf-16-be").hex().upper() + ">"
                if show:
                    if font != current_font:
                        runs.append(f"/{font} 1 Tf")
                        current_font = font
                    runs.append(f"{shape}{num(x)} {num(y)} Tm {show} Tj")
                if index < len(dx):
                    x += dx[index]
                elif dx:
                    x += dx[-1]
                if index < len(dy):
                    y += dy[index]
                elif dy:
                    y += dy[-1]
        self.tally(len(runs))
        if runs:
            self.ops.append(f"{head} BT {mode} Tr " + " ".join(runs) + " ET")

    def image(self, element: etree._Element) -> None:
        found = self.resources.get(element.get("ResourceID"), "MultiMedia")
        if found is None:
            return
        multimedia, directory = found
        entry = _locate(self.package, text_of(child(multimedia, "MediaFile")), directory)
        if entry is None:
            return
        name_ = self.image_xobject(entry, self.package.read(entry), (multimedia.get("Format") or "").upper())
        if name_:
            self.ops.append(f"1 0 0 -1 0 1 cm /{name_} Do")

    def image_xobject(self, key: str, data: bytes, format_hint: str = "") -> str | None:
        """The name of an image XObject for `data` (cached by `key`); None when it cannot be used."""
        key = f"I{len(self.xobjects)}_" + "".join(c for c in key if c.isalnum())[-24:]
        try:
            ref = _image(self.pdf, data, format_hint)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, struct.error, EOFError):
            return None
        if ref is None:
            return None
        self.xobjects[key] = ref
        return key

    def composite(self, element: etree._Element, style: Style, depth: int) -> None:
        found = self.resources.get(element.get("ResourceID"), "CompositeGraphicUnit")
        if found is None:
            return
        content = child(found[0], "Content")
        if content is not None:
            self.group(content, style, depth + 1)

    # -- seals ------------------------------------------------------------------------------

    def _stamps(self, page: Page) -> None:
        for entry in self.doc.signatures:
            try:
                signature = read_signature_file(self.package, entry.location)
            except OfdError:
                continue
            stamps = [s for s in signature.stamps if s.page_ref == page.id]
            if not stamps:
                continue
            picture = self._seal_picture(signature.signed_value_entry, signature.seal_entry)
            if picture is None:
                continue
            for stamp in stamps:
                box = _floats(stamp.boundary, 4)
                if box is None or box[2] <= 0 or box[3] <= 0:
                    continue
                clip = _floats(stamp.clip, 4) if stamp.clip else None
                self.ops.append(f"q 1 0 0 1 {num(box[0])} {num(box[1])} cm")
                if clip is not None:
                    self.ops.append(f"{' '.join(num(v) for v in clip)} re W n")
                self.seal_picture(picture, box[2], box[3])
                self.ops.append("Q")

    def _seal_picture(self, signed_value: str, seal_entry: str | None) -> tuple[str, bytes] | None:
        for entry, reader in ((signed_value, "signature"), (seal_entry, "seal")):
            if entry is None or not self.package.has(entry):
                continue
            try:
                data = self.package.read(entry)
                seal = parse_signature(data).seal if reader == "signature" else parse_seal(data)
            except SesMalformed:  # not a conformant seal: the lenient look below
                continue
            picture = seal.info.picture
            return picture.type.upper(), picture.data
        for entry in (seal_entry, signed_value):  # a seal no conformant parser reads (converter-n.ofd)
            if entry is not None and self.package.has(entry):
                found = _lenient_picture(self.package.read(entry))
                if found is not None:
                    return found
        return None

    def seal_picture(self, picture: tuple[str, bytes], width: float, height: float) -> None:
        kind, data = picture
        if kind == "OFD":
            if self.depth >= 1:
                return
            try:
                inner_package = open_package(data, _SEAL_LIMITS)
                inner_doc = document(inner_package)
                if not inner_doc.pages:
                    return
                inner = Translator(inner_package, inner_doc, stamps=False, depth=self.depth + 1, pdf=self.pdf)
                inner.fonts.refs = self.fonts.refs  # one resource dictionary for the page
                inner.xobjects, inner.states = self.xobjects, self.states
                x, y, w, h = inner_doc.pages[0].box
                inner.ops = [f"q {num(width / w)} 0 0 {num(height / h)} 0 0 cm 1 0 0 1 {num(-x)} {num(-y)} cm"]
                inner.draw_page_content(inner_doc.pages[0])
                self.ops += [*inner.ops, "Q"]
            except OfdError:
                return
        elif kind != "SVG":
            key = self.image_xobject("seal", data)
            if key:
                self.ops.append(f"q {num(width)} 0 0 {num(-height)} 0 {num(height)} cm /{key} Do Q")


_PICTURE = re.compile(rb"\x16([\x03-\x04])(png|jpg|jpeg|gif|bmp|ofd)\x04", re.IGNORECASE)


def _lenient_picture(data: bytes) -> tuple[str, bytes] | None:
    """The picture of a seal that is not conformant DER elsewhere: the IA5String type followed by
    the OCTET STRING, as SES_ESPictrueInfo writes them. For the picture on the page only;
    verification reports such a seal as malformed."""
    for match in _PICTURE.finditer(data):
        if int.from_bytes(match.group(1), "big") != len(match.group(2)):
            continue
        position = match.end()
        if position >= len(data):
            continue
        first = data[position]
        if first < 0x80:
            length, position = first, position + 1
        elif 0x81 <= first <= 0x84:
            count = first - 0x80
            length = int.from_bytes(data[position + 1 : position + 1 + count], "big")
            position += 1 + count
        else:
            continue
        if 0 < length <= len(data) - position:
            kind = match.group(2).decode().upper()
            return ("JPG" if kind == "JPEG" else kind), data[position : position + length]
    return None


_SEAL_LIMITS = Limits(
    max_package=4 * 1024 * 1024, max_entries=200, max_entry=16 * 1024 * 1024, max_total=32 * 1024 * 1024
)


def _stroking(fill_operator: str) -> str:
    head, _, operator = fill_operator.rpartition(" ")
    return f"{head} {operator.upper()}"


def _multiply(first: list[float] | Matrix, second: list[float] | Matrix) -> list[float]:
    """first, then second (row vectors, as PDF and OFD write them)."""
    a, b, c, d, e, f = first
    A, B, C, D, E, F = second
    return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]


def _segments(data: str) -> list[tuple[float | str, ...]]:
    try:
        return parse_abbreviated(data)
    except OfdMalformed:
        return []  # one bad path is left out; the page still shows


def _path_ops(segments: list[tuple[float | str, ...]], matrix: list[float]) -> list[str]:
    a, b, c, d, e, f = matrix
    out = []
    for segment in segments:
        operator, values = str(segment[0]), [float(v) for v in segment[1:]]
        points = [
            num(a * values[i] + c * values[i + 1] + e) + " " + num(b * values[i] + d * values[i + 1] + f)
            for i in range(0, len(values), 2)
        ]
        out.append(" ".join([*points, operator]))
    return out


def _glyph_map(element: etree._Element) -> dict[int, int]:
    """CGTransform: the glyph IDs of the text's characters in an embedded font (by character
    position in the TextObject). A transform with as many glyphs as characters maps one to one;
    otherwise the first glyph stands for the first character (ligatures are rare in the corpus)."""
    mapping: dict[int, int] = {}
    for transform in children(element, "CGTransform"):
        try:
            start = int(transform.get("CodePosition", "0"))
            count = int(transform.get("CodeCount", "1"))
            glyphs = [int(v) for v in text_of(child(transform, "Glyphs")).split()]
        except ValueError:
            continue
        if start < 0 or count < 0 or count > 100_000:
            continue
        for offset in range(count):
            if offset < len(glyphs) and 0 <= glyphs[offset] <= 0xFFFF:
                mapping[start + offset] = glyphs[offset]
    return mapping


def _image(pdf: PdfWriter, data: bytes, format_hint: str = "") -> int | None:
    """An image XObject: JPEG kept as DCT, JBIG2 as JBIG2Decode, others decoded by Pillow."""
    if data[:8] == b"\x97JB2\r\n\x1a\n" or format_hint in ("JB2", "JBIG2"):
        return _jbig2(pdf, data)
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
            return None
        if image.format == "JPEG" and image.mode in ("RGB", "L") and not image.info.get("progression"):
            space = "/DeviceRGB" if image.mode == "RGB" else "/DeviceGray"
            return pdf.stream(
                f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space}"
                " /BitsPerComponent 8 /Filter /DCTDecode",
                data,
            )
        image.load()
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        rgb = image.convert("RGBA" if has_alpha else "RGB")
    smask = ""
    if has_alpha:
        alpha = rgb.getchannel("A")
        mask = pdf.stream(
            f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray"
            " /BitsPerComponent 8",
            alpha.tobytes(),
            compress=True,
        )
        smask = f" /SMask {mask} 0 R"
        rgb = rgb.convert("RGB")
    return pdf.stream(
        f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB"
        f" /BitsPerComponent 8{smask}",
        rgb.tobytes(),
        compress=True,
    )


def _jbig2(pdf: PdfWriter, data: bytes) -> int | None:
    """A JBIG2 file as a PDF JBIG2Decode stream: the file header dropped (PDF embeds the segments
    only), the size read from the page information segment. Only the sequential organisation."""
    if data[:8] != b"\x97JB2\r\n\x1a\n":
        return None
    flags = data[8]
    if not flags & 0x01:
        return None  # random-access organisation: not reordered here
    offset = 9 if flags & 0x02 else 13
    body = data[offset:]
    for segment_type, segment_data in _jbig2_segments(body):
        if segment_type == 48 and len(segment_data) >= 8:  # page information
            width, height = struct.unpack(">II", segment_data[:8])
            if height == 0xFFFFFFFF or not 0 < width * height <= MAX_IMAGE_PIXELS * 8:
                return None
            return pdf.stream(
                f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray"
                " /BitsPerComponent 1 /Filter /JBIG2Decode /Decode [1 0]",
                body,
            )
    return None


def _jbig2_segments(data: bytes) -> Iterator[tuple[int, bytes]]:
    position = 0
    while position + 6 <= len(data):
        number = struct.unpack(">I", data[position : position + 4])[0]
        flags = data[position + 4]
        position += 5
        count = data[position] >> 5
        if count == 7:
            count = struct.unpack(">I", data[position : position + 4])[0] & 0x1FFFFFFF
            position += 4 + (count + 8) // 8
        else:
            position += 1
        position += count * (1 if number <= 256 else 2 if number <= 65536 else 4)
        position += 4 if flags & 0x40 else 1
        if position + 4 > len(data):
            return
        length = struct.unpack(">I", data[position : position + 4])[0]
        position += 4
        if length == 0xFFFFFFFF:
            return
        yield flags & 0x3F, data[position : position + length]
        position += length


# -- the entry points -------------------------------------------------------------------------


def page_pdf(data: bytes, page_number: int, *, stamps: bool = True, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Page `page_number` (1-based) of the first document as a one-page PDF."""
    package = open_package(data, limits)
    doc = document(package)
    if not 1 <= page_number <= len(doc.pages):
        raise OfdMalformed(f"the OFD document has no page {page_number}")
    return Translator(package, doc, stamps=stamps).page_pdf(page_number - 1)


def stamped_pages(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[int]:
    """The page numbers (1-based, in order) that a signature of the first document stamps a seal
    on (StampAnnot PageRef); signatures that cannot be read are passed over."""
    package = open_package(data, limits)
    doc = document(package)
    ids: set[str] = set()
    for entry in doc.signatures:
        try:
            ids |= {stamp.page_ref for stamp in read_signature_file(package, entry.location).stamps}
        except OfdError:
            continue
    return [number for number, page in enumerate(doc.pages, start=1) if page.id in ids]


def page_sizes(data: bytes, limit: int, limits: Limits = DEFAULT_LIMITS) -> list[tuple[float, float]]:
    """(width, height) in millimetres of the first `limit` pages (their PhysicalBox)."""
    doc = document(open_package(data, limits))
    return [(page.box[2], page.box[3]) for page in doc.pages[:limit]]


def stamp_fractions(
    page_box: tuple[float, float, float, float], x: float, y: float, width: float, height: float
) -> tuple[float, float, float, float]:
    """A placement on an OFD page (millimetres from the top left of the page) as fractions of the
    page (left, top, width, height), the form the confirm page draws overlays in. The PDF planner
    turns points from the bottom left into the same form (inkseal.signing.parsing.inspection.plan)."""
    _, _, page_width, page_height = page_box
    return x / page_width, y / page_height, width / page_width, height / page_height
