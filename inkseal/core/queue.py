"""The job queue (Huey): its SQLite storage, and the registry of jobs the consumer runs.

SQLite (Huey's default here, `var/huey.sqlite3`) is created 0600 like the database, since queued
jobs name the rows they work on. Redis needs nothing of ours (settings.HUEY picks huey.RedisHuey
when INKSEAL_HUEY_URL is set).

Each app's jobs live in its `jobs.py`. They are imported by the consumer (`inkseal run_huey`,
through `load_jobs`), not at Django setup: Huey and its storage drivers (redis, psycopg) would
otherwise load in every process, a one-line CLI command too. A web request that queues a job
imports that job's module where it queues it.
"""

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


def load_jobs() -> None:
    """Import every installed app's `jobs` module: their periodic jobs and tasks register with Huey."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")
