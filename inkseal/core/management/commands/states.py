"""Draw every state machine's table (each app's `states` module) into docs/states.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.core.states import load_machines, render_docs


def docs_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "states.md"


class Command(BaseCommand):
    help = "Print the state machines as Mermaid diagrams; --write updates docs/states.md, --check fails if stale."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--write", action="store_true", help="write docs/states.md")
        group.add_argument("--check", action="store_true", help="fail when docs/states.md differs from the tables")

    def handle(self, *args: Any, write: bool = False, check: bool = False, **options: Any) -> None:
        text = render_docs(load_machines())
        path = docs_path()
        if write:
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {path}")
        elif check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is out of date: run `inkseal states --write`")
        else:
            self.stdout.write(text)
