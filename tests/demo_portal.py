"""Running the demo procurement portal (examples/procurement_portal) as a real process for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def portal_process(workdir: Path, demo_json: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        DEMO_JSON=str(demo_json),
        PORTAL_DATABASE=str(workdir / "portal.sqlite3"),
        DEMO_PORTAL_URL=url,
        INKSEAL_VAR_DIR=str(workdir),
    )
    run = [sys.executable, "-m", "examples.procurement_portal"]
    subprocess.run([*run, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*run, "seed"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(workdir / "portal.log", "wb")
    process = subprocess.Popen([*run, "serve", f"127.0.0.1:{port}"], env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/.well-known/openid-configuration", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("demo portal did not start: " + (workdir / "portal.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
