"""Signatures per second through the signing API end to end, against pyHanko and in-process signing.

    .venv/bin/python bench/signing_http_bench.py [--seconds 5] [--rounds 2] [--clients 4] [--workers N]
        [--batch 10] [--no-server]

A throwaway var dir and SQLite database (or the PostgreSQL database of DATABASE_URL, e.g. under
`scripts/with-postgres.sh`); a CA hierarchy, an enterprise with an RSA-2048 cloud
certificate and a bound 42 mm 公章, a platform with API credentials and one authorisation per
client (each client confirms as its own authorised person).
0. the issue's reference: pyHanko 0.38 with the key object cached and the signature size reserved
   (bench/signing_bench.py's baseline), PAdES B-B, on the same one-page PDF with the same seal
   picture, one thread;
1. in process: `sign_pdf` with the cached seal signer and our TSA (PAdES B-T), one-page PDF,
   one visible seal (what `services.sign_document` does minus the database writes); one thread,
   then one process per core in parallel (what the machine does with every core signing);
2. through the API with Django's test client (full request stack, no socket), one client: per
   signature POST /api/v1/sign-tasks, POST /api/v1/confirm/{token}/code, POST
   /api/v1/confirm/{token}, GET /api/v1/sign-tasks/{id}/documents/1 — task, SMS code,
   confirmation, records, audit rows, download;
3. the same over HTTP against `inkseal serve` (gunicorn as `make run` serves it: 2 worker
   processes per core, or --workers, of 2 threads each) with --clients concurrent clients on the
   same machine. The clients read their SMS codes from the outbox table (the phone's part); everything else is the API;
   then again with tasks of --batch documents (one confirmation signs them all, as a bidder
   signing a whole bid does), which spreads the task, SMS and confirmation over the batch.
The ratios compare each API figure with pyHanko's (issue #16's targets: at least 2.0x for
one-document tasks, 5x for batches) and with our own
in-process figures, all measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["INKSEAL_VAR_DIR"] = tempfile.mkdtemp(prefix="inkseal-bench-")
os.environ.setdefault("INKSEAL_SANDBOX", "1")  # the clients read SMS codes from the sandbox outbox
os.environ.setdefault("INKSEAL_SMS_PHONE_INTERVAL", "0")
os.environ.setdefault("INKSEAL_SMS_PER_PHONE_PER_HOUR", "1000000")
os.environ.setdefault("INKSEAL_SMS_PER_IP_PER_HOUR", "1000000")
os.environ.setdefault("INKSEAL_SMS_SIGN_PER_PHONE_PER_HOUR", "1000000")  # the sign-code limits too
os.environ.setdefault("INKSEAL_SMS_SIGN_PER_IP_PER_HOUR", "1000000")
os.environ.setdefault("INKSEAL_CA_RSA_ALGORITHM", "rsa-2048")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

import requests  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from inkseal.accounts.models import Enterprise, EnterpriseState, Membership, Party, Person, VerificationState  # noqa: E402
from inkseal.core.acting import Acting, Actor  # noqa: E402
from inkseal.core.management.commands.serve import THREADS, default_workers  # noqa: E402
from inkseal.notify.models import SmsMessage  # noqa: E402
from inkseal.pki.algorithms import RSA_2048  # noqa: E402
from inkseal.pki.authority_setup import ensure_hierarchy  # noqa: E402
from inkseal.pki.models import Certificate  # noqa: E402
from inkseal.pki.services import issue_cloud_certificate  # noqa: E402
from inkseal.platforms.models import TradingPlatform  # noqa: E402
from inkseal.platforms.services import do_authorize_certificate, do_create_api_client  # noqa: E402
from inkseal.seals.models import Seal, SealSource, SealType  # noqa: E402
from inkseal.seals.services import do_bind_seal  # noqa: E402
from inkseal.signing.core.appearance import SealImage  # noqa: E402
from inkseal.signing.core.pdf import sign_pdf  # noqa: E402
from inkseal.signing.core.placement import AtPoint, Placement  # noqa: E402
from inkseal.signing.tasks.signers import seal_signer  # noqa: E402
from inkseal.signing.tasks.timestamper import platform_timestamper, reserve_serials  # noqa: E402
from tests.signing.conftest import build_text_pdf, red_seal_png  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from signing_bench import CachedKeySigner, pyhanko_sign, reference_style, reserved_size, simple_signer  # noqa: E402

ACTING = Acting(Actor("system", "", "bench"))
PHONE = "13912345678"
CODE = re.compile(r"验证码为(\d{6})")


@dataclass
class Fixture:
    certificate: Certificate
    png: bytes
    client_id: str
    client_secret: str
    phones: list[str]

    def spec(self, phone: str = PHONE, documents: int = 1) -> str:
        placements = [{"seal_type": "official", "page": 1, "x": 300, "y": 300}]
        return json.dumps(
            {
                "signer": {"certificate_serial": self.certificate.serial},
                "confirmer": {"phone": phone},
                "documents": [{"file": n, "placements": placements} for n in range(documents)],
                "business_type": "投标文件",
            }
        )


def setup(confirmers: int = 1) -> Fixture:
    """The database, the PKI, a certificate with its bound 公章, a platform and `confirmers`
    authorised persons (PHONE first)."""
    call_command("migrate", verbosity=0)
    ensure_hierarchy()
    person = Person.objects.create(
        party=Party.objects.create(kind=Party.Kind.PERSON),
        phone="13800000001",
        name="刘婧妍",
        verification_state=VerificationState.VERIFIED,
    )
    enterprise = Enterprise.objects.create(
        party=Party.objects.create(kind=Party.Kind.ENTERPRISE),
        name="北京示范科技有限公司",
        uscc="91110108MA01234567",
        created_by=person,
        state=EnterpriseState.VERIFIED,
    )
    Membership.objects.create(person=person, enterprise=enterprise, role=Membership.Role.ADMIN)
    certificate = issue_cloud_certificate(enterprise.party, algorithm=RSA_2048, years=1, acting=ACTING)
    seal = Seal(
        owner=enterprise.party,
        kind=SealType.OFFICIAL,
        source=SealSource.TEMPLATE,
        name="公章",
        width_mm=42,
        height_mm=42,
        created_by=person,
    )
    png = red_seal_png(420)
    seal.image.save("official.png", ContentFile(png), save=False)
    seal.save()
    do_bind_seal(seal, certificate, acting=ACTING)
    platform = TradingPlatform.objects.create(name="基准平台", code="bench")
    client, secret = do_create_api_client(platform, acting=ACTING)
    now = timezone.now()
    phones = [PHONE] + [f"1391234{n:04d}" for n in range(1, confirmers)]
    for number, phone in enumerate(phones):
        # verified users of their phones: the authorisations are active at once (no confirmation SMS)
        Person.objects.create(
            party=Party.objects.create(kind=Party.Kind.PERSON),
            phone=phone,
            name=f"王五{number}",
            verification_state=VerificationState.VERIFIED,
        )
        do_authorize_certificate(
            certificate,
            platform,
            grantee_name=f"王五{number}",
            grantee_phone=phone,
            valid_from=now - timedelta(minutes=1),
            valid_until=now + timedelta(days=1),
            acting=ACTING,
        )
    return Fixture(certificate, png, client.client_id, secret, phones)


def one_page_pdf() -> bytes:
    return build_text_pdf([(0, [(72, 700, 14, "投标文件")])])


def rate(run: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run()
        count += 1
    return count / (time.perf_counter() - start)


# --- in process ---------------------------------------------------------------------------------


def in_process_signing(fixture: Fixture, pdf: bytes) -> Callable[[], object]:
    seal = SealImage(fixture.png, 42)
    certificate = fixture.certificate

    def sign() -> object:
        signer = seal_signer(certificate, timezone.now())
        reserve_serials(8)
        return sign_pdf(
            pdf, signer=signer, placements=[Placement(seal, AtPoint(1, 300, 300))], timestamper=platform_timestamper()
        )

    return sign


def _count_in_process(fixture: Fixture, pdf: bytes, seconds: float, start: float, counts: object) -> None:
    sign = in_process_signing(fixture, pdf)
    sign()  # warm up this process's caches
    while time.time() < start:
        time.sleep(0.001)
    count = 0
    while time.time() - start < seconds:
        sign()
        count += 1
    counts.put(count)  # type: ignore[attr-defined]


def in_process_parallel(fixture: Fixture, pdf: bytes, seconds: float, processes: int) -> float:
    """Signatures per second with `processes` forked processes signing at once."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    counts = context.Queue()
    start = time.time() + 2.0
    jobs = [
        context.Process(target=_count_in_process, args=(fixture, pdf, seconds, start, counts)) for _ in range(processes)
    ]
    for job in jobs:
        job.start()
    total = sum(counts.get() for _ in jobs)
    for job in jobs:
        job.join()
    return total / seconds


def pyhanko_reference(fixture: Fixture, pdf: bytes) -> Callable[[], object]:
    """pyHanko with a cached key and a reserved signature size (the issue's reference), B-B, an
    RSA-2048 key of a test PKI, the same PDF and seal picture (at its 42 mm box)."""
    from tests.helpers.signing_pki import make_test_pki

    style = reference_style(fixture.png)
    signer = simple_signer(make_test_pki(), CachedKeySigner)
    reserved = reserved_size(pyhanko_sign(pdf, signer, style, None))
    return lambda: pyhanko_sign(pdf, signer, style, reserved)


# --- through the API: Django's test client ----------------------------------------------------------


def test_client_flow(fixture: Fixture, pdf: bytes) -> Callable[[], object]:
    http = Client()
    token = http.post(
        "/api/v1/oauth/token", {"client_id": fixture.client_id, "client_secret": fixture.client_secret}
    ).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    spec = fixture.spec()

    def through_api() -> object:
        upload = io.BytesIO(pdf)
        upload.name = "bid.pdf"
        task = http.post("/api/v1/sign-tasks", {"spec": spec, "files": [upload]}, **auth).json()
        confirm = task["confirm_url"].rsplit("/", 1)[-1]
        http.post(f"/api/v1/confirm/{confirm}/code")
        body = SmsMessage.objects.filter(phone=PHONE).order_by("-pk").first().body  # type: ignore[union-attr]
        code = CODE.search(body).group(1)  # type: ignore[union-attr]
        done = http.post(f"/api/v1/confirm/{confirm}", {"method": "sms", "code": code}, content_type="application/json")
        assert done.json()["status"] == "completed", done.content
        response = http.get(f"/api/v1/sign-tasks/{task['id']}/documents/1", **auth)
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    return through_api


# --- through the API over HTTP: `inkseal serve` -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@contextmanager
def served(workers: int) -> Iterator[Server]:
    """`inkseal serve` on a free port over this benchmark's var dir, until the block ends."""
    connections.close_all()
    port = _free_port()
    log = open(Path(os.environ["INKSEAL_VAR_DIR"]) / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "inkseal.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT,
        env={**os.environ, "INKSEAL_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 300  # a loaded machine: 4 workers loading the OCR engine
        while True:
            try:
                if requests.get(f"{server.url}/healthz", timeout=10).ok and len(server.worker_pids()) >= workers:
                    break
            except requests.RequestException:  # not listening yet, or still loading the app
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"inkseal serve did not start, see {log.name}")
            time.sleep(0.2)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


class HttpClient:
    """One platform client driving whole tasks over HTTP; its authorised person reads the SMS."""

    def __init__(self, server: Server, fixture: Fixture, phone: str, documents: int = 1):
        self.server, self.phone, self.documents = server, phone, documents
        self.spec = fixture.spec(phone, documents)
        self.session = requests.Session()
        token = self.session.post(
            f"{server.url}/api/v1/oauth/token",
            data={"client_id": fixture.client_id, "client_secret": fixture.client_secret},
        ).json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}

    def sms_code(self) -> str:
        """The phone's part: read the code from the sandbox outbox table (SQLite or PostgreSQL)."""
        body = SmsMessage.objects.filter(phone=self.phone).order_by("-pk").values_list("body", flat=True).first()
        return CODE.search(body or "").group(1)  # type: ignore[union-attr]

    def sign(self, pdf: bytes | Path, name: str = "bid.pdf", timings: dict[str, float] | None = None) -> bytes:
        """Task → SMS code → confirmation → download; the signed PDF. `timings`: seconds per step."""
        url, marks = self.server.url, [time.perf_counter()]
        if self.documents > 1:  # a batch: one task, one confirmation, every document signed
            assert isinstance(pdf, bytes)
            files = [("files", (f"{n}-{name}", io.BytesIO(pdf))) for n in range(self.documents)]
            created = self.session.post(
                f"{url}/api/v1/sign-tasks", data={"spec": self.spec}, files=files, headers=self.auth
            )
        else:
            with open(pdf, "rb") if isinstance(pdf, Path) else io.BytesIO(pdf) as upload:
                created = self.session.post(
                    f"{url}/api/v1/sign-tasks",
                    data={"spec": self.spec},
                    files={"files": (name, upload)},
                    headers=self.auth,
                )
        assert created.status_code == 201, created.content[:500]
        task = created.json()
        confirm = task["confirm_url"].rsplit("/", 1)[-1]
        marks.append(time.perf_counter())
        assert self.session.post(f"{url}/api/v1/confirm/{confirm}/code").ok
        done = self.session.post(f"{url}/api/v1/confirm/{confirm}", json={"method": "sms", "code": self.sms_code()})
        assert done.ok and done.json()["status"] == "completed", done.content[:500]
        marks.append(time.perf_counter())
        for n in range(1, self.documents + 1):
            signed = self.session.get(f"{url}/api/v1/sign-tasks/{task['id']}/documents/{n}", headers=self.auth)
            assert signed.status_code == 200
        marks.append(time.perf_counter())
        if timings is not None:
            for step, (begin, end) in zip(("upload", "confirm", "download"), itertools.pairwise(marks), strict=True):
                timings[step] = end - begin
        return signed.content


def http_rate(server: Server, fixture: Fixture, pdf: bytes, clients: int, seconds: float, documents: int = 1) -> float:
    """Signatures per second with `clients` threads each driving whole tasks (of `documents`
    one-page PDFs, one seal each) at once."""
    pool = [HttpClient(server, fixture, phone, documents) for phone in fixture.phones[:clients]]
    for client in pool:
        client.sign(pdf)  # warm up every worker thread's caches
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def drive(index: int) -> None:
        while time.perf_counter() < stop:
            pool[index].sign(pdf)
            counts[index] += documents

    start = time.perf_counter()
    threads = [threading.Thread(target=drive, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best of each figure is shown")
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients over HTTP")
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="gunicorn worker processes (inkseal serve's default)"
    )
    parser.add_argument("--no-server", action="store_true", help="skip the HTTP measurement")
    parser.add_argument("--batch", type=int, default=10, help="documents per task in the batch measurement (0: skip)")
    args = parser.parse_args()
    fixture = setup(confirmers=max(1, args.clients))
    pdf = one_page_pdf()
    cores = os.cpu_count() or 1
    threads = int(os.environ.get("INKSEAL_THREADS") or THREADS)

    reference = pyhanko_reference(fixture, pdf)
    sign, through_api = in_process_signing(fixture, pdf), test_client_flow(fixture, pdf)
    reference(), sign(), through_api()  # warm up
    # The machine's speed drifts from minute to minute: every figure is measured once per round,
    # the rounds interleaved, and the best round of each is shown (as bench/signing_bench.py does).
    best: dict[str, float] = {}

    def keep(name: str, value: float) -> None:
        best[name] = max(best.get(name, 0.0), value)

    with served(args.workers) if not args.no_server else contextlib.nullcontext() as server:
        for _ in range(args.rounds):
            keep("pyhanko", rate(reference, args.seconds))
            keep("local", rate(sign, args.seconds))
            keep("api", rate(through_api, args.seconds))
            keep("parallel", in_process_parallel(fixture, pdf, args.seconds, cores))
            if server is not None:
                keep("http", http_rate(server, fixture, pdf, args.clients, args.seconds))
                if args.batch > 1:
                    keep("batch", http_rate(server, fixture, pdf, args.clients, args.seconds, args.batch))
    pyhanko, local, parallel = best["pyhanko"], best["local"], best["parallel"]

    def ratios(figure: float, target: float = 2.0) -> str:  # issue #16: 2.0x one document, 5x batches
        return (
            f"  ({figure / pyhanko:.2f}x pyHanko, target >= {target:g}x;"
            f" {figure / local:.2f}x ours in process 1 thread, {figure / parallel:.2f}x {cores} processes)"
        )

    print(f"{cores} cores, best of {args.rounds} interleaved rounds of {args.seconds:g} s")
    print(f"pyHanko, cached key + reserved size, B-B, 1 thread:            {pyhanko:7.1f} signatures/s")
    print(f"in process (sign_pdf, cached signer, our TSA, B-T), 1 thread:  {local:7.1f} signatures/s")
    print(f"in process, {cores} processes at once (one per core):              {parallel:7.1f} signatures/s")
    print(
        f"API end to end, Django test client, 1 client (4 requests):   {best['api']:7.1f} signatures/s"
        + ratios(best["api"])
    )
    if "http" in best:
        print(
            f"API end to end over HTTP, gunicorn {args.workers}x{threads} threads, {args.clients} clients:"
            f" {best['http']:7.1f} signatures/s" + ratios(best["http"])
        )
    if "batch" in best:
        print(
            f"  the same, tasks of {args.batch} documents (one confirmation): {best['batch']:7.1f} signatures/s"
            + ratios(best["batch"], 5.0)
        )


if __name__ == "__main__":
    main()
