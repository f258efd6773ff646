"""How many of a burst of 验签 requests from one client IP are accepted, against the per-IP limit,
with `inkseal serve`'s several worker processes.

    .venv/bin/python bench/verify_rate_limit_bench.py [--requests 200] [--workers 4] [--limit 30]

A throwaway SQLite database; gunicorn with --workers processes of 2 threads; --requests POSTs
of a non-PDF to /api/v1/verify from 8 client threads (one connection each, so the requests
spread over the workers), all from 127.0.0.1 within the same minute. Each is answered 400
(accepted and checked: not a PDF) or 429 (over the limit). With the limit counted in each
process's memory, every worker accepted its own `limit`; counted in the database, the whole
server accepts `limit`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOUNDARY = "inksealratebench"
BODY = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
    f"Content-Type: application/pdf\r\n\r\nnot a pdf\r\n--{BOUNDARY}--\r\n"
).encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(port: int, count: int, answers: Counter[int], lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(count):
        connection.request(
            "POST", "/api/v1/verify", BODY, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        )
        response = connection.getresponse()
        response.read()
        with lock:
            answers[response.status] += 1
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="inkseal-rate-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "INKSEAL_VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "INKSEAL_SANDBOX": "1",
        "INKSEAL_LOG_LEVEL": "WARNING",
        "INKSEAL_VERIFY_PER_IP_PER_MINUTE": str(args.limit),
    }
    subprocess.run([sys.executable, "-m", "inkseal.cli", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "inkseal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--threads", "2", "--no-control-socket", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        # start at the beginning of a minute, so that the burst falls in one window
        time.sleep(max(0.0, 60 - time.time() % 60 + 0.5) if time.time() % 60 > 45 else 0)
        answers: Counter[int] = Counter()
        lock = threading.Lock()
        clients = 8
        threads = [
            threading.Thread(target=post, args=(port, args.requests // clients, answers, lock)) for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait()
    accepted = sum(n for status, n in answers.items() if status != 429)
    print(
        f"{accepted} of {sum(answers.values())} requests accepted against {args.limit}/min "
        f"({args.workers} workers); answers: {dict(sorted(answers.items()))}"
    )


if __name__ == "__main__":
    main()
