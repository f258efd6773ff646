"""The multi-node topology of scripts/topology.sh (PostgreSQL + Redis + HAProxy in front of two
`inkseal serve` app servers + two Huey consumers, all on loopback) driven from the tests
(tests/test_topology.py) and the benchmark (bench/topology_failover_bench.py).

The test process never opens the topology's database with its own Django: what must happen in
the database (the fixture, the final checks, queueing a job) runs in a subprocess with the
topology's environment (`python -m tests.helpers.topology fixture|check|job`), as an operator's
command would. Clients talk HTTP only: to the load balancer, or to one app server directly.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "topology.sh"
CODE = re.compile(r"验证码为(\d{6})")
TICKET_SECRET_BYTES = 32
TERMINAL = ("completed", "failed")
# What every node of a test topology runs with: sign-code quotas out of the way of a load from one
# IP and no interval between codes (a client whose confirmation died with its server asks for a
# new code at once), a short heartbeat timeout so that a task whose server died is taken over
# within seconds, a small verification limit and login quota the alternation tests can reach.
NODE_ENV = {
    "INKSEAL_SMS_SIGN_PER_PHONE_PER_HOUR": "1000000",
    "INKSEAL_SMS_SIGN_PER_IP_PER_HOUR": "1000000",
    "INKSEAL_SMS_PER_IP_PER_HOUR": "1000000",
    "INKSEAL_SMS_PHONE_INTERVAL": "0",
    "INKSEAL_SMS_PER_PHONE_PER_HOUR": "2",
    "INKSEAL_VERIFY_PER_IP_PER_MINUTE": "4",
    "INKSEAL_SIGN_HEARTBEAT_TIMEOUT": "4",
    "INKSEAL_CA_RSA_ALGORITHM": "rsa-2048",
    "INKSEAL_PDF_PARSE_WALL_SECONDS": "120",
    "INKSEAL_WORKERS": "2",
    "INKSEAL_OCR_WARMUP": "0",  # nothing here reads pictures: 4 workers x ~3 s (more when loaded) saved
}


def missing_binaries() -> list[str]:
    """What the topology needs from Debian's packages and this machine lacks."""
    path = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"  # as scripts/topology.sh looks
    binaries = ("redis-server", "redis-cli", "haproxy", "curl")
    missing = [name for name in binaries if shutil.which(name, path=path) is None]
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        missing.append("postgresql (initdb)")
    return missing


@dataclass
class Topology:
    directory: Path
    port: int
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def lb(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app(self) -> tuple[str, str]:
        return f"http://127.0.0.1:{self.port + 1}", f"http://127.0.0.1:{self.port + 2}"

    def _script_env(self) -> dict[str, str]:
        return {
            **os.environ,
            **NODE_ENV,
            **self.extra_env,
            "INKSEAL_TOPOLOGY_DIR": str(self.directory),
            "INKSEAL_TOPOLOGY_PORT": str(self.port),
            "INKSEAL_VENV": str(Path(sys.executable).parent.parent),
        }

    def script(self, command: str) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=self._script_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 and command != "status":
            raise RuntimeError(f"topology.sh {command} failed: {done.stdout}{done.stderr}")
        return done.stdout

    @property
    def env(self) -> dict[str, str]:
        """The environment of a command acting on this topology (topology.sh env)."""
        values = dict(re.findall(r"^export (\w+)='([^']*)'$", self.script("env"), re.M))
        return {**self._script_env(), **values, "DJANGO_SETTINGS_MODULE": "inkseal.settings"}

    def pid(self, name: str) -> int:
        return int((self.directory / "run" / f"{name}.pid").read_text())

    def kill9(self, name: str) -> None:
        """SIGKILL a node: an app server's whole process group (gunicorn's master and workers)."""
        pid = self.pid(name)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def run(self, *args: str, timeout: float = 300) -> Any:
        """`python -m tests.helpers.topology <args>` against this topology; its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.helpers.topology", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"topology {args[0]} failed: {done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def running(directory: Path, port: int, **extra_env: str) -> Iterator[Topology]:
    topology = Topology(directory, port, extra_env)
    try:
        topology.script("start")
        yield topology
    finally:
        topology.script("stop")


# --- the platform's side: whole sign tasks over HTTP ------------------------------------------------


@dataclass
class Fixture:
    client_id: str
    client_secret: str
    certificate_serial: str
    phones: list[str]
    platform_code: str
    ticket_secret: str
    login_phone: str

    def spec(self, phone: str, documents: int = 1) -> str:
        placements = [{"seal_type": "official", "page": 1, "x": 300, "y": 300}]
        return json.dumps(
            {
                "signer": {"certificate_serial": self.certificate_serial},
                "confirmer": {"phone": phone},
                "documents": [{"file": n, "placements": placements} for n in range(documents)],
                "business_type": "投标文件",
            }
        )


def one_page_pdf() -> bytes:
    from tests.signing.conftest import build_text_pdf

    return bytes(build_text_pdf([(0, [(72, 700, 14, "投标文件")])]))


@dataclass
class Outcome:
    task_id: str = ""
    status: str = ""
    failure_code: str = ""
    downloaded: bool = False
    retries: int = 0
    error: str = ""
    started_at: float = 0.0
    finished_at: float = 0.0


@dataclass
class Load:
    """Counts of what the clients saw, for the figures."""

    requests: int = 0
    errors: list[tuple[float, str]] = field(default_factory=list)
    probes: int = 0  # GET /healthz through the balancer while the load runs
    probe_failures: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, failure: str = "") -> None:
        with self.lock:
            self.requests += 1
            if failure:
                self.errors.append((time.monotonic(), failure))


class PlatformClient:
    """A trading platform driving whole one-document tasks through one URL (the load balancer),
    as a careful client does when a server may die: the task is created with an Idempotency-Key
    and the create retried with the same key on a 5xx or a broken connection; the confirmation is
    not replayed but the task polled until it is completed or failed."""

    def __init__(self, base: str, fixture: Fixture, phone: str, load: Load, timeout: float = 120):
        import requests

        self.base, self.fixture, self.phone, self.load, self.timeout = base, fixture, phone, load, timeout
        self.http = requests.Session()
        self.auth = {"Authorization": f"Bearer {self._token()}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        try:
            response = self.http.request(method, f"{self.base}{path}", timeout=60, **kwargs)
        except requests.RequestException as exc:
            self.load.count(type(exc).__name__)
            return None
        self.load.count(f"HTTP {response.status_code}" if response.status_code >= 500 else "")
        return response

    def _retrying(self, method: str, path: str, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            response = self._call(method, path, **kwargs)
            if response is not None and response.status_code < 500:
                return response
            if time.monotonic() > deadline:
                return response
            time.sleep(0.3)

    def _token(self) -> str:
        data = {"client_id": self.fixture.client_id, "client_secret": self.fixture.client_secret}
        return str(self._retrying("POST", "/api/v1/oauth/token", data=data).json()["access_token"])

    def sms_code(self, purpose_prefix: str) -> str:
        for _ in range(50):
            response = self._retrying("GET", f"/dev/sms.json?phone={self.phone}")
            for message in sorted(response.json()["messages"], key=lambda m: m["sent_at"], reverse=True):
                if message["purpose"].startswith(purpose_prefix):
                    return CODE.search(message["body"]).group(1)  # type: ignore[union-attr]
            time.sleep(0.1)
        raise AssertionError(f"no {purpose_prefix} code for {self.phone}")

    def sign(self, pdf: bytes) -> Outcome:
        outcome = Outcome(started_at=time.monotonic())
        key = uuid.uuid4().hex
        spec = self.fixture.spec(self.phone)
        deadline = time.monotonic() + self.timeout
        while True:  # create: the same Idempotency-Key whichever server answers
            created = self._call(
                "POST",
                "/api/v1/sign-tasks",
                data={"spec": spec},
                files={"files": ("bid.pdf", io.BytesIO(pdf))},
                headers={**self.auth, "Idempotency-Key": key},
            )
            if created is not None and created.status_code < 500:
                break
            outcome.retries += 1
            if time.monotonic() > deadline:
                outcome.error = "create never answered"
                return outcome
            time.sleep(0.3)
        if created.status_code != 201 and created.status_code != 200:
            outcome.error = f"create refused: {created.status_code} {created.text[:200]}"
            return outcome
        task = created.json()
        outcome.task_id = task["id"]
        token = task["confirm_url"].rsplit("/", 1)[-1]
        for _attempt in range(3):  # confirm; again with a new code if the first never reached a server
            sent = self._retrying("POST", f"/api/v1/confirm/{token}/code")
            if sent is None or not sent.ok:
                break
            code = self.sms_code("sign:")
            confirmed = self._call("POST", f"/api/v1/confirm/{token}", json={"method": "sms", "code": code})
            if confirmed is not None and confirmed.status_code < 500:
                break
            outcome.retries += 1
            shown = self._retrying("GET", f"/api/v1/sign-tasks/{outcome.task_id}", headers=self.auth)
            if shown is None or not shown.ok or shown.json()["status"] != "pending":
                break  # the confirmation arrived: the task is signing (or done), whoever finishes it
        while time.monotonic() < deadline:  # the task's own answer, from any server
            shown = self._retrying("GET", f"/api/v1/sign-tasks/{outcome.task_id}", headers=self.auth)
            if shown is not None and shown.ok and shown.json()["status"] in TERMINAL:
                outcome.status = shown.json()["status"]
                outcome.failure_code = (shown.json().get("failure") or {}).get("code", "")
                break
            time.sleep(0.5)
        if outcome.status == "completed":
            signed = self._retrying("GET", f"/api/v1/sign-tasks/{outcome.task_id}/documents/1", headers=self.auth)
            outcome.downloaded = signed is not None and signed.ok and signed.content.startswith(b"%PDF")
        outcome.finished_at = time.monotonic()
        return outcome


def run_failover(
    topology: Topology, fixture: Fixture, *, clients: int, tasks: int, kill_after: int, cron: bool = False
) -> tuple[list[Outcome], Load, float]:
    """`clients` platform threads sign `tasks` one-document tasks through HAProxy; once
    `kill_after` are done, app server 1 and consumer 1 are SIGKILLed. Then (unless `cron`: the
    consumer's minute cron does it) the recovery job is queued every few seconds until every
    client has its answer. Returns the outcomes, the clients' request counts and the kill time."""
    pdf = one_page_pdf()
    load = Load()
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    remaining = iter(range(tasks))
    killed = threading.Event()
    kill_at = [0.0]

    def drive(phone: str) -> None:
        client = PlatformClient(topology.lb, fixture, phone, load, timeout=180)
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            outcome = client.sign(pdf)
            with lock:
                outcomes.append(outcome)
                if len(outcomes) >= kill_after and not killed.is_set():
                    killed.set()

    threads = [threading.Thread(target=drive, args=(phone,)) for phone in fixture.phones[:clients]]
    for thread in threads:
        thread.start()
    probe = threading.Thread(target=_probe_balancer, args=(topology.lb, load, threads), daemon=True)
    probe.start()
    killed.wait(timeout=300)
    topology.kill9("app1")
    topology.kill9("jobs1")
    kill_at[0] = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        if not cron and time.monotonic() > kill_at[0] + 5:
            topology.run("job", "recover_stalled_sign_tasks_job")
        for thread in threads:
            thread.join(timeout=5)
    probe.join(timeout=5)
    return outcomes, load, kill_at[0]


def _probe_balancer(base: str, load: Load, clients: list[threading.Thread]) -> None:
    """GET /healthz through the balancer every 0.1 s while the clients run."""
    import requests

    while any(thread.is_alive() for thread in clients):
        try:
            ok = requests.get(f"{base}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            ok = False
        with load.lock:
            load.probes += 1
            if not ok:
                load.probe_failures.append(time.monotonic())
        time.sleep(0.1)


# --- run in a subprocess against the topology's database ------------------------------------------


def _fixture(confirmers: int) -> dict[str, Any]:
    import secrets
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from inkseal.accounts.models import Enterprise, EnterpriseState, Membership, Party, Person, VerificationState
    from inkseal.core.acting import Acting, Actor
    from inkseal.pki.algorithms import RSA_2048
    from inkseal.pki.authority_setup import ensure_hierarchy
    from inkseal.pki.services import issue_cloud_certificate
    from inkseal.platforms.models import TradingPlatform
    from inkseal.platforms.services import do_authorize_certificate, do_create_api_client, set_ticket_secret
    from inkseal.seals.models import Seal, SealSource, SealType
    from inkseal.seals.services import do_bind_seal
    from tests.signing.conftest import red_seal_png

    acting = Acting(Actor("system", "", "topology"))
    ensure_hierarchy()
    suffix = f"{secrets.randbelow(10_000):04d}"
    admin = Person.objects.create(
        party=Party.objects.create(kind=Party.Kind.PERSON),
        phone=f"1380000{suffix}",
        name="刘婧妍",
        verification_state=VerificationState.VERIFIED,
    )
    enterprise = Enterprise.objects.create(
        party=Party.objects.create(kind=Party.Kind.ENTERPRISE),
        name=f"北京示范科技有限公司{suffix}",
        uscc=f"91110108MA0{suffix}567",
        created_by=admin,
        state=EnterpriseState.VERIFIED,
    )
    Membership.objects.create(person=admin, enterprise=enterprise, role=Membership.Role.ADMIN)
    certificate = issue_cloud_certificate(enterprise.party, algorithm=RSA_2048, years=1, acting=acting)
    seal = Seal(
        owner=enterprise.party,
        kind=SealType.OFFICIAL,
        source=SealSource.TEMPLATE,
        name="公章",
        width_mm=42,
        height_mm=42,
        created_by=admin,
    )
    seal.image.save("official.png", ContentFile(red_seal_png(420)), save=False)
    seal.save()
    do_bind_seal(seal, certificate, acting=acting)
    ticket_secret = secrets.token_urlsafe(TICKET_SECRET_BYTES)
    platform = TradingPlatform(
        name="拓扑测试平台", code=f"topo{suffix}", ticket_algorithm=TradingPlatform.TicketAlgorithm.HS256
    )
    set_ticket_secret(platform, ticket_secret)
    platform.callback_url = os.environ.get("TOPOLOGY_CALLBACK_URL", "")
    platform.save()
    client, client_secret = do_create_api_client(platform, acting=acting)
    now = timezone.now()
    phones = [f"1391{suffix}{n:03d}" for n in range(confirmers)]
    for number, phone in enumerate(phones):
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
            acting=acting,
        )
    return {
        "client_id": client.client_id,
        "client_secret": client_secret,
        "certificate_serial": certificate.serial,
        "phones": phones,
        "platform_code": platform.code,
        "ticket_secret": ticket_secret,
        "login_phone": admin.phone,
    }


def _check(task_ids: list[str]) -> dict[str, Any]:
    """What the database and the storage say about these tasks after the load."""
    from django.core.files.storage import default_storage

    from inkseal.audit.services import verify_log
    from inkseal.signing.models import SigningRecord, SignTask
    from tests.helpers.sign_lifecycle import batch_invariants

    tasks = SignTask.objects.filter(public_id__in=task_ids)
    figures = batch_invariants(tasks)
    signed_twice = sum(
        SigningRecord.objects.filter(document=document, result=SigningRecord.Result.SUCCESS).count() > 1
        for task in tasks
        for document in task.documents.all()
    )
    files_missing = sum(
        bool(document.signed) and not default_storage.exists(document.signed.name)
        for task in tasks
        for document in task.documents.all()
    )
    failed_without_reason = tasks.filter(status="failed", failure_code="").count()
    statuses: dict[str, int] = {}
    for status in tasks.values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    failures: dict[str, int] = {}
    for code in tasks.filter(status="failed").values_list("failure_code", flat=True):
        failures[code] = failures.get(code, 0) + 1
    chain = verify_log()
    return {
        "tasks": figures.tasks,
        "found": tasks.count(),
        "non_terminal": figures.non_terminal,
        "statuses": statuses,
        "failures": failures,
        "documents_signed": figures.documents_signed,
        "missing_record_or_audit": figures.documents_missing_rows,
        "without_callback": figures.tasks_without_callback,
        "orphaned_files": figures.orphaned_files,
        "signed_twice": signed_twice,
        "signed_files_missing": files_missing,
        "failed_without_reason": failed_without_reason,
        "recovered_by_a_consumer": tasks.filter(recoveries__gt=0).count(),
        "audit_chain_intact": chain.intact,
        "audit_entries": chain.checked,
    }


def _job(name: str) -> dict[str, Any]:
    """Queue one of the periodic jobs now (on Redis: a live consumer takes it), as cron would."""
    from inkseal.signing import jobs

    getattr(jobs, name)()
    return {"queued": name}


def main() -> None:
    import django

    django.setup()
    command, args = sys.argv[1], sys.argv[2:]
    if command == "fixture":
        answer = _fixture(int(args[0]) if args else 4)
    elif command == "check":
        answer = _check(json.loads(Path(args[0]).read_text()))
    elif command == "job":
        answer = _job(args[0])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    main()
