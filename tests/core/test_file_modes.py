"""Generated state is private to the service's user: SQLite files 0600, var/ and var/secrets 0700,
stored uploads 0600."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections

from inkseal.conf import secret_file, var_dir
from inkseal.core.db.sqlite3.base import DatabaseWrapper


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _open(path: Path) -> DatabaseWrapper:
    # a SQLite database whatever the suite runs on (the PostgreSQL run's HOST and OPTIONS do not apply)
    blank = {"HOST": "", "PORT": "", "USER": "", "PASSWORD": "", "OPTIONS": {}}
    settings_dict = {**connections["default"].settings_dict, **blank, "NAME": str(path)}
    connection = DatabaseWrapper(settings_dict, alias="file-modes")
    connection.ensure_connection()
    return connection


def test_a_new_sqlite_database_and_its_wal_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "inkseal.sqlite3"
    connection = _open(path)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE t (x)")
        cursor.execute("INSERT INTO t VALUES (1)")
    for name in ("inkseal.sqlite3", "inkseal.sqlite3-wal", "inkseal.sqlite3-shm"):
        assert _mode(tmp_path / name) == 0o600, name
    connection.close()


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    _open(path).close()
    assert _mode(path) == 0o600


def test_var_and_secrets_directories_are_0700(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("INKSEAL_VAR_DIR", str(tmp_path / "var"))
    assert _mode(var_dir()) == 0o700
    secret_file("example")
    assert _mode(tmp_path / "var" / "secrets") == 0o700
    assert _mode(tmp_path / "var" / "secrets" / "example") == 0o600


def test_an_existing_open_var_directory_is_tightened(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "var").mkdir(mode=0o755)
    (tmp_path / "var").chmod(0o755)
    monkeypatch.setenv("INKSEAL_VAR_DIR", str(tmp_path / "var"))
    assert _mode(var_dir()) == 0o700


def test_stored_files_are_0600_in_0700_directories(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "location": str(tmp_path / "media")},
        },
    }
    name = default_storage.save("documents/a/b.pdf", ContentFile(b"%PDF-"))
    assert _mode(tmp_path / "media" / name) == 0o600
    assert _mode(tmp_path / "media" / "documents" / "a") == 0o700


pytestmark = pytest.mark.django_db
