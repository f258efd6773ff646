"""Reading ID cards and business licences (OCR), offline with RapidOCR (PP-OCR models in its wheel).

The OCR engine is shared with the seal checks (`inkseal.seals.checks`), loaded once per process
on first use. Readings are hints: the form fields stay editable and providers verify the values.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PIL import Image

from inkseal.identity.numbers import check_id_number, check_uscc

if TYPE_CHECKING:
    import numpy as np

_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_NAME = re.compile(r"^姓名[:：]?(.{2,20})$")
_ORG_NAME = re.compile(r"^名称[:：]?(.{2,60})$")
MAX_SIDE = 1600


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

    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.asarray(image)


def _lines(data: bytes) -> list[str]:
    from inkseal.seals.checks import read_lines  # the shared engine; heavy import only when needed

    return [re.sub(r"\s+", "", reading.text) for reading in read_lines(_pixels(data))]


def parse_id_card(lines: list[str]) -> IdCardReading:
    name = next((m.group(1) for line in lines if (m := _NAME.match(line))), "")
    numbers = (m.group(0).upper() for line in lines for m in _ID_NUMBER.finditer(line))
    return IdCardReading(name, next((n for n in numbers if check_id_number(n).ok), ""))


def parse_licence(lines: list[str]) -> LicenceReading:
    name = next((m.group(1) for line in lines if (m := _ORG_NAME.match(line))), "")
    codes = (m.group(0) for line in lines for m in _USCC.finditer(line.upper()))
    return LicenceReading(name, next((c for c in codes if check_uscc(c).ok), ""))


class OfflineOcrProvider:
    name = "rapidocr"
    is_sandbox = False  # real OCR, offline

    def read_id_card(self, image: bytes) -> IdCardReading:
        return parse_id_card(_lines(image))

    def read_licence(self, image: bytes) -> LicenceReading:
        return parse_licence(_lines(image))
