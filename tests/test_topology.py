"""The multi-node topology (scripts/topology.sh): PostgreSQL + Redis + HAProxy in front of two
`inkseal serve` app servers + two Huey consumers, on loopback, real processes; the files of every
node in one S3 bucket (moto's server mode).

- What a user or a platform does in several requests works whichever server each request reaches:
  a session, a one-time SMS code, the SMS and verification rate limits, an Idempotency-Key, an
  SSO ticket's jti (requests alternate between the two app servers, and go through HAProxy).
- kill -9 of one app server and one consumer in the middle of a load of sign tasks through
  HAProxy: every task ends completed or failed with a reason, none is lost or signed twice, no
  signed document lacks its record, file or audit row, and the load balancer keeps serving.

Small scale here (`make test`); bench/topology_failover_bench.py runs the failure test at full
scale and prints its figures. Skips only when a binary from Debian's packages is absent
(scripts/system-packages.sh test installs them, as `make test` does).
"""

from __future__ import annotations

import io
import json
import random
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import requests.adapters

from tests.helpers.s3_server import moto_s3, s3_client, storage_env
from tests.helpers.topology import Fixture, Topology, missing_binaries, one_page_pdf, run_failover

pytestmark = [
    pytest.mark.topology,
    pytest.mark.skipif(bool(missing_binaries()), reason=f"topology needs {', '.join(missing_binaries())}"),
]


def _free_base_port() -> int:
    """A base port whose five ports (load balancer, two app servers, Redis, stats) are free."""
    for _ in range(50):
        base = random.randrange(20_000, 40_000)
        try:
            for port in range(base, base + 5):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no five free ports in a row")


BUCKET = "inkseal-topology"


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    # not pytest's tmp_path: its parents are 0700, and PostgreSQL runs as its own user when root
    directory = Path(tempfile.mkdtemp(prefix="inkseal-topology-"))
    directory.chmod(0o755)
    # a throwaway database: no fsync, as scripts/with-postgres.sh runs the suite's
    pg_options = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        # every node's files in one S3 bucket (moto's server), as machines that share no disk would
        with moto_s3(directory / "moto.log", BUCKET) as endpoint:
            topology = Topology(
                directory,
                _free_base_port(),
                {"INKSEAL_TOPOLOGY_PG_OPTIONS": pg_options, **storage_env(endpoint, BUCKET)},
            )
            try:
                topology.script("start")
                yield topology
            finally:
                topology.script("stop")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def fixture(topology: Topology) -> Fixture:
    return Fixture(**topology.run("fixture", "4"))


def _csrf(session: requests.Session, base: str) -> str:
    assert session.get(f"{base}/login/", timeout=30).status_code == 200
    return session.cookies["csrftoken"]


def _last_code(base: str, phone: str, purpose: str) -> str:
    messages = requests.get(f"{base}/dev/sms.json", params={"phone": phone}, timeout=30).json()["messages"]
    ours = sorted((m for m in messages if m["purpose"].startswith(purpose)), key=lambda m: m["sent_at"])
    return ours[-1]["body"].split("验证码为")[1][:6]


def test_a_session_code_and_sms_limit_hold_across_servers(topology: Topology, fixture: Fixture) -> None:
    a, b = topology.app
    browser = requests.Session()
    token = _csrf(browser, a)  # the CSRF cookie from A
    phone = fixture.login_phone
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    sent = browser.post(f"{b}/login/code", data={"phone": phone}, headers=headers, timeout=30)
    assert sent.status_code == 200, sent.text[:300]
    # INKSEAL_SMS_PER_PHONE_PER_HOUR=2 for the topology: the code B sent counts on A, and the
    # two sent count on B
    again = browser.post(f"{a}/login/code", data={"phone": phone}, headers=headers, timeout=30)
    assert again.status_code == 200, again.text[:300]
    third = browser.post(f"{b}/login/code", data={"phone": phone}, headers=headers, timeout=30)
    assert third.status_code == 429 and third.json()["error"] == "rate_limited", third.text[:300]
    code = _last_code(a, phone, "login")
    # the code B sent signs in on A; the session A started is known to B and to the balancer
    login = browser.post(
        f"{a}/login/",
        data={"phone": phone, "code": code, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 302, login.text[:300]
    for base in (b, a, topology.lb, topology.lb):
        page = browser.get(f"{base}/account/", allow_redirects=False, timeout=30)
        assert page.status_code == 200 and phone[-4:] in page.text, (base, page.status_code)
    # the one-time code was consumed on A: another browser replaying it on B is refused
    other = requests.Session()
    other_token = _csrf(other, b)
    replay = other.post(
        f"{b}/login/",
        data={"phone": phone, "code": code, "csrfmiddlewaretoken": other_token},
        allow_redirects=False,
        timeout=30,
    )
    assert replay.status_code == 400
    assert other.get(f"{b}/account/", allow_redirects=False, timeout=30).status_code == 302


def test_the_verification_rate_limit_counts_both_servers(topology: Topology) -> None:
    """INKSEAL_VERIFY_PER_IP_PER_MINUTE=4 for the topology: four requests alternating A and B,
    the fifth refused, wherever it lands (a per-process counter would allow 4 per worker)."""
    a, b = topology.app
    pdf = one_page_pdf()
    for _attempt in range(2):  # a minute's window may turn in the middle: then once more
        window = int(time.time() // 60)
        answers = [
            requests.post(f"{base}/api/v1/verify", files={"file": ("a.pdf", io.BytesIO(pdf))}, timeout=60)
            for base in (a, b, a, b, a, b)
        ]
        if int(time.time() // 60) == window:
            break
    codes = [answer.status_code for answer in answers]
    assert 429 in codes and codes.index(429) <= 4, codes
    assert answers[codes.index(429)].json()["error"] == "verify_rate_limited"
    assert all(code == 429 for code in codes[codes.index(429) :]), codes


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connections from another loopback address (127.0.0.0/8 is all this machine's): a client
    elsewhere on the network, as the balancer sees it."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _client_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def test_per_ip_limits_see_the_client_behind_the_balancer(topology: Topology) -> None:
    """HAProxy passes each client's address to the app servers (PROXY protocol): one client using
    up its verification quota through the balancer does not use up everyone's, as it would if
    every request counted against the balancer's own address."""
    pdf = one_page_pdf()

    def verify(session: requests.Session) -> int:
        answer = session.post(f"{topology.lb}/api/v1/verify", files={"file": ("a.pdf", io.BytesIO(pdf))}, timeout=60)
        return answer.status_code

    for _attempt in range(2):  # a minute's window may turn in the middle: then once more
        window = int(time.time() // 60)
        greedy = [verify(_client_at("127.0.0.2")) for _ in range(6)]
        other = verify(_client_at("127.0.0.3"))
        if int(time.time() // 60) == window:
            break
    assert greedy.count(429) >= 2 and greedy[-1] == 429, greedy
    assert other == 200


def test_an_idempotency_key_returns_the_same_task_on_either_server(topology: Topology, fixture: Fixture) -> None:
    a, b = topology.app
    pdf = one_page_pdf()
    key = uuid.uuid4().hex
    created = []
    for base in (a, b, topology.lb):
        session = requests.Session()
        token = session.post(
            f"{base}/api/v1/oauth/token",
            data={"client_id": fixture.client_id, "client_secret": fixture.client_secret},
            timeout=30,
        ).json()["access_token"]
        response = session.post(
            f"{base}/api/v1/sign-tasks",
            data={"spec": fixture.spec(fixture.phones[0])},
            files={"files": ("bid.pdf", io.BytesIO(pdf))},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            timeout=60,
        )
        assert response.status_code in (200, 201), response.text[:300]
        created.append(response.json()["id"])
    assert len(set(created)) == 1, created


def test_an_sso_ticket_is_used_once_across_servers(topology: Topology, fixture: Fixture) -> None:
    a, b = topology.app
    now = int(time.time())
    ticket = jwt.encode(
        {
            "iss": fixture.platform_code,
            "aud": "inkseal",
            "iat": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
            "sub": "u-topology",
            "name": "李四",
            "phone": "13900001111",
        },
        fixture.ticket_secret,
        algorithm="HS256",
    )
    params = {"platform": fixture.platform_code, "ticket": ticket}
    first = requests.get(f"{a}/sso/jump", params=params, allow_redirects=False, timeout=30)
    assert first.status_code == 302, first.text[:500]
    replay = requests.get(f"{b}/sso/jump", params=params, allow_redirects=False, timeout=30)
    assert replay.status_code == 403 and 'id="error-code">ticket_replayed<' in replay.text


def test_kill_one_app_server_and_one_consumer_under_load(topology: Topology, fixture: Fixture) -> None:
    outcomes, load, kill_at = run_failover(topology, fixture, clients=4, tasks=16, kill_after=5)
    # the kill landed under load: tasks were on their way when it came
    assert any(outcome.started_at < kill_at < outcome.finished_at for outcome in outcomes)
    ids = [outcome.task_id for outcome in outcomes if outcome.task_id]
    assert len(ids) == len(outcomes), [outcome.error for outcome in outcomes if not outcome.task_id]
    path = topology.directory / "task_ids.json"
    path.write_text(json.dumps(ids))
    checked = topology.run("check", str(path))
    assert checked["found"] == len(ids) and checked["non_terminal"] == 0, checked
    assert checked["failed_without_reason"] == 0 and checked["signed_twice"] == 0, checked
    assert checked["missing_record_or_audit"] == 0 and checked["signed_files_missing"] == 0, checked
    assert checked["audit_chain_intact"], checked
    # the signed files are in the bucket, one per signed document, whichever node signed
    listed = s3_client(topology.env["INKSEAL_S3_ENDPOINT_URL"]).list_objects_v2(Bucket=BUCKET, Prefix="signing/signed/")
    assert listed.get("KeyCount", 0) == checked["documents_signed"] > 0, (listed.get("KeyCount"), checked)
    assert all(outcome.status in ("completed", "failed") for outcome in outcomes)
    assert all(outcome.downloaded for outcome in outcomes if outcome.status == "completed")
    # the balancer noticed within its health checks (1 s x 3): nothing failed after that
    late = [failure for at, failure in load.errors if at > kill_at + 4]
    assert not late, late
    assert load.probes and not [at for at in load.probe_failures if at > kill_at + 4], load.probe_failures
    assert requests.get(f"{topology.lb}/healthz", timeout=10).status_code == 200
