"""The CJK font seals are drawn with, found at run time.

Order: the INKSEAL_SEAL_FONT environment variable (a .ttf/.otf/.ttc path), then Debian's
fonts-noto-cjk (the serif — Song — face, as seals are cut in Song style; sans as fallback), then
whatever fontconfig offers for Simplified Chinese. In a .ttc the Simplified Chinese face is picked.
Glyph coverage is read from the font's cmap: a character the font lacks raises
UnrenderableCharacter instead of becoming a tofu box.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageFont

from inkseal.seals.image_errors import SealFontMissing, UnrenderableCharacter

FONT_ENV = "INKSEAL_SEAL_FONT"
NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
# Bold first: real seals are cut with heavy strokes, and thin ones vanish in a light impression.
NOTO_CANDIDATES = (
    "NotoSerifCJK-Bold.ttc",
    "NotoSerifCJK-Regular.ttc",
    "NotoSansCJK-Bold.ttc",
    "NotoSansCJK-Regular.ttc",
)
FC_PATTERN = "Noto Serif CJK SC:style=Bold:lang=zh-cn"


@dataclass(frozen=True)
class FontMetrics:
    """What layout needs from the font, in font units."""

    units_per_em: int
    ascent: int  # top of the ideographic em box above the baseline
    descent: int  # bottom of the em box, negative

    @property
    def box_height(self) -> int:
        return self.ascent - self.descent


@dataclass(eq=False)
class SealFont:
    """One face of a font file, with its cmap, metrics, and caches of Pillow fonts and outlines."""

    path: Path
    index: int
    _tt: TTFont = field(repr=False)
    _cmap: dict[int, str] = field(repr=False)
    metrics: FontMetrics
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, path: Path, index: int = 0) -> SealFont:
        tt = TTFont(str(path), fontNumber=index, lazy=True)
        return cls(path=path, index=index, _tt=tt, _cmap=tt.getBestCmap() or {}, metrics=_metrics(tt))

    @property
    def family(self) -> str:
        return str(self._tt["name"].getDebugName(1))

    def covers(self, char: str) -> bool:
        return ord(char) in self._cmap

    def require(self, text: str) -> None:
        """Raise UnrenderableCharacter for the first character of `text` the font cannot draw."""
        for char in text:
            if not self.covers(char):
                raise UnrenderableCharacter(char)

    def advance(self, char: str) -> int:
        """Horizontal advance of `char` in font units."""
        with self._lock:
            return int(self._tt["hmtx"][self._cmap[ord(char)]][0])

    def pil(self, size_px: int) -> ImageFont.FreeTypeFont:
        return _pil_font(str(self.path), self.index, size_px)

    @functools.cache  # noqa: B019 - fonts live for the whole process
    def outline(self, char: str) -> str:
        """SVG path data of the glyph, in font units (y up), e.g. for a vector seal."""
        with self._lock:
            glyphs = self._tt.getGlyphSet()
            pen = SVGPathPen(glyphs)
            glyphs[self._cmap[ord(char)]].draw(pen)
            return str(pen.getCommands())


def _metrics(tt: TTFont) -> FontMetrics:
    os2 = tt["OS/2"]
    upm = int(tt["head"].unitsPerEm)
    ascent, descent = int(os2.sTypoAscender), int(os2.sTypoDescender)
    if ascent - descent <= 0:
        ascent, descent = int(tt["hhea"].ascent), int(tt["hhea"].descent)
    return FontMetrics(units_per_em=upm, ascent=ascent, descent=descent)


@functools.lru_cache(maxsize=64)
def _pil_font(path: str, index: int, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size_px, index=index)


_font_lock = threading.Lock()


@functools.cache
def seal_font() -> SealFont:
    """The process-wide seal font (found once, then cached)."""
    with _font_lock:
        path, index = locate_seal_font()
        return SealFont.open(path, index)


def locate_seal_font() -> tuple[Path, int]:
    """(font file, face index) to draw seals with; SealFontMissing when there is none."""
    configured = os.environ.get(FONT_ENV, "").strip()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise SealFontMissing(f"{FONT_ENV} points to {configured!r}, which is not a file.")
        return path, chinese_face_index(path)
    for name in NOTO_CANDIDATES:
        path = NOTO_DIR / name
        if path.is_file():
            return path, chinese_face_index(path)
    found = _fontconfig_match()
    if found is None:
        raise SealFontMissing()
    return found


def chinese_face_index(path: Path) -> int:
    """Index of the Simplified Chinese face in a .ttc (0 for single-face fonts)."""
    if path.suffix.lower() not in {".ttc", ".otc"}:
        return 0
    faces = [str(font["name"].getDebugName(1) or "") for font in TTCollection(str(path), lazy=True).fonts]
    for preferred in (" SC", "SC", "CN", "GB"):
        for index, family in enumerate(faces):
            if family.endswith(preferred) or f"{preferred} " in family:
                return index
    return 0


def _fontconfig_match() -> tuple[Path, int] | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        out = subprocess.run(
            [fc_match, "-f", "%{file}\n%{index}\n%{lang}", FC_PATTERN],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) < 3 or "zh-cn" not in out[2].split("|"):
        return None  # fontconfig's best guess cannot write Chinese at all
    return Path(out[0]), int(out[1] or 0)
