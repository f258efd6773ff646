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

    execute_from_command_line(["inkseal", *sys.argv[1:]])


if __name__ == "__main__":
    main()
