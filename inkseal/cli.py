"""The `inkseal` command: Django's management commands for operators and integrators.

`inkseal serve`, `inkseal migrate`, `inkseal audit verify`, `inkseal bootstrap`, ... — any
management command, with settings from the environment.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(["inkseal", *sys.argv[1:]])
    except DatabaseError:
        if not _unmigrated():
            raise
        from django.utils.translation import gettext as _

        print(_("数据库尚未初始化或版本落后：请先运行 inkseal migrate（make run 会自动完成）。"), file=sys.stderr)
        sys.exit(2)


def _unmigrated() -> bool:
    """Whether the database lacks migrations (a command run before `inkseal migrate`)."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return True


if __name__ == "__main__":
    main()
