"""OFD page pictures next to PDF page pictures, in the same run, pinned to one core.

    .venv/bin/python bench/ofd_render_bench.py [--seconds 2] [--rounds 3] [--width 900] [--json out.json]

Pages per second (CPU time) of `inkseal.signing.core.preview.page_png` at the confirm page's width:
- a one-page OFD invoice (corpus sign-v4signed.ofd: paths, text in the CJK fallback, a QR PNG,
  the seal's StampAnnot whose picture is itself an OFD), translated into PDF then drawn by PDFium;
- the same for a one-page OFD of plain text (reader-helloworld.ofd) and the heaviest corpus page
  (converter-testPathClip.ofd: embedded TrueType fonts, clips, large PNGs);
- a one-page PDF drawn by PDFium (corpus minimal-document.pdf and 002-trivial-libre-office-writer.pdf).
Interleaved rounds, best round of each. Also the share of the OFD time spent translating.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inkseal.signing.core import preview
from inkseal.signing.core.ofd.render import page_pdf

OFD = Path("/work/shared/corpus/ofd")
PDF = Path("/work/shared/corpus/pdf")


def rate(action: Callable[[], object], seconds: float) -> float:
    action()  # warm (fonts found, code paths loaded)
    count, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        action()
        count += 1
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--width", type=int, default=preview.PREVIEW_WIDTH_PX)
    parser.add_argument("--json")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    files = {
        "OFD invoice (sign-v4signed)": (OFD / "signed" / "sign-v4signed.ofd").read_bytes(),
        "OFD text (reader-helloworld)": (OFD / "unsigned" / "reader-helloworld.ofd").read_bytes(),
        "OFD heavy (converter-testPathClip)": (OFD / "signed" / "converter-testPathClip.ofd").read_bytes(),
        "PDF (minimal-document)": (PDF / "minimal-document.pdf").read_bytes(),
        "PDF (libreoffice writer)": (PDF / "002-trivial-libre-office-writer.pdf").read_bytes(),
    }
    actions: dict[str, Callable[[], object]] = {
        name: (lambda data=data: preview.page_png(data, 1, args.width)) for name, data in files.items()
    }
    invoice = files["OFD invoice (sign-v4signed)"]
    actions["  of which: translating the invoice"] = lambda: page_pdf(invoice, 1)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, action in actions.items():
            best[name] = max(best.get(name, 0.0), rate(action, args.seconds))
    width = max(len(n) for n in best)
    print(f"pages per second of CPU, {args.width} px wide, best of {args.rounds} rounds of {args.seconds} s, one core")
    for name, value in best.items():
        print(f"  {name:<{width}}  {value:8.1f} /s  ({1000 / value:6.1f} ms)")
    ratio = best["OFD invoice (sign-v4signed)"] / best["PDF (libreoffice writer)"]
    print(f"  OFD invoice / PDF (libreoffice writer): {ratio:.2f}x")
    started = time.perf_counter()
    pages = preview.page_sizes((OFD / "unsigned" / "sign-doc1File.ofd").read_bytes())
    print(f"  sign-doc1File.ofd page sizes ({len(pages)} pages): {1000 * (time.perf_counter() - started):.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(best, indent=2))


if __name__ == "__main__":
    main()
