"""inkseal.core.db.sqlite3: writers queue on a file lock beside the database."""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler


@pytest.fixture(autouse=True)
def _unblocked(django_db_blocker: Any) -> Iterator[None]:
    """Connections of our own, to files of our own (not the test database)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[ConnectionHandler]:
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "inkseal.core.db.sqlite3",
                "NAME": str(tmp_path / "db.sqlite3"),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 5, "init_command": "PRAGMA journal_mode=WAL;"},
            }
        }
    )
    yield handler
    handler.close_all()


def _held(path: str) -> bool:
    """Whether someone holds the writers' lock (tried from a descriptor of our own)."""
    if not os.path.exists(path):
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        assert exc.errno in (errno.EAGAIN, errno.EACCES)
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _begin(connection) -> None:  # type: ignore[no-untyped-def]
    """What transaction.atomic does on entering its outermost block."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(connection, commit: bool = True) -> None:  # type: ignore[no-untyped-def]
    connection.commit() if commit else connection.rollback()
    connection.set_autocommit(True)


def test_a_transaction_holds_the_lock_until_commit_or_rollback(databases: ConnectionHandler) -> None:
    connection = databases["default"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    lock = f"{connection.settings_dict['NAME']}-writers"
    assert not _held(lock)
    _begin(connection)
    assert _held(lock)
    connection.cursor().execute("INSERT INTO t VALUES (1)")
    _end(connection)
    assert not _held(lock)
    _begin(connection)
    connection.cursor().execute("INSERT INTO t VALUES (2)")
    _end(connection, commit=False)
    assert not _held(lock)
    _begin(connection)
    connection.close()  # a connection closed mid-transaction (a worker stopping) lets go too
    assert not _held(lock)
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM t")
        assert cursor.fetchall() == [(1,)]


def test_concurrent_writers_all_commit(databases: ConnectionHandler) -> None:
    with databases["default"].cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n INTEGER)")
        cursor.execute("INSERT INTO counter VALUES (0)")
    errors: list[BaseException] = []

    def write() -> None:
        connection = databases["default"]  # this thread's own connection
        try:
            for _ in range(40):
                _begin(connection)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT n FROM counter")
                    (n,) = cursor.fetchone()
                    cursor.execute("UPDATE counter SET n = %s", [n + 1])
                _end(connection)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with databases["default"].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (160,)


def test_in_memory_databases_take_no_lock(tmp_path: Path) -> None:
    handler = ConnectionHandler({"default": {"ENGINE": "inkseal.core.db.sqlite3", "NAME": ":memory:"}})
    connection = handler["default"]
    _begin(connection)
    connection.cursor().execute("SELECT 1")
    _end(connection)
    assert connection._writer_fd is None
    assert not list(tmp_path.iterdir())
    handler.close_all()
