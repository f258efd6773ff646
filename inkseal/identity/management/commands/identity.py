from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.identity.errors import describe
from inkseal.identity.numbers import CHECKS


class Command(BaseCommand):
    help = (
        "Identity tools for support staff: `identity check id-number|uscc|bank-card <value>` says whether "
        "the value is well-formed and why not; exits non-zero when it is not."
    )
    requires_system_checks: list[str] = []  # checks load every URL module (pyHanko, OpenCV): seconds

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check"])
        parser.add_argument("kind", choices=sorted(CHECKS))
        parser.add_argument("value")

    def handle(self, *args: Any, **options: Any) -> None:
        checked = CHECKS[options["kind"]](options["value"])
        if not checked.ok:
            raise CommandError(f"{checked.value}: {describe(checked)}")
        self.stdout.write(f"{checked.value}: {describe(checked)}")
