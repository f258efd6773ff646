from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inkseal.portal.manual_store import build_manual


class Command(BaseCommand):
    help = (
        "User manual tools: `manual build [--out FILE]` renders docs/user-manual.zh.md to the PDF that "
        "/tools/user-manual.pdf serves (kept under var/manual/; rebuilt only when the source changed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["build"])
        parser.add_argument("--out", help="also copy the PDF to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        built = build_manual()
        self.stdout.write(f"user manual {built.version}: {built.path} ({built.path.stat().st_size} bytes)")
        if options["out"]:
            shutil.copyfile(built.path, Path(options["out"]))
            self.stdout.write(f"copied to {options['out']}")
