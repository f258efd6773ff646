"""Run the demo procurement portal: python -m examples.procurement_portal [migrate|seed|serve|...]."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "examples.procurement_portal.settings"
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] or ["serve"]
    if args[0] == "serve":
        bind = args[1] if len(args) > 1 else os.environ.get("DEMO_PORTAL_BIND", "127.0.0.1:8001")
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "examples.procurement_portal.wsgi:application",
                "--bind",
                bind,
                "--workers",
                "1",
                "--threads",
                "4",
                "--no-control-socket",
                "--access-logfile",
                "-",
                "--access-logformat",
                '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s',
            ],
        )
    execute_from_command_line(["portal", *args])


if __name__ == "__main__":
    main()
