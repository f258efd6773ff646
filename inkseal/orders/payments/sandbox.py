"""The sandbox payment provider: its pay page says it is a sandbox and settles immediately."""

from __future__ import annotations

import secrets

from django.urls import reverse

from inkseal.orders.models import Payment


class SandboxProvider:
    name = "sandbox"
    is_sandbox = True

    def new_reference(self) -> str:
        return "SBX" + secrets.token_hex(12).upper()

    def checkout_url(self, payment: Payment) -> str:
        return reverse("orders:pay", args=[payment.order.application.number])

    def refund(self, payment: Payment) -> None:
        """Nothing to give back: no money moved."""
