"""Reading ID cards and business licences (OCR), offline with RapidOCR (PP-OCR models in its wheel).

The OCR engine (`inkseal.core.ocr`) is shared with the seal checks, loaded once per process
(at worker start under the server). Readings are hints: the form fields stay editable and
providers verify the values.

A photo is decoded at a reduced scale (at most MAX_SIDE px: a phone's 12 MP is far more than
the print needs), its text lines are detected, and lines are read row by row from the top only
until the fields we look for are found: the name and code of a licence sit in its upper half,
so most of the page is never read. Labels are matched across boxes, since licences space their
labels out (名　　称) and the detector often cuts label and value apart.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PIL import Image

from inkseal.identity.numbers import check_id_number, check_uscc

if TYPE_CHECKING:
    import numpy as np

    from inkseal.core.ocr import TextBox

_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_NAME = re.compile(r"^姓名[:：]?(.{2,20})$")
_ORG_NAME = re.compile(r"^名称[:：]?(.{2,60})$")
MAX_SIDE = 1280


@dataclass(frozen=True)
class IdCardReading:
    name: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class LicenceReading:
    name: str = ""
    uscc: str = ""


class OcrProvider(Protocol):
    name: str
    is_sandbox: bool

    def read_id_card(self, image: bytes) -> IdCardReading: ...

    def read_licence(self, image: bytes) -> LicenceReading: ...


def _pixels(data: bytes) -> np.ndarray:
    import numpy as np  # NumPy: only when a photo is read, not at Django setup

    encoded = Image.open(io.BytesIO(data))
    encoded.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at the nearest DCT scale above MAX_SIDE
    image = encoded.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    return np.asarray(image)


def _rows(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes grouped into rows, top to bottom, each row left to right. Rows follow the text's own
    slope (a crooked scan or a photo at an angle), so a label and its value far to the right stay
    in one row; a box joins a row when it is level with any box already in it (perspective
    bends the slope across the page)."""
    slope = _slope(boxes)
    middle = {id(box): _middle(box, slope) for box in boxes}
    rows: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: middle[id(b)]):
        if rows and any(abs(middle[id(other)] - middle[id(box)]) < 0.5 * _height(other) for other in rows[-1]):
            rows[-1].append(box)
        else:
            rows.append([box])
    return [sorted(row, key=lambda b: b.left) for row in rows]


def _slope(boxes: list[TextBox]) -> float:
    """The median slope (dy/dx) of the long boxes' top edges."""
    slopes = [
        float((c[1, 1] - c[0, 1]) / (c[1, 0] - c[0, 0]))
        for c in (box.corners for box in boxes)
        if c[1, 0] - c[0, 0] > 3 * max(1.0, float(c[3, 1] - c[0, 1]))
    ]
    return statistics.median(slopes) if slopes else 0.0


def _middle(box: TextBox, slope: float) -> float:
    """The box centre's height above the page's text direction through the origin."""
    x, y = box.corners.mean(axis=0)
    return float(y - slope * x)


def _height(box: TextBox) -> float:
    return box.bottom - box.top


def _read_rows(data: bytes, done: Callable[[list[list[str]]], bool]) -> list[list[str]]:
    """The photo's text, row by row from the top, read until `done(rows so far)`."""
    from inkseal.core.ocr import detect_lines, recognise_box  # the shared engine, loaded lazily

    pixels = _pixels(data)
    read: list[list[str]] = []
    for row in _rows(detect_lines(pixels)):
        read.append([re.sub(r"\s+", "", recognise_box(pixels, box).text) for box in row])
        if done(read):
            break
    return read


def _lines(rows: list[list[str]]) -> list[str]:
    return [text for row in rows for text in row if text]


def labelled(rows: list[list[str]], label: str) -> str:
    """The value after `label` in a row: in the same box (名称XX公司) or in the next box, the
    label itself possibly cut into several boxes (名 | 称 | XX公司)."""
    for row in rows:
        joined = ""
        for index, text in enumerate(row):
            joined += text
            if not label.startswith(joined.rstrip(":：")) and not joined.startswith(label):
                break
            if joined.startswith(label) and joined != label and joined.rstrip(":：") != label:
                return joined[len(label) :].lstrip(":：")
            if joined.rstrip(":：") == label and index + 1 < len(row):
                return row[index + 1]
    return ""


def parse_id_card(rows: list[list[str]]) -> IdCardReading:
    lines = _lines(rows)
    name = labelled(rows, "姓名") or next((m.group(1) for line in lines if (m := _NAME.match(line))), "")
    numbers = (m.group(0).upper() for line in lines for m in _ID_NUMBER.finditer(line))
    return IdCardReading(name[:20], next((n for n in numbers if check_id_number(n).ok), ""))


def parse_licence(rows: list[list[str]]) -> LicenceReading:
    lines = _lines(rows)
    name = labelled(rows, "名称") or next((m.group(1) for line in lines if (m := _ORG_NAME.match(line))), "")
    codes = (m.group(0) for line in lines for m in _USCC.finditer(line.upper()))
    return LicenceReading(name[:60], next((c for c in codes if check_uscc(c).ok), ""))


def _complete(reading: IdCardReading | LicenceReading) -> bool:
    return all(getattr(reading, field) for field in reading.__dataclass_fields__)


class OfflineOcrProvider:
    name = "rapidocr"
    is_sandbox = False  # real OCR, offline

    def read_id_card(self, image: bytes) -> IdCardReading:
        return parse_id_card(_read_rows(image, lambda rows: _complete(parse_id_card(rows))))

    def read_licence(self, image: bytes) -> LicenceReading:
        return parse_licence(_read_rows(image, lambda rows: _complete(parse_licence(rows))))
