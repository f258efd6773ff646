from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from examples.procurement_portal import demo
from examples.procurement_portal.models import Bidder


class Command(BaseCommand):
    help = "Create the demo portal's users from var/demo.json (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for spec in demo.document().get("portal_users", []):
            user, _ = User.objects.get_or_create(username=spec["username"])
            user.set_password(spec["password"])
            user.save()
            bidder = Bidder.objects.filter(user=user).first() or Bidder(user=user)
            bidder.name, bidder.phone, bidder.company = spec["name"], spec["phone"], spec.get("company", "")
            bidder.set_id_number(spec.get("id_number", ""))
            bidder.save()
            self.stdout.write(f"portal user {spec['username']} ({spec['name']})")
