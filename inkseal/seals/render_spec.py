"""What a template seal is (`SealSpec`): its kind and shape, the name and texts it carries, ink,
border and size, checked on construction. Pure (no Django); drawn by `render`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from inkseal.seals.image_errors import (
    EmptyName,
    LowerTextTooLong,
    NameTooLong,
    SealSizeOutOfRange,
    UnknownBorder,
    UnknownSealKind,
)
from inkseal.seals.ink import InkColor, ink_color

SIZE_RANGE_MM = (10.0, 60.0)
MAX_ROUND_NAME = 30
MAX_GRID_NAME = 8
MAX_STRIP_NAME = 10
MAX_LOWER_TEXT = 20
MAX_TYPE_TEXT = 10


class SealShape(StrEnum):
    ROUND = "round"
    SQUARE = "square"
    STRIP = "strip"


class SealKind(StrEnum):
    """Seal kinds; the values are the stable codes used by the API and the signing service."""

    OFFICIAL = "official"
    CONTRACT = "contract"
    FINANCE = "finance"
    INVOICE = "invoice"
    BUSINESS = "business"
    LEGAL_REPRESENTATIVE = "legal_representative"
    NAME_SQUARE = "name_square"
    NAME_STRIP = "name_strip"

    @property
    def shape(self) -> SealShape:
        return _KIND_SHAPE.get(self, SealShape.ROUND)

    @property
    def label_zh(self) -> str:
        """The seal kind as Chinese users name it (公章, 合同专用章, …)."""
        return _KIND_LABEL_ZH[self]

    @property
    def type_text(self) -> str:
        """The text engraved below the star ("" for the official seal, which carries none)."""
        return _KIND_TYPE_TEXT.get(self, "")

    @classmethod
    def parse(cls, value: SealKind | str) -> SealKind:
        """Accept a code ("contract") or a Chinese label ("合同专用章")."""
        if isinstance(value, SealKind):
            return value
        text = str(value).strip()
        for kind in cls:
            if text in (kind.value, kind.label_zh):
                return kind
        raise UnknownSealKind(text)


_KIND_SHAPE = {
    SealKind.LEGAL_REPRESENTATIVE: SealShape.SQUARE,
    SealKind.NAME_SQUARE: SealShape.SQUARE,
    SealKind.NAME_STRIP: SealShape.STRIP,
}
_KIND_LABEL_ZH = {
    SealKind.OFFICIAL: "公章",
    SealKind.CONTRACT: "合同专用章",
    SealKind.FINANCE: "财务专用章",
    SealKind.INVOICE: "发票专用章",
    SealKind.BUSINESS: "业务专用章",
    SealKind.LEGAL_REPRESENTATIVE: "法定代表人章",
    SealKind.NAME_SQUARE: "人名章-方形",
    SealKind.NAME_STRIP: "人名章-条形",
}
_KIND_TYPE_TEXT = {kind: label for kind, label in _KIND_LABEL_ZH.items() if label.endswith("专用章")}
# Default sizes: 42 mm round seals, 20 mm square name seals, strip seals 10 mm high.
_DEFAULT_SIZE_MM = {SealShape.ROUND: 42.0, SealShape.SQUARE: 20.0, SealShape.STRIP: 10.0}


class Border(StrEnum):
    SINGLE = "single"
    DOUBLE = "double"


@dataclass(frozen=True)
class SealSpec:
    """What to draw. Constructing one validates and normalises everything but font coverage.

    `size_mm` is the diameter of a round seal, the side of a square one and the height of a
    strip one; None takes the kind's usual size. `type_text` overrides the kind's text below
    the star (round seals only).
    """

    kind: SealKind | str
    name: str
    lower_text: str | None = None
    color: InkColor | str = InkColor.RED
    size_mm: float | None = None
    border: Border | str = Border.SINGLE
    texture: bool = False
    type_text: str | None = None

    def __post_init__(self) -> None:
        kind = SealKind.parse(self.kind)
        size = float(self.size_mm) if self.size_mm is not None else _DEFAULT_SIZE_MM[kind.shape]
        if not SIZE_RANGE_MM[0] <= size <= SIZE_RANGE_MM[1]:
            raise SealSizeOutOfRange(size, *SIZE_RANGE_MM)
        try:
            border = Border(str(self.border).lower())
        except ValueError:
            raise UnknownBorder(self.border)
        set_field = object.__setattr__  # frozen: normalise once, here
        set_field(self, "kind", kind)
        set_field(self, "name", _clean_text(self.name))
        set_field(self, "lower_text", _clean_text(self.lower_text or "") or None)
        set_field(self, "type_text", None if self.type_text is None else _clean_text(self.type_text))
        set_field(self, "color", ink_color(self.color))
        set_field(self, "size_mm", size)
        set_field(self, "border", border)
        self._check_lengths()

    def _check_lengths(self) -> None:
        if not self.name:
            raise EmptyName()
        limit = {SealShape.ROUND: MAX_ROUND_NAME, SealShape.SQUARE: MAX_GRID_NAME}.get(self.shape, MAX_STRIP_NAME)
        if len(self.name) > limit:
            raise NameTooLong(len(self.name), limit)
        if self.lower_text and len(self.lower_text) > MAX_LOWER_TEXT:
            raise LowerTextTooLong(len(self.lower_text), MAX_LOWER_TEXT)
        if len(self.centre_text) > MAX_TYPE_TEXT:
            raise NameTooLong(len(self.centre_text), MAX_TYPE_TEXT)

    @property
    def shape(self) -> SealShape:
        return SealKind.parse(self.kind).shape

    @property
    def ink(self) -> InkColor:
        return ink_color(self.color)

    @property
    def centre_text(self) -> str:
        """The horizontal text below the star."""
        return self.type_text if self.type_text is not None else SealKind.parse(self.kind).type_text

    @property
    def all_text(self) -> str:
        return self.name + (self.lower_text or "") + self.centre_text + grid_suffix(self)


def _clean_text(text: str) -> str:
    """NFC, without whitespace, control or invisible format characters (a pasted name still
    renders); private-use and unassigned characters stay, to be refused by the font check."""
    text = unicodedata.normalize("NFC", text or "")
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf"))


def grid_suffix(spec: SealSpec) -> str:
    """印 / 之印 that Chinese convention appends to a name in a square seal, filling the grid."""
    if spec.shape is not SealShape.SQUARE:
        return ""
    return {1: "印", 2: "之印", 3: "印", 5: "印", 7: "印"}.get(len(spec.name), "")
