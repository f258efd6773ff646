"""The job queue's SQLite storage (Huey's default here, `var/huey.sqlite3`): created 0600 like
the database, since queued jobs name the rows they work on. Redis needs nothing of ours
(settings.HUEY picks huey.RedisHuey when INKSEAL_HUEY_URL is set)."""

from __future__ import annotations

import sqlite3

from huey import Huey
from huey.storage import SqliteStorage

from inkseal.core.db.sqlite3.base import make_private


class PrivateSqliteStorage(SqliteStorage):  # type: ignore[misc]
    def _create_connection(self) -> sqlite3.Connection:
        make_private(self.filename)
        return super()._create_connection()  # type: ignore[no-any-return]


class SqliteHuey(Huey):  # type: ignore[misc]
    storage_class = PrivateSqliteStorage
