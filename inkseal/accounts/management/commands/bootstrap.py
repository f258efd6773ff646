from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from inkseal.accounts.demo import ensure_operator
from inkseal.core import demo


class Command(BaseCommand):
    """In the accounts app, not core: it creates the first operator account (core, the bottom
    layer, imports no app); the other apps' first-run steps come through the demo registry."""

    help = "Create the first operator, roles and (with --demo) the demo data; write var/demo.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="also load demo people, enterprise and platform")
        parser.add_argument("--base-url", default=os.environ.get("INKSEAL_PUBLIC_BASE_URL", "http://127.0.0.1:8000"))
        parser.add_argument("--portal-url", default=os.environ.get("DEMO_PORTAL_URL", "http://127.0.0.1:8001"))

    def handle(self, *args: Any, **options: Any) -> None:
        """Passwords are never printed (this output lands in run logs): only where they are."""
        demo.run_setup()
        if not options["demo"]:
            login = ensure_operator()
            where = Path(settings.VAR_DIR) / "secrets" / "operator_password"
            self.stdout.write(f"operator: {login['username']}, password in {where} (readable by this user only)")
            return
        document = demo.build(options["base_url"].rstrip("/"), options["portal_url"].rstrip("/"))
        path = demo.demo_path()
        self.stdout.write(self.style.SUCCESS(f"demo data ready; logins and passwords in {path} (0600)"))
        self.stdout.write(f"  back office  {document['inkseal_url']}/backoffice/  {document['operator']['username']}")
        for person in document["people"]:
            self.stdout.write(f"  portal user  {person['name']}  phone {person['phone']}  (SMS code at /dev/sms)")
        for user in document.get("portal_users", []):
            self.stdout.write(f"  demo portal  {document['portal_url']}/  {user['username']}")
