"""Verifications per second through POST /api/v1/verify (验签), end to end over loopback.

    .venv/bin/python bench/verify_http_bench.py [--seconds 5]

A throwaway SQLite database and CA hierarchy; a one-page PDF sealed (PAdES B-T, our TSA, one
visible 42 mm seal) with a cloud certificate of our CA; then the platform served by gunicorn and a
bounded loop of multipart POSTs (keep-alive) from client threads: one worker with one client
(one core), and `inkseal serve`'s 2 workers x 4 threads with 4 clients. The rate limit is off.
Every answer must be 200 with all_valid true.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path("/work/shared/corpus/pdf/minimal-document.pdf")
BOUNDARY = "inksealbenchboundary"

_SETUP = """
from pathlib import Path
from inkseal.accounts.models import Party, Person, VerificationState
from inkseal.accounts.services import set_id_number
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting  # noqa: E402
from inkseal.pki.algorithms import RSA_2048
from inkseal.pki.services import issue_cloud_certificate, signing_key_for
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.core.signer import SealSigner
from inkseal.signing.tasks.timestamper import platform_timestamper, reserve_serials
from tests.signing.conftest import red_seal_png
person = Person(party=Party.objects.create(kind="person"), phone="13800009999", name="Bench")
set_id_number(person, "11010519880101001X")
person.verification_state = VerificationState.VERIFIED
person.save()
certificate = issue_cloud_certificate(person.party, algorithm=RSA_2048, years=1, acting=Acting.system())
key = signing_key_for(certificate)
reserve_serials(4)
signed = sign_pdf(Path(SOURCE).read_bytes(), signer=SealSigner(key.signer, key.certificate_der, key.chain),
                  placements=[Placement(SealImage(red_seal_png(), width_mm=42), AtPoint(1, 300, 300))],
                  timestamper=platform_timestamper())
Path(OUT).write_bytes(signed)
"""


def _inkseal(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "inkseal.cli", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def multipart(pdf: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="signed.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + pdf + f"\r\n--{BOUNDARY}--\r\n".encode()


def post_loop(port: int, body: bytes, deadline: float, counts: list[int], index: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    while time.perf_counter() < deadline:
        connection.request("POST", "/api/v1/verify", body, headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200 or not json.loads(answer)["all_valid"]:
            raise RuntimeError(f"verify answered {response.status}: {answer[:300]!r}")
        counts[index] += 1
    connection.close()


def rate(port: int, body: bytes, seconds: float, clients: int) -> float:
    counts = [0] * clients
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=post_loop, args=(port, body, deadline, counts, i)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def serve(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "inkseal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--no-control-socket", "--log-level", "warning"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per figure")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    port = free_port()
    env = {
        **os.environ,
        "INKSEAL_VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "INKSEAL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "INKSEAL_SANDBOX": "1",  # its default providers
        "INKSEAL_LOG_LEVEL": "WARNING",
        "INKSEAL_VERIFY_PER_IP_PER_MINUTE": "0",
        "INKSEAL_CA_RSA_ALGORITHM": "rsa-2048",
        "PYTHONPATH": str(ROOT),
    }
    try:
        _inkseal(env, "migrate", "-v0")
        _inkseal(env, "ca", "init")
        signed = work / "signed.pdf"
        _inkseal(env, "shell", "-c", f"SOURCE = {str(SOURCE)!r}; OUT = {str(signed)!r}\n" + _SETUP)
        body = multipart(signed.read_bytes())
        print(f"1-page PDF, one B-T seal (RSA-2048, our TSA), {len(body)} bytes per request")
        for workers, threads, clients in ((1, 1, 1), (2, 4, 4)):
            server = serve(env, port, workers, threads)
            try:
                rate(port, body, 2.0, clients)  # warm up (imports, caches)
                per_second = rate(port, body, args.seconds, clients)
            finally:
                server.terminate()
                server.wait(timeout=10)
            print(f"verifications/s over HTTP  gunicorn {workers}x{threads}, {clients} client(s)  {per_second:8.1f}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
