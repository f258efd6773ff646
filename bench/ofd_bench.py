"""OFD sealing and verification speed next to our SM2 PDF figure, in the same run, pinned to one core.

    .venv/bin/python bench/ofd_bench.py [--seconds 2] [--rounds 3] [--pages 100] [--json out.json]

1. Seals per second on a one-page OFD (corpus reader-helloworld.ofd) with
   `inkseal.signing.core.ofd.sign.seal_ofd` (GB/T 38540 v4 SES_Signature, SM2, no time stamp and
   with our in-process SM2 TSA), against `sign_pdf` sealing the one-page corpus PDF with the same
   SM2 signer (PAdES B-B, one visible 42 mm seal); interleaved rounds, best round of each, rates
   per second of CPU time.
2. Verifications per second: `verify_ofd` (references, SES signature, seal maker's signature,
   chains to our SM2 root) against `verify_pdf` of the SM2 PDF.
3. Time and peak memory (RSS of a fresh subprocess) to seal an OFD of `--pages` pages.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw

from inkseal.pki.oids import POLICY_SEAL_MAKER
from inkseal.seals import ses, ses_make
from inkseal.seals.ses_chain import ChainValidator
from inkseal.seals.ses_verify import SesTrust
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.ofd.sign import StampPlacement, seal_ofd, ses_timestamper
from inkseal.signing.core.ofd.verify import VALID, verify_ofd
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.core.verify import verify_pdf
from tests.helpers.sm2_pki import Sm2TestPki, make_sm2_test_pki

ONE_PAGE_OFD = Path("/work/shared/corpus/ofd/unsigned/reader-helloworld.ofd")
ONE_PAGE_PDF = Path("/work/shared/corpus/pdf/minimal-document.pdf")


def seal_png(size: int = 500) -> bytes:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), outline=(220, 20, 30, 255), width=size // 24)
    draw.regular_polygon((size / 2, size / 2, size / 6), 5, fill=(220, 20, 30, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_seal(pki: Sm2TestPki, png: bytes) -> bytes:
    maker = pki.hierarchy.seal_maker
    assert maker is not None
    now = datetime.now(UTC)
    return ses_make.make_seal(
        maker_certificate=maker.certificate.der,
        maker_key=pki.keystore.signer(maker.key_id),
        es_id="1101080000001A2B",
        seal_type=ses.SEAL_TYPE_UNIT,
        name="国密测试科技有限公司合同专用章",
        signer_certificates=[pki.signer_cert.der],
        picture=ses.Picture("PNG", png, 42, 42),
        created=now - timedelta(hours=1),
        valid_start=now - timedelta(hours=1),
        valid_end=now + timedelta(days=30),
    )


def trust_of(pki: Sm2TestPki) -> SesTrust:
    root, issuing = pki.root.der, pki.issuing.der
    return SesTrust(
        makers=ChainValidator([root], [issuing], policy=POLICY_SEAL_MAKER),
        signers=ChainValidator([root], [issuing]),
        timestamps=ChainValidator([root], [issuing], extended_key_usage="time_stamping"),
    )


def many_pages(pages: int) -> bytes:
    """The one-page OFD with its page repeated `pages` times (one Content.xml per page)."""
    with zipfile.ZipFile(ONE_PAGE_OFD) as source:
        entries = {i.filename: source.read(i) for i in source.infolist() if not i.is_dir()}
    page = entries.pop("Doc_0/Pages/Page_0/Content.xml")
    listing = "".join(f'<ofd:Page ID="{100 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(pages))
    document = entries["Doc_0/Document.xml"].decode()
    start, end = document.index("<ofd:Pages>") + len("<ofd:Pages>"), document.index("</ofd:Pages>")
    entries["Doc_0/Document.xml"] = (document[:start] + listing + document[end:]).encode()
    for n in range(pages):
        entries[f"Doc_0/Pages/Page_{n}/Content.xml"] = page
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def rate(action: Callable[[], object], seconds: float) -> float:
    action()  # warm-up
    count, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        action()
        count += 1
    return count / elapsed


def best_rates(actions: dict[str, Callable[[], object]], seconds: float, rounds: int) -> dict[str, float]:
    best = dict.fromkeys(actions, 0.0)
    for _ in range(rounds):
        for name, action in actions.items():
            best[name] = max(best[name], rate(action, seconds))
    return best


def large(pages: int) -> dict[str, float]:
    """Seal a `pages`-page OFD in this (fresh) process: seconds and peak RSS in MB."""
    pki = make_sm2_test_pki()
    seal = make_seal(pki, seal_png())
    data = many_pages(pages)
    start = time.perf_counter()
    sealed = seal_ofd(data, seal_der=seal, signer=pki.seal_signer(), placements=[StampPlacement(pages, 20, 20)])
    seconds = time.perf_counter() - start
    assert [s.status for s in verify_ofd(sealed).signatures] == [VALID]
    return {
        "pages": pages,
        "bytes": len(data),
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--json")
    parser.add_argument("--large-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_only:
        print(json.dumps(large(args.large_only)))
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    pki = make_sm2_test_pki()
    png = seal_png()
    seal = make_seal(pki, png)
    signer = pki.seal_signer()
    trust = trust_of(pki)
    nonces = itertools.count(1)
    stamper = ses_timestamper(pki.timestamper().respond, nonces.__next__)
    ofd = ONE_PAGE_OFD.read_bytes()
    pdf = ONE_PAGE_PDF.read_bytes()
    placement = [StampPlacement(1, 20, 20)]
    pdf_placement = [Placement(SealImage(png, width_mm=42), AtPoint(1, 300, 200))]

    sealed_ofd = seal_ofd(ofd, seal_der=seal, signer=signer, placements=placement, timestamper=stamper)
    assert verify_ofd(sealed_ofd, trust=trust).signatures[0].trusted
    sealed_pdf = sign_pdf(pdf, signer=signer, placements=pdf_placement, pades_level="B-B")
    assert isinstance(sealed_pdf, bytes)
    roots = [pki.root.asn1]
    assert verify_pdf(sealed_pdf, trust_roots=roots).all_valid

    actions: dict[str, Callable[[], object]] = {
        "seal OFD (SM2)": lambda: seal_ofd(ofd, seal_der=seal, signer=signer, placements=placement),
        "seal OFD (SM2 + TSA)": lambda: seal_ofd(
            ofd, seal_der=seal, signer=signer, placements=placement, timestamper=stamper
        ),
        "sign PDF B-B (SM2)": lambda: sign_pdf(pdf, signer=signer, placements=pdf_placement, pades_level="B-B"),
        "verify OFD (with TSA token)": lambda: verify_ofd(sealed_ofd, trust=trust),
        "verify PDF B-B": lambda: verify_pdf(sealed_pdf, trust_roots=roots),
    }
    rates = best_rates(actions, args.seconds, args.rounds)
    for name, value in rates.items():
        print(f"{name:32s} {value:8.1f} /s")
    print(f"{'OFD seal / PDF sign':32s} {rates['seal OFD (SM2)'] / rates['sign PDF B-B (SM2)']:8.2f}x")

    result = subprocess.run(
        [sys.executable, __file__, "--large-only", str(args.pages)], capture_output=True, text=True, check=True
    )
    big = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"seal a {big['pages']}-page OFD ({big['bytes'] / 1024:.0f} KiB): "
        f"{big['seconds']:.3f} s, peak RSS {big['peak_rss_mb']:.0f} MB (whole process)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"rates": rates, "large": big}, indent=2))


if __name__ == "__main__":
    main()
