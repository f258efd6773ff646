"""What the parsing budget costs a request: the same inspection in the web process and in a parser
process (inkseal.signing.parsing.budget), per call.

    .venv/bin/python bench/parse_budget_bench.py [--calls 100] [--rounds 3]

Planning one seal on a 1-page and a 20-page PDF (what POST /api/v1/sign-tasks does), a preview
PNG of page 1 (the confirm page) and verifying a signed 1-page PDF (POST /api/v1/verify), each
`--calls` times in process and through the budget, interleaved over `--rounds` (the machine's
speed drifts), best round of each. The parser processes are warm (started before timing).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inkseal.signing.core.appearance import SealImage  # noqa: E402
from inkseal.signing.core.pdf import sign_pdf  # noqa: E402
from inkseal.signing.core.placement import AtPoint, Placement  # noqa: E402
from inkseal.signing.core.verify import verify_pdf  # noqa: E402
from inkseal.signing.parsing import budget, inspection  # noqa: E402
from tests.helpers.signing_pki import make_test_pki, to_asn1  # noqa: E402
from tests.signing.conftest import build_text_pdf, red_seal_png  # noqa: E402


def per_call(function: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seal = SealImage(red_seal_png(420), 42)
    placements = [Placement(seal, AtPoint(1, 300, 300))]
    one = build_text_pdf([(0, [(72, 700, 14, "投标文件")])])
    twenty = build_text_pdf([(0, [(72, 700, 14, f"第{n}页")]) for n in range(20)])
    pki = make_test_pki("rsa")
    signed = sign_pdf(one, signer=pki.seal_signer(), placements=placements, pades_level="B-B")
    roots = (to_asn1(pki.root).dump(),)
    cases: dict[str, tuple[Callable[..., object], tuple[object, ...], dict[str, object]]] = {
        "plan, 1 page": (inspection.plan, (one, placements, 2000), {}),
        "plan, 20 pages": (inspection.plan, (twenty, placements, 2000), {}),
        "preview PNG, page 1": (inspection.page_png, (one, 1), {}),
        "verify, 1 signature": (verify_pdf, (signed,), {"trust_roots": roots}),
    }
    limits = budget.Budget()
    budget.run(budget.ready, budget=limits)  # the forkserver and a parser process, started
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for name, (function, call_args, kwargs) in cases.items():
            for where, call in (
                ("in process", lambda f=function, a=call_args, k=kwargs: f(*a, **k)),
                ("parser process", lambda f=function, a=call_args, k=kwargs: budget.run(f, *a, budget=limits, **k)),
            ):
                ms = per_call(call, args.calls)
                best[name, where] = min(ms, best.get((name, where), ms))
    print(f"{'':24s} {'in process':>12s} {'parser proc.':>12s} {'overhead':>10s}")
    for name in cases:
        inside, outside = best[name, "in process"], best[name, "parser process"]
        print(f"{name:24s} {inside:9.2f} ms {outside:9.2f} ms {outside - inside:+7.2f} ms")


if __name__ == "__main__":
    main()
