"""Time and peak server memory to sign a 1 MB, 10 MB and 100 MB PDF through the HTTP API.

    .venv/bin/python bench/signing_http_sizes_bench.py [--sizes 1,10,100] [--workers 2]

The setup of signing_http_bench.py (throwaway var dir, PKI, certificate with a bound 公章, a
platform), then `inkseal serve` (gunicorn) and one client driving a whole task per size: upload
(POST /api/v1/sign-tasks), SMS code and confirmation (the signing), download. The documents are
scans: pages carrying an uncompressed photo-sized image of random pixels, so that the size is
real data a signer must hash and copy. Memory is the workers' peak RSS (VmHWM, reset before each
size through /proc/<pid>/clear_refs) against their RSS before the task: the issue's bound is
1.5x the document plus 100 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import signing_http_bench as bench  # sets up Django and the var dir

MB = 1024 * 1024
PAGE_IMAGE_BYTES = 3 * MB  # one scanned page: 1024 x 1024 RGB


def scan_pdf(path: Path, size: int) -> int:
    """Write a PDF of about `size` bytes (pages with a random-pixel image each); the page count."""
    pages = max(1, round(size / PAGE_IMAGE_BYTES))
    side = int((size / pages / 3) ** 0.5)
    offsets: dict[int, int] = {}
    with path.open("wb") as out:

        def obj(number: int, body: bytes, stream: bytes | None = None) -> None:
            offsets[number] = out.tell()
            out.write(b"%d 0 obj\n%s\n" % (number, body))
            if stream is not None:
                out.write(b"stream\n")
                out.write(stream)
                out.write(b"\nendstream\n")
            out.write(b"endobj\n")

        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = []
        for n in range(pages):
            page, image, content = 3 + 3 * n, 4 + 3 * n, 5 + 3 * n
            pixels = os.urandom(side * side * 3)
            obj(
                image,
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB"
                b" /BitsPerComponent 8 /Length %d >>" % (side, side, len(pixels)),
                pixels,
            )
            draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
            obj(content, b"<< /Length %d >>" % len(draw), draw)
            obj(
                page,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
                b" /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (image, content),
            )
            kids.append(page)
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages))
        xref = out.tell()
        count = max(offsets) + 1
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
        for number in range(1, count):
            out.write(b"%010d 00000 n \n" % offsets[number])
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref))
    return pages


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values


def _reset_peaks(pids: list[int]) -> dict[int, int]:
    """Reset every worker's peak RSS to its current RSS; the current RSS per worker."""
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return {pid: _status(pid)["VmRSS"] for pid in pids}


@dataclass
class Row:
    size: int
    pages: int
    upload: float
    confirm: float
    download: float
    before: int  # RSS of the worker that grew most, before the task
    peak: int  # its peak RSS during the task

    @property
    def total(self) -> float:
        return self.upload + self.confirm + self.download

    @property
    def growth(self) -> int:
        return self.peak - self.before

    @property
    def limit(self) -> float:
        return 1.5 * self.size + 100 * MB


def measure(server: bench.Server, client: bench.HttpClient, path: Path, pages: int) -> Row:
    pids = server.worker_pids()
    before = _reset_peaks(pids)
    timings: dict[str, float] = {}
    signed = client.sign(path, name=path.name, timings=timings)
    peaks = {pid: _status(pid)["VmHWM"] for pid in pids}
    grown = max(pids, key=lambda pid: peaks[pid] - before[pid])
    size = path.stat().st_size
    with path.open("rb") as original:
        head = hashlib.sha256(original.read()).digest()
    assert hashlib.sha256(signed[:size]).digest() == head, "the signed PDF must start with the original"
    return Row(size, pages, timings["upload"], timings["confirm"], timings["download"], before[grown], peaks[grown])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10,100", help="document sizes in MB")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    fixture = bench.setup()
    documents = Path(os.environ["INKSEAL_VAR_DIR"]) / "documents"
    documents.mkdir()
    rows = []
    try:
        made = []
        for megabytes in (float(s) for s in args.sizes.split(",")):
            path = documents / f"scan-{megabytes:g}mb.pdf"
            made.append((path, scan_pdf(path, int(megabytes * MB))))
        with bench.served(args.workers) as server:
            client = bench.HttpClient(server, fixture, bench.PHONE)
            client.sign(bench.one_page_pdf())  # warm up
            for path, pages in made:
                time.sleep(1)
                rows.append(measure(server, client, path, pages))
    finally:  # hundreds of MB of test documents and their signed copies
        shutil.rmtree(os.environ["INKSEAL_VAR_DIR"], ignore_errors=True)
    out = io.StringIO()
    out.write(
        f"{'size':>9} {'pages':>5} {'upload':>8} {'sign':>8} {'download':>8} {'total':>8} {'s/MB':>7}"
        f" {'RSS before':>10} {'peak':>8} {'growth':>8} {'limit':>8}\n"
    )
    for row in rows:
        out.write(
            f"{row.size / MB:7.1f}MB {row.pages:5d} {row.upload:7.2f}s {row.confirm:7.2f}s {row.download:7.2f}s"
            f" {row.total:7.2f}s {row.total / (row.size / MB):7.3f} {row.before / MB:8.0f}MB {row.peak / MB:6.0f}MB"
            f" {row.growth / MB:6.0f}MB {row.limit / MB:6.0f}MB{'' if row.growth <= row.limit else '  OVER'}\n"
        )
    print(out.getvalue(), end="")
    small, large = rows[-2], rows[-1]
    scale = (large.total / small.total) / (large.size / small.size)
    print(
        f"cost {large.size / small.size:.0f}x the size: {large.total / small.total:.1f}x the time"
        f" ({'linear or better' if scale <= 1.25 else 'worse than linear'}, {scale:.2f} of proportional)"
    )
    within = all(row.growth <= row.limit for row in rows)
    print(f"peak memory growth within 1.5x the document + 100 MB: {'yes' if within else 'NO'}")


if __name__ == "__main__":
    main()
