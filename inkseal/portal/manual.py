"""The user manual (用户手册) as a PDF: a small Markdown subset typeset with fpdf2 and a Noto CJK font.

Pure module (no Django): `render_manual(markdown, base_dir=…)` returns the PDF bytes. Supported:
`# title` (cover page), `## chapter` (new page, outline level 0), `### section`, `#### subsection`,
paragraphs, `-`/`1.` lists (nested by two spaces), pipe tables, `> notes`, fenced code blocks and
`![caption](image.png)` on a line of its own; inline `**bold**`, `` `code` `` and `[text](url)`.
A table of contents follows the cover. The font is found the way seal fonts are (Debian's
fonts-noto-cjk, sans faces here); a character the font cannot draw is refused instead of
becoming an empty box.

Chinese has no spaces, so lines are broken here rather than by fpdf2's word wrap: between any two
CJK characters, between Latin words, never before closing or after opening punctuation.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace as TableFontFace
from fpdf.outline import OutlineSection
from PIL import Image as PILImage

from inkseal.seals.fonts import NOTO_DIR, SealFont, chinese_face_index, locate_seal_font

BRAND = (176, 42, 55)  # the portal's red (#b02a37)
GREY = (108, 117, 125)
RULE = (222, 226, 230)
SHADE = (245, 246, 248)

BODY_SIZE = 10.5
LINE_HEIGHT = 6.2  # mm, body text
CODE_SIZE = 8.5
CODE_LINE_HEIGHT = 4.6
MARGIN = 20.0  # mm, left/right/top
BOTTOM_MARGIN = 18.0
LIST_INDENT = 6.0
IMAGE_MAX_HEIGHT = 118.0  # mm
IMAGE_PX_PER_MM = 7.5  # a 1280 px screenshot spans the text width; narrower ones keep that scale
TOC_LINE_HEIGHT = 7.5

CLOSING = set("，。、；：？！）》」』】〉”’%,.;:!?)]}…·")
OPENING = set("（《「『【〈“‘([{")


class ManualSourceError(ValueError):
    """The Markdown cannot be typeset: a missing image or a character the font lacks."""


# --- fonts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Face:
    path: Path
    index: int


@dataclass(frozen=True)
class ManualFonts:
    regular: Face
    bold: Face
    mono: Face  # commands and code


def locate_manual_fonts() -> ManualFonts:
    """Noto Sans CJK SC (regular, bold, mono) from fonts-noto-cjk; else the seal font for all three.

    The fallback is the seal font lookup itself (INKSEAL_SEAL_FONT, Noto Serif CJK, fontconfig), so
    a server that can draw seals can also typeset the manual; SealFontMissing when it cannot.
    """
    regular_path, bold_path = NOTO_DIR / "NotoSansCJK-Regular.ttc", NOTO_DIR / "NotoSansCJK-Bold.ttc"
    if regular_path.is_file():
        regular = Face(regular_path, chinese_face_index(regular_path))
        bold = Face(bold_path, chinese_face_index(bold_path)) if bold_path.is_file() else regular
        mono_index = _face_named(regular_path, "Noto Sans Mono CJK SC")
        mono = Face(regular_path, mono_index) if mono_index is not None else regular
        return ManualFonts(regular=regular, bold=bold, mono=mono)
    path, index = locate_seal_font()
    face = Face(path, index)
    return ManualFonts(regular=face, bold=face, mono=face)


def _face_named(path: Path, family: str) -> int | None:
    for index, font in enumerate(TTCollection(str(path), lazy=True).fonts):
        if str(font["name"].getDebugName(1) or "") == family:
            return index
    return None


# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class ListItem:
    text: str
    depth: int
    marker: str  # "•" or "1." …


@dataclass(frozen=True)
class ListBlock:
    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Image:
    path: str
    caption: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Note:
    text: str


Block = Heading | Paragraph | ListBlock | Table | Image | Code | Note

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*$")
_LIST = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_IMAGE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def parse_markdown(text: str) -> list[Block]:
    """The blocks of the supported Markdown subset, in order."""
    lines = text.replace("\r\n", "\n").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("<!--"):
            i += 1
        elif stripped.startswith("```"):
            end = _find(lines, i + 1, lambda s: s.strip().startswith("```"))
            blocks.append(Code("\n".join(lines[i + 1 : end])))
            i = end + 1
        elif match := _HEADING.match(stripped):
            blocks.append(Heading(len(match.group(1)), match.group(2)))
            i += 1
        elif match := _IMAGE.match(stripped):
            blocks.append(Image(path=match.group(2), caption=match.group(1)))
            i += 1
        elif stripped.startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].strip()):
            end = _find(lines, i + 2, lambda s: not s.strip().startswith("|"))
            blocks.append(Table(_cells(stripped), tuple(_cells(row.strip()) for row in lines[i + 2 : end])))
            i = end
        elif stripped.startswith(">"):
            end = _find(lines, i, lambda s: not s.strip().startswith(">"))
            blocks.append(Note(_join(s.strip()[1:].strip() for s in lines[i:end])))
            i = end
        elif _LIST.match(line):
            i = _parse_list(lines, i, blocks)
        else:
            end = _find(lines, i, lambda s: not s.strip() or _starts_block(s))
            blocks.append(Paragraph(_join(s.strip() for s in lines[i:end])))
            i = max(end, i + 1)
    return blocks


def _parse_list(lines: list[str], start: int, blocks: list[Block]) -> int:
    items: list[ListItem] = []
    i = start
    while i < len(lines):
        match = _LIST.match(lines[i])
        if match is None:
            # A continuation line (indented, not a new block) belongs to the item above.
            if items and lines[i].startswith("  ") and lines[i].strip() and not _starts_block(lines[i]):
                last = items[-1]
                items[-1] = ListItem(_join([last.text, lines[i].strip()]), last.depth, last.marker)
                i += 1
                continue
            break
        indent, marker, body = match.groups()
        depth = min(len(indent.expandtabs(4)) // 2, 2)
        items.append(ListItem(body.strip(), depth, "•" if marker in "-*+" else marker.rstrip(".)") + "."))
        i += 1
    blocks.append(ListBlock(tuple(items)))
    return i


def _starts_block(line: str) -> bool:
    s = line.strip()
    return bool(
        s.startswith(("```", ">", "|")) or _HEADING.match(s) or _IMAGE.match(s) or (_LIST.match(line) is not None)
    )


def _find(lines: list[str], start: int, stop: Callable[[str], bool]) -> int:
    for j in range(start, len(lines)):
        if stop(lines[j]):
            return j
    return len(lines)


def _cells(row: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in row.strip().strip("|").split("|"))


def _join(parts: Iterable[str]) -> str:
    """Join wrapped source lines: no space between two CJK characters, one otherwise."""
    text = ""
    for part in parts:
        if not part:
            continue
        if text and not (_CJK.match(text[-1]) and _CJK.match(part[0])):
            text += " "
        text += part
    return text


# --- inline runs and line breaking -------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    text: str
    style: str = ""  # "", "B" or "code"
    link: str = ""


# Bold text neither starts nor ends with "*" or a space, so masked numbers (186****0996) stay text.
_INLINE = re.compile(r"\*\*([^*\s](?:[^*]*[^*\s])?)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)")
_ATOM = re.compile(r"[A-Za-z0-9_\-./:@#%&=?+~'\"<>\\$*]+ *| +|.", re.S)


def inline_runs(text: str, style: str = "") -> list[Run]:
    """`**bold**`, `` `code` `` and `[text](url)` as styled runs."""
    runs: list[Run] = []
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            runs.append(Run(text[pos : match.start()], style))
        bold, code, label, url = match.groups()
        if bold is not None:
            runs.append(Run(bold, "B"))
        elif code is not None:
            runs.append(Run(code, "code"))
        else:
            runs.append(Run(label, style, url))
        pos = match.end()
    if pos < len(text):
        runs.append(Run(text[pos:], style))
    return runs


def plain_text(text: str) -> str:
    return "".join(run.text for run in inline_runs(text))


@dataclass
class _Line:
    atoms: list[tuple[Run, float]] = field(default_factory=list)
    width: float = 0.0


class ManualPDF(FPDF):
    """fpdf2 with the manual's page furniture and CJK line breaking."""

    def __init__(self, fonts: ManualFonts, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.manual_title = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM_MARGIN)
        self.add_font("cjk", "", str(fonts.regular.path), collection_font_number=fonts.regular.index)
        self.add_font("cjk", "B", str(fonts.bold.path), collection_font_number=fonts.bold.index)
        self.add_font("cjkmono", "", str(fonts.mono.path), collection_font_number=fonts.mono.index)

    # Page furniture -----------------------------------------------------------------------------

    def header(self) -> None:
        if self.page_no() == 1:  # the cover
            return
        self.set_font("cjk", "", 8)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, 9)
        self.cell(0, 5, self.manual_title, align=Align.R)
        self.set_draw_color(*RULE)
        self.line(MARGIN, 14.5, self.w - MARGIN, 14.5)
        self.set_xy(MARGIN, MARGIN)

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-12)
        self.set_font("cjk", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"第 {self.page_no()} 页", align=Align.C)

    # Text -----------------------------------------------------------------------------------------

    @property
    def content_width(self) -> float:
        return float(self.w - self.l_margin - self.r_margin)

    def use(self, style: str, size: float) -> None:
        if style == "code":
            self.set_font("cjkmono", "", size * 0.92)
        else:
            self.set_font("cjk", style, size)

    def flow(
        self,
        runs: list[Run],
        *,
        size: float = BODY_SIZE,
        line_height: float = LINE_HEIGHT,
        indent: float = 0.0,
        color: tuple[int, int, int] = (33, 37, 41),
        align: str = "L",
    ) -> None:
        """Typeset runs as wrapped lines starting at the current y, `indent` mm from the left margin."""
        width = self.content_width - indent
        for line in self._break(runs, size, width):
            if self.will_page_break(line_height):
                self.add_page()
            x = self.l_margin + indent
            if align == "C":
                x += (width - line.width) / 2
            self.set_xy(x, self.get_y())
            for run, atom_width in _merge(line.atoms):
                self.use(run.style, size)
                self.set_text_color(*(BRAND if run.link else (200, 35, 51) if run.style == "code" else color))
                self.cell(atom_width, line_height, run.text, link=run.link or "")
            self.set_xy(self.l_margin, self.get_y() + line_height)
        self.set_text_color(33, 37, 41)

    def _break(self, runs: list[Run], size: float, width: float) -> list[_Line]:
        lines = [_Line()]
        for run in runs:
            self.use(run.style, size)
            for atom in _ATOM.findall(run.text.replace("\n", " ")):
                atom_width = self.get_string_width(atom)
                line = lines[-1]
                fits = line.width + atom_width <= width + 0.01
                if fits or not line.atoms or atom[0] in CLOSING:
                    if not line.atoms and atom.isspace():
                        continue
                    line.atoms.append((Run(atom, run.style, run.link), atom_width))
                    line.width += atom_width
                    continue
                carried: list[tuple[Run, float]] = []
                while line.atoms and line.atoms[-1][0].text[-1] in OPENING:
                    carried.insert(0, line.atoms.pop())
                    line.width -= carried[0][1]
                _trim(line)
                lines.append(_Line(carried, sum(w for _, w in carried)))
                if not atom.isspace():
                    lines[-1].atoms.append((Run(atom, run.style, run.link), atom_width))
                    lines[-1].width += atom_width
                if atom_width > width:  # a single unbreakable word wider than the line: split it
                    lines[-1:] = self._split_long(lines[-1], size, width)
        for line in lines:
            _trim(line)
        return [line for line in lines if line.atoms]

    def _split_long(self, line: _Line, size: float, width: float) -> list[_Line]:
        out = [_Line()]
        for run, _w in line.atoms:
            self.use(run.style, size)
            for char in run.text:
                char_width = self.get_string_width(char)
                if out[-1].width + char_width > width and out[-1].atoms:
                    out.append(_Line())
                out[-1].atoms.append((Run(char, run.style, run.link), char_width))
                out[-1].width += char_width
        return out


def _trim(line: _Line) -> None:
    while line.atoms and line.atoms[-1][0].text.isspace():
        line.width -= line.atoms.pop()[1]
    if line.atoms and line.atoms[-1][0].text.endswith(" "):
        run, width = line.atoms[-1]
        line.atoms[-1] = (Run(run.text.rstrip(" "), run.style, run.link), width)


def _merge(atoms: list[tuple[Run, float]]) -> list[tuple[Run, float]]:
    """Adjacent atoms of one style become one cell (fewer text operators, clean extraction)."""
    merged: list[tuple[Run, float]] = []
    for run, width in atoms:
        if merged and merged[-1][0].style == run.style and merged[-1][0].link == run.link:
            last, last_width = merged[-1]
            merged[-1] = (Run(last.text + run.text, run.style, run.link), last_width + width)
        else:
            merged.append((run, width))
    return merged


# --- rendering ---------------------------------------------------------------------------------


def render_manual(
    markdown: str,
    *,
    base_dir: Path,
    fonts: ManualFonts | None = None,
    created: datetime | None = None,
) -> bytes:
    """The manual as PDF bytes. Images are read relative to `base_dir`."""
    fonts = fonts or locate_manual_fonts()
    blocks = parse_markdown(markdown)
    check_sources(blocks, fonts=fonts, base_dir=base_dir)
    title = next((plain_text(b.text) for b in blocks if isinstance(b, Heading) and b.level == 1), "用户手册")
    pdf = ManualPDF(fonts, title)
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("Inkseal")
    if created is not None:
        pdf.set_creation_date(created)

    first_chapter = next((i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.level == 2), len(blocks))
    _cover(pdf, blocks[:first_chapter])
    entries = sum(1 for b in blocks if isinstance(b, Heading) and b.level in (2, 3))
    pdf.add_page()
    per_page = int((pdf.h - 2 * MARGIN - BOTTOM_MARGIN - 14) // TOC_LINE_HEIGHT)
    pdf.insert_toc_placeholder(_render_toc, pages=max(1, math.ceil(entries / per_page)), reset_page_indices=False)
    for block in blocks[first_chapter:]:
        _render_block(pdf, block, base_dir)
    with _quiet_font_subsetting():
        return bytes(pdf.output())


@contextmanager
def _quiet_font_subsetting() -> Iterator[None]:
    """fontTools logs every subsetting step at INFO, i.e. thousands of glyph names into the server log."""
    logger = logging.getLogger("fontTools")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_sources(blocks: list[Block], *, fonts: ManualFonts, base_dir: Path) -> None:
    """Refuse, before the slow typesetting, images that are missing and characters the font lacks."""
    for block in blocks:
        if isinstance(block, Image) and not (base_dir / block.path).is_file():
            raise ManualSourceError(f"image not found: {block.path}")
    text = "".join(_block_text(b) for b in blocks) + "第页目录"
    font = SealFont.open(fonts.regular.path, fonts.regular.index)
    missing = sorted({char for char in text if not char.isspace() and not font.covers(char)})
    if missing:
        raise ManualSourceError(f"characters the font {font.family} cannot draw: {''.join(missing)!r}")


def _block_text(block: Block) -> str:
    if isinstance(block, ListBlock):
        return "".join(item.text + item.marker for item in block.items)
    if isinstance(block, Table):
        return "".join(block.header) + "".join("".join(row) for row in block.rows)
    if isinstance(block, Image):
        return block.caption
    return block.text


def _cover(pdf: ManualPDF, blocks: list[Block]) -> None:
    pdf.add_page()
    pdf.set_fill_color(*BRAND)
    pdf.rect(0, 0, pdf.w, 8, style="F")
    pdf.set_y(pdf.h * 0.32)
    for block in blocks:
        if isinstance(block, Heading):
            pdf.flow(inline_runs(block.text, "B"), size=26, line_height=13, align="C")
            pdf.set_draw_color(*BRAND)
            pdf.set_line_width(0.6)
            y = pdf.get_y() + 4
            pdf.line(pdf.w / 2 - 30, y, pdf.w / 2 + 30, y)
            pdf.set_line_width(0.2)
            pdf.set_y(y + 10)
        elif isinstance(block, Paragraph):
            pdf.flow(inline_runs(block.text), size=12, line_height=8, align="C", color=GREY)


def _render_toc(pdf: FPDF, outline: list[OutlineSection]) -> None:
    assert isinstance(pdf, ManualPDF)
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font("cjk", "B", 18)
    pdf.set_text_color(33, 37, 41)
    pdf.cell(0, 12, "目录", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for section in outline:
        if section.level > 1:
            continue
        indent = 0.0 if section.level == 0 else 8.0
        pdf.set_font("cjk", "B" if section.level == 0 else "", 11 if section.level == 0 else 10.5)
        page = str(section.page_number)
        name_width = pdf.get_string_width(section.name)
        page_width = pdf.get_string_width(page)
        link = pdf.add_link(page=section.page_number)
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(name_width + 2, TOC_LINE_HEIGHT, section.name, link=link)
        dots_width = pdf.content_width - indent - name_width - page_width - 4
        dot = pdf.get_string_width(".")
        pdf.set_text_color(*GREY)
        pdf.cell(dots_width, TOC_LINE_HEIGHT, "." * max(int(dots_width / dot), 0), align=Align.R)
        pdf.set_text_color(33, 37, 41)
        pdf.cell(page_width + 2, TOC_LINE_HEIGHT, page, align=Align.R, link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _render_block(pdf: ManualPDF, block: Block, base_dir: Path) -> None:
    if isinstance(block, Heading):
        _heading(pdf, block)
    elif isinstance(block, Paragraph):
        pdf.flow(inline_runs(block.text))
        pdf.ln(2.2)
    elif isinstance(block, ListBlock):
        _list(pdf, block)
    elif isinstance(block, Table):
        _table(pdf, block)
    elif isinstance(block, Image):
        _image(pdf, block, base_dir)
    elif isinstance(block, Code):
        _code(pdf, block)
    else:
        _note(pdf, block)


def _heading(pdf: ManualPDF, block: Heading) -> None:
    text = plain_text(block.text)
    if block.level <= 2:
        if pdf.get_y() > pdf.t_margin + 1:  # a chapter starts a page (the ToC leaves us on a fresh one)
            pdf.add_page()
        pdf.start_section(text, level=0)
        pdf.flow([Run(text, "B")], size=17, line_height=10)
        pdf.set_draw_color(*BRAND)
        pdf.set_line_width(0.5)
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
        pdf.set_line_width(0.2)
        pdf.ln(5)
        return
    size, line_height, keep = (13.5, 8.5, 40.0) if block.level == 3 else (11.5, 7.5, 30.0)
    if pdf.will_page_break(keep):  # keep a heading with the start of its text
        pdf.add_page()
    else:
        pdf.ln(3 if block.level == 3 else 1.5)
    pdf.start_section(text, level=block.level - 2)
    pdf.flow([Run(text, "B")], size=size, line_height=line_height, color=BRAND if block.level == 3 else (33, 37, 41))
    pdf.ln(1)


def _list(pdf: ManualPDF, block: ListBlock) -> None:
    for item in block.items:
        indent = LIST_INDENT * item.depth
        if pdf.will_page_break(LINE_HEIGHT):
            pdf.add_page()
        pdf.use("", BODY_SIZE)
        pdf.set_text_color(*(BRAND if item.marker == "•" else (33, 37, 41)))
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(LIST_INDENT, LINE_HEIGHT, item.marker)
        pdf.set_text_color(33, 37, 41)
        pdf.set_x(pdf.l_margin)
        pdf.flow(inline_runs(item.text), indent=indent + LIST_INDENT)
        pdf.ln(0.8)
    pdf.ln(1.5)


def _table(pdf: ManualPDF, block: Table) -> None:
    columns = len(block.header)
    rows = [block.header, *(tuple(row[:columns]) + ("",) * (columns - len(row)) for row in block.rows)]
    plain = [[plain_text(cell) for cell in row] for row in rows]
    pdf.use("", 9.5)
    weights = [max(8.0, min(60.0, max(pdf.get_string_width(row[c]) for row in plain))) for c in range(columns)]
    heading = TableFontFace(family="cjk", emphasis="BOLD", size_pt=9.5, fill_color=(241, 243, 245))
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(*SHADE)
    pdf.set_text_color(33, 37, 41)
    with pdf.table(
        col_widths=tuple(weights),
        width=pdf.content_width,
        text_align="LEFT",
        line_height=5.4,
        padding=(1.4, 2.0),
        wrapmode=WrapMode.CHAR,
        headings_style=heading,
        cell_fill_color=SHADE,
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
    ) as table:
        for row in plain:
            cells = table.row()
            for cell in row:
                cells.cell(cell)
    pdf.ln(3)


def _image(pdf: ManualPDF, block: Image, base_dir: Path) -> None:
    path = base_dir / block.path
    with PILImage.open(path) as picture:
        pixels_wide, ratio = picture.width, picture.height / picture.width
    width = min(pdf.content_width, pixels_wide / IMAGE_PX_PER_MM)
    height = width * ratio
    if height > IMAGE_MAX_HEIGHT:
        height = IMAGE_MAX_HEIGHT
        width = height / ratio
    if pdf.will_page_break(height + 10):
        pdf.add_page()
    x = pdf.l_margin + (pdf.content_width - width) / 2
    y = pdf.get_y() + 1
    pdf.image(str(path), x=x, y=y, w=width, h=height)
    pdf.set_draw_color(*RULE)
    pdf.rect(x, y, width, height)
    pdf.set_y(y + height + 1.5)
    if block.caption:
        pdf.flow([Run(block.caption)], size=9, line_height=5, align="C", color=GREY)
    pdf.ln(3)


def _code(pdf: ManualPDF, block: Code) -> None:
    lines: list[str] = []
    pdf.use("code", CODE_SIZE / 0.92)
    limit = pdf.content_width - 8
    for source in block.text.split("\n"):
        current = ""
        for char in source:
            if pdf.get_string_width(current + char) > limit:
                lines.append(current)
                current = "  "
            current += char
        lines.append(current)
    pdf.ln(1)
    if pdf.will_page_break(min(len(lines), 3) * CODE_LINE_HEIGHT + 4):
        pdf.add_page()
    for index, line in enumerate(lines):
        if index == 0 or pdf.will_page_break(CODE_LINE_HEIGHT):
            if index:
                pdf.add_page()
            remaining = len(lines) - index
            top = pdf.get_y()
            room = pdf.page_break_trigger - top
            height = min(remaining * CODE_LINE_HEIGHT, room) + 4
            pdf.set_fill_color(*SHADE)
            pdf.rect(pdf.l_margin, top, pdf.content_width, height, style="F")
            pdf.set_y(top + 2)
        pdf.set_x(pdf.l_margin + 4)
        pdf.use("code", CODE_SIZE / 0.92)  # again: a page break's header changed the font
        pdf.set_text_color(33, 37, 41)
        pdf.cell(0, CODE_LINE_HEIGHT, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(5)


def _note(pdf: ManualPDF, block: Note) -> None:
    if pdf.will_page_break(LINE_HEIGHT * 2):
        pdf.add_page()
    top = pdf.get_y()
    page = pdf.page_no()
    pdf.ln(1.5)
    pdf.flow(inline_runs(block.text), indent=6, size=10)
    pdf.ln(1.5)
    if pdf.page_no() == page:
        pdf.set_fill_color(*BRAND)
        pdf.rect(pdf.l_margin + 1, top, 1.2, pdf.get_y() - top, style="F")
    pdf.ln(2.5)
