"""Django's SQLite backend with a queue for writers.

SQLite lets one transaction write at a time. A transaction that finds the database taken (our
transactions begin IMMEDIATE) is retried by SQLite's busy handler after sleeps of 1, 2, 5, 10,
15, 20, 25, … 100 ms, so under concurrent requests the writer often sleeps long after the
database came free: bench/signing_http_bench.py showed the machine 40% idle while requests
queued. Here a transaction first takes an exclusive lock on a file beside the database
(`<name>-writers`, flock), polled at sub-millisecond steps, so the next writer starts as soon as
the last one commits; SQLite's own lock and timeout stay underneath. In-memory databases (the
test suite) have one process and skip it. The database file is created 0600 (private data).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from typing import Any

from django.db.backends.sqlite3 import base

_POLL_START, _POLL_MAX = 0.0002, 0.002  # seconds between tries while another writer holds the lock


def make_private(name: str) -> None:
    """Create the database file 0600 (SQLite gives its -wal, -shm and -journal files the same
    mode) and tighten files an earlier version left readable by others."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    for path in (name, f"{name}-wal", f"{name}-shm", f"{name}-journal"):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
                os.chmod(path, 0o600)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._writer_fd: int | None = None
        self._writer_locked = False

    def get_new_connection(self, conn_params: Any) -> Any:
        if not self.is_in_memory_db():
            make_private(str(self.settings_dict["NAME"]))
        return super().get_new_connection(conn_params)

    def _writer_lock(self) -> int | None:
        if self._writer_fd is None and not self.is_in_memory_db():
            path = f"{self.settings_dict['NAME']}-writers"
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._writer_fd

    def _acquire_writer(self) -> None:
        fd = self._writer_lock()
        if fd is None or self._writer_locked:
            return
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline, pause = time.monotonic() + timeout, _POLL_START
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            else:
                self._writer_locked = True
                return
            if time.monotonic() >= deadline:
                return  # SQLite's own lock and busy timeout decide (and report) from here
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)

    def _release_writer(self) -> None:
        if self._writer_locked and self._writer_fd is not None:
            self._writer_locked = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self) -> None:
        self._acquire_writer()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
