"""How long light `inkseal` commands take to start and finish (wall clock and CPU, best of N).

    .venv/bin/python bench/cli_start_bench.py [--runs 5] [--tree /path/to/checkout]

Runs `identity check id-number`, `seal render`, `audit verify` and `ca list` in fresh processes
(python -m inkseal.cli, a throwaway var/ directory) and prints the best wall-clock and CPU time
of each, and the heavy libraries the process loaded. --tree measures another checkout (e.g. the
main branch, to compare). The machine's load matters: read the CPU column on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("cv2", "pyhanko", "pyhanko_certvalidator", "rapidocr_onnxruntime", "onnxruntime", "pypdfium2")
PROBE = (
    "import sys\n"
    "from inkseal.cli import main\n"
    "sys.argv = ['inkseal', *sys.argv[1:]]\n"
    "try:\n    main()\n"
    "finally:\n"
    f"    print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
)


def commands(out: Path) -> dict[str, list[str]]:
    return {
        "identity check": ["identity", "check", "id-number", "110105198801010014"],
        "seal render": ["seal", "render", "--kind", "official", "--name", "北京示范科技有限公司", "--out", str(out)],
        "audit verify": ["audit", "verify"],
        "ca list": ["ca", "list"],
    }


def run_once(tree: Path, var: Path, args: list[str]) -> tuple[float, float, str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "INKSEAL_VAR_DIR": str(var)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=tree)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    heavy = next((line[6:] for line in result.stderr.splitlines() if line.startswith("HEAVY=")), "?")
    return wall, cpu, heavy or "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=ROOT)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(options.tree), "INKSEAL_VAR_DIR": str(var)}
        subprocess.run([sys.executable, "-m", "compileall", "-q", "inkseal"], cwd=options.tree, check=True)
        subprocess.run([sys.executable, "-m", "inkseal.cli", "migrate", "-v0"], env=env, cwd=options.tree, check=True)
        print(f"{options.tree}  (best of {options.runs})")
        print(f"{'command':16} {'wall s':>7} {'cpu s':>7}  heavy modules loaded")
        for name, args in commands(var / "seal.png").items():
            runs = [run_once(options.tree, var, args) for _ in range(options.runs)]
            print(f"{name:16} {min(r[0] for r in runs):7.2f} {min(r[1] for r in runs):7.2f}  {runs[0][2]}")


if __name__ == "__main__":
    main()
