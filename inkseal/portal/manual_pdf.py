"""The user manual's page: colours and sizes, fonts (Debian's Noto CJK, found like the seal fonts),
inline runs (**bold**, `code`, [links](url)) and the line breaking Chinese needs (between any two
CJK characters and between Latin words, never before closing or after opening punctuation), and
the fpdf2 document class."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.enums import Align

from inkseal.seals.fonts import NOTO_DIR, chinese_face_index, locate_seal_font

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
