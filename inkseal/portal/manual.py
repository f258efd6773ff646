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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace as TableFontFace
from fpdf.outline import OutlineSection
from PIL import Image as PILImage

from inkseal.portal.manual_markdown import (
    Block,
    Code,
    Heading,
    Image,
    ListBlock,
    ManualSourceError,
    Note,
    Paragraph,
    Table,
    parse_markdown,
)
from inkseal.portal.manual_pdf import (
    BODY_SIZE,
    BOTTOM_MARGIN,
    BRAND,
    CODE_LINE_HEIGHT,
    CODE_SIZE,
    GREY,
    IMAGE_MAX_HEIGHT,
    IMAGE_PX_PER_MM,
    LINE_HEIGHT,
    LIST_INDENT,
    MARGIN,
    RULE,
    SHADE,
    TOC_LINE_HEIGHT,
    ManualFonts,
    ManualPDF,
    Run,
    inline_runs,
    locate_manual_fonts,
    plain_text,
)
from inkseal.seals.fonts import SealFont

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
