"""Hostile PDFs at full scale against the real server (issue #20 items 2, 3): does it stay up?

    .venv/bin/python bench/hostile_pdf_bench.py [--workers N] [--gigabytes 2]

Starts `inkseal serve` (gunicorn, as `make run` serves it) over a throwaway var dir and database
(the set-up of bench/signing_http_bench.py: a PKI, a certificate with its bound 公章, a platform),
then fires at once:
- three sign tasks whose page is its own /Parent (the 9-minute loop);
- three POST /api/v1/verify of an xref stream declaring /Index [0 999999999] (the 8 GB bomb);
- the confirm-page preview of a 2 GB deflate content stream, of a 2 GB deflate /Metadata, and of
  a page of five million rectangles (a CPU bomb for the renderer);
while a client asks /healthz twice a second. Prints each attack's answer and time, /healthz's
slowest answer and failures, and the peak resident memory of the gunicorn workers and of the
parser processes (sampled from /proc every 0.1 s).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import requests  # noqa: E402
import signing_http_bench as base  # noqa: E402  (sets up Django over a throwaway var dir)

from tests.signing import hostile  # noqa: E402


def deflated(chunk: bytes, total: int) -> bytes:
    """`total` bytes of `chunk` repeated, deflated without ever holding them."""
    squeezer = zlib.compressobj(9)
    out = io.BytesIO()
    block = chunk * max(1, (1 << 20) // len(chunk))
    for _ in range(total // len(block)):
        out.write(squeezer.compress(block))
    out.write(squeezer.flush())
    return out.getvalue()


def bomb_pdf(gigabytes: float, where: str) -> bytes:
    size = int(gigabytes * (1 << 30))
    if where == "metadata":
        body = deflated(b" ", size)
        extra = b"/Type /Metadata /Subtype /XML /Filter /FlateDecode "
        return hostile._one_page(hostile._page(2), b" /Metadata 6 0 R", {6: hostile._stream(body, extra)})
    if where == "content":
        body = deflated(b" ", size)
    else:  # a renderer CPU bomb: five million small filled rectangles
        body = deflated(b"1 1 1 1 re f\n", 5_000_000 * 13)
    return hostile._one_page(hostile._page(2), more={4: hostile._stream(body, b"/Filter /FlateDecode ")})


@contextmanager
def served(workers: int) -> Iterator[base.Server]:
    """signing_http_bench's `inkseal serve`, given up to 5 minutes to start (a busy shared machine)."""
    port = base._free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "inkseal.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT,
        env={**os.environ, "INKSEAL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = base.Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 300
        while not _up(server, workers):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("inkseal serve did not start")
            time.sleep(0.5)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _up(server: base.Server, workers: int) -> bool:
    try:
        return requests.get(f"{server.url}/healthz", timeout=10).ok and len(server.worker_pids()) >= workers
    except requests.RequestException:
        return False


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        path = Path(f"/proc/{current}/task/{current}/children")
        try:
            children = [int(p) for p in path.read_text().split()]
        except OSError:
            children = []
        found += children
        todo += children
    return found


class Watch(threading.Thread):
    """/healthz twice a second and the processes' memory ten times a second, until stopped."""

    def __init__(self, server: base.Server):
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.health: list[float] = []
        self.failures = 0
        self.peak_worker = self.peak_parser = 0.0
        self.workers = set(server.worker_pids())

    def run(self) -> None:
        next_health = 0.0
        while not self.stop.is_set():
            for pid in descendants(self.server.process.pid):
                size = rss_mb(pid)
                if pid in self.workers:
                    self.peak_worker = max(self.peak_worker, size)
                else:
                    self.peak_parser = max(self.peak_parser, size)
            if time.monotonic() >= next_health:
                next_health = time.monotonic() + 0.5
                threading.Thread(target=self.ask_health, daemon=True).start()
            time.sleep(0.1)

    def ask_health(self) -> None:
        started = time.monotonic()
        try:
            ok = requests.get(f"{self.server.url}/healthz", timeout=30).ok
        except requests.RequestException:
            ok = False
        self.health.append(time.monotonic() - started)
        self.failures += not ok


def attack(name: str, fire: Callable[[], requests.Response], results: list[str]) -> None:
    started = time.monotonic()
    try:
        response = fire()
        try:
            code = response.json().get("error", "")
        except ValueError:
            code = response.headers.get("Content-Type", "")
        outcome = f"{response.status_code} {code}"
    except requests.RequestException as exc:
        outcome = f"no answer ({type(exc).__name__})"
    results.append(f"{name:34s} {outcome:28s} {time.monotonic() - started:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=base.default_workers())
    parser.add_argument("--gigabytes", type=float, default=2.0)
    args = parser.parse_args()
    fixture = base.setup(1)
    print(f"building the bombs ({args.gigabytes:g} GB each once decoded) ...", flush=True)
    bombs = {where: bomb_pdf(args.gigabytes, where) for where in ("content", "metadata", "cpu")}
    for where, data in bombs.items():
        print(f"  {where}: {len(data) / 1024:.0f} KB on the wire")
    with served(args.workers) as server:
        base.connections.close_all()
        http = requests.Session()
        token = http.post(
            f"{server.url}/api/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": fixture.client_id,
                "client_secret": fixture.client_secret,
            },
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        def create(pdf: bytes) -> requests.Response:
            files = {"files": ("bid.pdf", pdf, "application/pdf")}
            return requests.post(
                f"{server.url}/api/v1/sign-tasks", data={"spec": fixture.spec()}, files=files, headers=auth, timeout=900
            )

        def verify(pdf: bytes) -> requests.Response:
            files = {"file": ("x.pdf", pdf, "application/pdf")}
            return requests.post(f"{server.url}/api/v1/verify", files=files, timeout=900)

        previews = {}
        for where, data in bombs.items():
            task = create(data)
            assert task.status_code == 201, task.content[:300]
            previews[where] = task.json()["confirm_url"].rsplit("/", 1)[-1]

        def preview(where: str) -> Callable[[], requests.Response]:
            url = f"{server.url}/sign/confirm/{previews[where]}/documents/1/pages/1.png"
            return lambda: requests.get(url, timeout=900)

        attacks: list[tuple[str, Callable[[], requests.Response]]] = [
            *((f"sign task, self /Parent #{n}", lambda: create(hostile.self_parent())) for n in range(1, 4)),
            *((f"verify, xref /Index bomb #{n}", lambda: verify(hostile.xref_index_bomb())) for n in range(1, 4)),
            ("preview, 2 GB content stream", preview("content")),
            ("preview, 2 GB /Metadata", preview("metadata")),
            ("preview, 5M rectangles (CPU)", preview("cpu")),
        ]
        watch = Watch(server)
        watch.start()
        time.sleep(1)
        results: list[str] = []
        started = time.monotonic()
        threads = [threading.Thread(target=attack, args=(name, fire, results)) for name, fire in attacks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        time.sleep(1)
        watch.stop.set()
        watch.join()
        after = requests.get(f"{server.url}/healthz", timeout=10).ok
    setup = f"{args.workers} workers x {base.THREADS} threads"
    print(f"\n{len(attacks)} attacks at once against {setup}, all answered in {elapsed:.1f} s:")
    print("\n".join(sorted(results)))
    print(
        f"\n/healthz: {len(watch.health)} asked, {watch.failures} failed, slowest {max(watch.health):.2f} s, "
        f"up afterwards: {after}"
    )
    print(f"peak RSS: gunicorn worker {watch.peak_worker:.0f} MB, parser process {watch.peak_parser:.0f} MB")
    print(
        json.dumps(
            {
                "elapsed_s": round(elapsed, 1),
                "healthz_max_s": round(max(watch.health), 2),
                "healthz_failures": watch.failures,
                "peak_worker_mb": round(watch.peak_worker),
                "peak_parser_mb": round(watch.peak_parser),
            }
        )
    )


if __name__ == "__main__":
    main()
