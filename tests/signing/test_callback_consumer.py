"""The job consumer for real: Huey's consumer (a worker and the scheduler, as threads here, since
the test database lives in this process's memory) delivers a finished task's callback to a
platform on 127.0.0.1 that first answers 503, and makes the retry after the backoff. The retry
waits in the queue's storage across a restart of the consumer. On the default SQLite storage
(its file 0600) and on Redis (skipped where redis-server is not installed). Also: the settings
pick the storage from the environment, as `inkseal run_huey` and the web processes see it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from inkseal.core.queue import PrivateSqliteStorage
from inkseal.signing.callbacks import delivery
from inkseal.signing.models import CallbackDelivery
from tests.helpers.callback_server import callback_server
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_SERVER = shutil.which("redis-server")


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A throwaway redis-server on a unix socket in `directory` (no TCP port, nothing saved)."""
    assert REDIS_SERVER is not None
    socket = directory / "redis.sock"
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"unix://{socket}"
    finally:
        server.terminate()
        server.wait(10)


@contextmanager
def queue_storage(storage: Any) -> Iterator[None]:
    """The suite's Huey (its jobs registered) on `storage` instead of memory."""
    memory = HUEY.storage
    HUEY.storage = storage
    try:
        yield
    finally:
        HUEY.storage = memory


@contextmanager
def running_consumer() -> Iterator[None]:
    """Huey's consumer, started as `inkseal run_huey` starts it (thread workers), until the block
    ends; then stopped gracefully (the attempt in hand finishes)."""
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = HUEY.create_consumer(
        workers=1, worker_type="thread", periodic=False, initial_delay=0.05, max_delay=0.2, check_worker_health=False
    )
    consumer.start()
    try:
        yield
    finally:
        consumer.stop(graceful=True)
        for signum, handler in handlers.items():  # the consumer takes the signals of the main thread
            signal.signal(signum, handler)


def _finish_task(signing: Signing, callback_url: str) -> None:
    body = signing.create(spec=signing.spec(callback_url=callback_url)).json()
    token = confirm_token(body["confirm_url"])
    signing.client.post(f"/api/v1/confirm/{token}/code")
    confirmed = signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": sms_code(signing.client)}, content_type="application/json"
    )
    assert confirmed.json()["status"] == "completed", confirmed.content


def _deliver_with_a_retry_across_a_restart(signing: Signing, open_storage: Any) -> None:
    with callback_server(503, 200) as platform:
        with queue_storage(open_storage()):
            _finish_task(signing, platform.url)
            assert HUEY.pending_count() == 1  # the first attempt waits for the consumer
            with running_consumer():
                platform.wait_for(1)  # 503
            retry = HUEY.pending() + HUEY.scheduled()  # stored: queued with its time, or already scheduled
            assert len(retry) == 1 and retry[0].eta is not None  # the retry, after its backoff
        # The test database is read only while no consumer runs: it lives in memory, shared by threads.
        record = CallbackDelivery.objects.get()
        assert record.state == "pending" and record.attempts == 1 and record.last_error == "HTTP 503"

        with queue_storage(open_storage()):  # a new consumer process would open the queue anew
            with running_consumer():
                platform.wait_for(2)
                time.sleep(0.2)  # the acknowledgement recorded before the graceful stop
            assert HUEY.pending_count() == 0 and HUEY.scheduled_count() == 0
    record.refresh_from_db()
    assert record.state == "delivered" and record.attempts == 2 and record.last_error == ""
    sent = platform.received[-1]
    assert delivery.verify_signature(signing.callback_key, sent.headers[delivery.SIGNATURE_HEADER], sent.body)
    assert json.loads(sent.body)["status"] == "completed"


def test_the_consumer_delivers_a_callback_and_retries_after_a_503_on_sqlite(
    signing: Signing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", (2,))
    queue = tmp_path / "huey.sqlite3"
    _deliver_with_a_retry_across_a_restart(signing, lambda: PrivateSqliteStorage("inkseal", filename=str(queue)))
    assert stat.S_IMODE(queue.stat().st_mode) == 0o600


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (Debian package redis-server)")
def test_the_consumer_delivers_a_callback_and_retries_after_a_503_on_redis(
    signing: Signing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "BACKOFF_SECONDS", (2,))
    with redis_server(tmp_path) as url:
        _deliver_with_a_retry_across_a_restart(signing, lambda: RedisStorage("inkseal", url=url))


_SHOW_QUEUE = """
import json, os, stat
from huey.contrib.djhuey import HUEY
HUEY.storage.enqueue(b"probe")
shown = {"class": type(HUEY).__name__, "queued": HUEY.storage.queue_size()}
if hasattr(HUEY.storage, "filename"):
    shown.update(file=HUEY.storage.filename, mode=oct(stat.S_IMODE(os.stat(HUEY.storage.filename).st_mode)))
print(json.dumps(shown))
"""


def _queue_in_a_process(var_dir: Path, huey_url: str = "") -> dict[str, Any]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "inkseal.settings", "INKSEAL_VAR_DIR": str(var_dir)}
    env["INKSEAL_HUEY_URL"] = huey_url
    shown = subprocess.run(
        [sys.executable, "-c", _SHOW_QUEUE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    return dict(json.loads(shown.stdout.strip().splitlines()[-1]))


def test_the_queue_is_a_private_sqlite_file_in_var_by_default(tmp_path: Path) -> None:
    shown = _queue_in_a_process(tmp_path)
    assert shown == {"class": "SqliteHuey", "queued": 1, "file": str(tmp_path / "huey.sqlite3"), "mode": "0o600"}


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (Debian package redis-server)")
def test_inkseal_huey_url_puts_the_queue_on_redis(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        assert _queue_in_a_process(tmp_path, url) == {"class": "RedisHuey", "queued": 1}
