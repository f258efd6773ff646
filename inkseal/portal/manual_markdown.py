"""The Markdown subset the user manual is written in, parsed into blocks (pure: no Django, no PDF):
`#`–`####` headings, paragraphs, nested `-`/`1.` lists, pipe tables, `> notes`, fenced code and
`![caption](image.png)` on a line of its own. Wrapped source lines are joined without a space
between two CJK characters."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


class ManualSourceError(ValueError):
    """The Markdown cannot be typeset: a missing image or a character the font lacks."""


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
