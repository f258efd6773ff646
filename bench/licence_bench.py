"""Business licence photos: acceptance by the image check and OCR hit rates, per kind of picture.

    .venv/bin/python bench/licence_bench.py [--count 3]

The licences are drawn by tests/identity/licences.py (Noto CJK, the national template's layout)
with --count different companies per kind: clean scans on near-white paper, skewed scans, phone
photos (perspective, uneven light, noise, blur; a blurrier set too), and genuinely unusable
pictures (far too dark, washed out). Readable kinds should be accepted and read; the unusable
ones refused with their own message. The OCR is read on every picture, refused or not, to show
what the engine could still make out.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["INKSEAL_VAR_DIR"] = tempfile.mkdtemp(prefix="inkseal-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")

import django  # noqa: E402

django.setup()

from inkseal.core import ocr  # noqa: E402
from inkseal.identity import imagecheck  # noqa: E402
from inkseal.identity.providers.licence_ocr import OfflineOcrProvider  # noqa: E402
from tests.identity import licences  # noqa: E402
from tests.identity.licences import Licence  # noqa: E402

KINDS: dict[str, tuple[bool, Callable[[Licence, int], bytes]]] = {
    # kind: (should be accepted, picture)
    "clean scan, near-white": (True, lambda info, n: licences.clean_scan(info)),
    "skewed scan": (True, lambda info, n: licences.skewed_scan(info, angle=(-1) ** n * (2 + 2 * n))),
    "phone photo": (True, lambda info, n: licences.phone_photo(info, seed=n)),
    "phone photo, blurrier": (True, lambda info, n: licences.phone_photo(info, seed=10 + n, blur=2.0)),
    "too dark": (False, lambda info, n: licences.too_dark(info)),
    "washed out": (False, lambda info, n: licences.too_bright(info)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3)
    count = parser.parse_args().count
    ocr.warm_up()
    provider = OfflineOcrProvider()
    print(f"{'kind':<24} {'accepted':>9} {'name read':>10} {'code read':>10} {'OCR s/img':>10}  refusals")
    readable_hits = readable_total = 0
    for kind, (should_accept, make) in KINDS.items():
        accepted = names = codes = 0
        refusals: set[str] = set()
        spent = 0.0
        for n in range(count):
            info = licences.licence(n + 1)
            data = make(info, n)
            try:
                imagecheck.check_image(data)
                accepted += 1
            except imagecheck.ImageRefused as refused:
                refusals.add(refused.code)
            start = time.perf_counter()
            reading = provider.read_licence(data)
            spent += time.perf_counter() - start
            names += reading.name == info.company
            codes += reading.uscc == info.uscc
            if should_accept:
                readable_total += 1
                readable_hits += (reading.name, reading.uscc) == (info.company, info.uscc)
        print(
            f"{kind:<24} {accepted:>4}/{count:<4} {names:>5}/{count:<4} {codes:>5}/{count:<4} "
            f"{spent / count:>9.2f}  {', '.join(sorted(refusals)) or '-'}"
        )
    print(f"readable kinds: name and code both read on {readable_hits}/{readable_total} pictures")


if __name__ == "__main__":
    main()
