"""Hostile OFD uploads at full scale: how long the sign-task path takes to refuse each (the web
process never inflates an upload; the parser process reading it is bounded by the budget's
RLIMIT_AS, a memory overrun would answer pdf_too_complex).

    .venv/bin/python bench/ofd_hostile_bench.py [--bomb-mb 2048]

Each package goes where POST /api/v1/sign-tasks sends an OFD: `inspection.plan_ofd` in a parser
process under the default parsing budget (`inkseal.signing.parsing.budget`). Prints, per package,
its size, the refusal's code (or the page count when it is accepted) and the seconds to the answer.
The small-scale versions are in tests/signing/test_ofd_api.py.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inkseal.core.errors import DomainError
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.parsing import budget, inspection

HELLO = Path("/work/shared/corpus/ofd/unsigned/reader-helloworld.ofd").read_bytes()


def entries() -> list[tuple[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(HELLO))
    return [(name, archive.read(name)) for name in archive.namelist()]


def package(items: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return out.getvalue()


def bomb(megabytes: int) -> bytes:
    """A package with one entry of `megabytes` of zeros, streamed (never whole in memory here)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries():
            archive.writestr(name, data)
        chunk = bytes(1 << 20)
        with archive.open("Doc_0/Res/bomb.bin", "w", force_zip64=True) as handle:
            for _ in range(megabytes):
                handle.write(chunk)
    return out.getvalue()


def lying_sizes() -> bytes:
    """An entry whose central directory declares 10 bytes but inflates to 64 MB."""
    data = package([*entries(), ("Doc_0/Res/liar.bin", bytes(64 << 20))])
    raw = bytearray(data)
    # patch the uncompressed size in the liar's local header and central directory entry
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := raw.find(signature, start)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + 18] == b"Doc_0/Res/liar.bin":
                raw[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
            start = at + 4
    return bytes(raw)


def deep_xml() -> bytes:
    content = b"<a>" * 200_000 + b"</a>" * 200_000
    items = [(n, content if n.endswith("Content.xml") else d) for n, d in entries()]
    return package(items, zipfile.ZIP_STORED)  # stored: the compression ratio does not refuse it first


def many_entries(count: int) -> bytes:
    return package([*entries(), *((f"Doc_0/Res/{i}.bin", b"x") for i in range(count))], zipfile.ZIP_STORED)


def big_text(megabytes: int) -> bytes:
    text = b"<ofd:Page xmlns:ofd='http://www.ofdspec.org/2016'><ofd:Content>" + b" " * (megabytes << 20)
    items = [(n, text + b"</ofd:Content></ofd:Page>" if n.endswith("Content.xml") else d) for n, d in entries()]
    return package(items, zipfile.ZIP_STORED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=2048)
    args = parser.parse_args()
    seal = Placement(SealImage(b"", 42.0, 42.0), AtPoint(1, 105, 150))
    cases: list[tuple[str, Callable[[], bytes]]] = [
        (f"zip bomb, {args.bomb_mb} MB of zeros", lambda: bomb(args.bomb_mb)),
        ("entry declaring 10 bytes, inflating to 64 MB", lying_sizes),
        ("20,001 entries", lambda: many_entries(20_001)),
        ("page content nested 200,000 deep (stored)", deep_xml),
        ("page content of 150 MB (whitespace, stored)", lambda: big_text(150)),
        ("traversal entry ../../etc/passwd", lambda: package([*entries(), ("../../etc/passwd", b"x")])),
        ("truncated package", lambda: HELLO[: len(HELLO) // 2]),
    ]
    budget.warm()  # the parser processes start once per web process, not per upload
    budget.run(inspection.plan_ofd, HELLO, [seal], 2000)
    for label, build in cases:
        data = build()
        started = time.perf_counter()
        try:
            plan = budget.run(inspection.plan_ofd, data, [seal], 2000)
            outcome = f"accepted ({plan.pages} pages)"
        except DomainError as exc:
            outcome = exc.code
        elapsed = time.perf_counter() - started
        print(f"{label:50s} {len(data) / 1024:10.0f} KiB  {outcome:24s} {elapsed:6.2f} s")
    print(f"parsing budget: {budget.Budget()}")
    budget.close()


if __name__ == "__main__":
    main()
