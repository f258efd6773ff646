"""Seal benchmark: template render time per kind, and the OCR checks' time.

Run from the repository root:  .venv/bin/python bench/seals_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inkseal.core import ocr
from inkseal.seals import checks, fonts
from inkseal.seals.imports import import_seal_photo
from inkseal.seals.render import render_image, render_png, render_svg
from inkseal.seals.render_spec import SealKind, SealSpec

COMPANY = "北京天威诚信电子商务服务有限公司"
PERSON = "王小明"
SPECS = {
    SealKind.OFFICIAL: SealSpec(SealKind.OFFICIAL, COMPANY),
    SealKind.CONTRACT: SealSpec(SealKind.CONTRACT, COMPANY, lower_text="3101150012345"),
    SealKind.FINANCE: SealSpec(SealKind.FINANCE, COMPANY, border="double"),
    SealKind.INVOICE: SealSpec(SealKind.INVOICE, COMPANY),
    SealKind.BUSINESS: SealSpec(SealKind.BUSINESS, COMPANY),
    SealKind.LEGAL_REPRESENTATIVE: SealSpec(SealKind.LEGAL_REPRESENTATIVE, PERSON),
    SealKind.NAME_SQUARE: SealSpec(SealKind.NAME_SQUARE, PERSON),
    SealKind.NAME_STRIP: SealSpec(SealKind.NAME_STRIP, PERSON),
}


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median seconds per call."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def once(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def row(label: str, seconds: float) -> None:
    print(f"  {label:<42} {seconds * 1000:8.1f} ms   {1 / seconds:8.1f} /s")


def handwriting(name: str) -> Image.Image:
    path = fonts.NOTO_DIR / "NotoSansCJK-Regular.ttc"
    font = ImageFont.truetype(str(path), 110, index=fonts.chinese_face_index(path))
    canvas = Image.new("RGBA", (140 * len(name) + 80, 200), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((40, 100), name, font=font, fill=(0, 0, 0, 255), anchor="lm")
    return canvas.rotate(4, resample=Image.Resampling.BICUBIC, expand=True)


def photo(seal: Image.Image) -> bytes:
    paper = Image.new("RGBA", (1000, 800), (236, 230, 214, 255))
    paper.alpha_composite(seal.rotate(20, expand=True).resize((520, 520)), (240, 140))
    out = io.BytesIO()
    paper.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    repeat = parser.parse_args().repeat

    print("set-up (once per process)")
    row("find and open the seal font", once(fonts.seal_font))
    row("OCR engine: import + create", once(ocr.ocr_engine))
    row(
        "OCR engine: first recognition (model load)",
        once(lambda: checks.check_grid_seal_text(render_image(SPECS[SealKind.NAME_SQUARE]), PERSON)),
    )
    row(
        "OCR engine: first detection (model load)",
        once(lambda: ocr.read_lines(checks.on_white(checks.ink_mask(handwriting(PERSON))))),
    )

    print(f"template render, 42 mm at 700 px (median of {repeat})")
    for kind, spec in SPECS.items():
        render_png(spec)  # warm the glyph caches
        row(f"{kind.value} PNG", timed(lambda spec=spec: render_png(spec), repeat))
    textured = SealSpec(SealKind.CONTRACT, COMPANY, lower_text="3101150012345", texture=True)
    row("contract PNG, textured", timed(lambda: render_png(textured), repeat))
    row("contract SVG", timed(lambda: render_svg(SPECS[SealKind.CONTRACT]), repeat))

    print(f"OCR checks (median of {repeat})")
    round_seal = render_image(SPECS[SealKind.CONTRACT])
    row("round seal: polar unwrap only", timed(lambda: checks.unwrap_ring(checks.ink_mask(round_seal)), repeat))
    row("round seal: unwrap + OCR", timed(lambda: checks.check_round_seal_text(round_seal, COMPANY), repeat))
    square = render_image(SPECS[SealKind.LEGAL_REPRESENTATIVE])
    row("square seal: grid + OCR", timed(lambda: checks.check_grid_seal_text(square, PERSON), repeat))
    signature = handwriting(PERSON)
    row("handwriting: crop + OCR", timed(lambda: checks.check_handwriting(signature, PERSON), repeat))
    upload = photo(round_seal)
    row("upload: clean photo + round check", timed(lambda: import_seal_photo(upload, expected_name=COMPANY), repeat))


if __name__ == "__main__":
    main()
