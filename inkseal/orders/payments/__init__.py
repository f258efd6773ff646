"""Payment providers behind one interface; `provider()` returns the configured one."""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from inkseal.orders.models import Payment


class PaymentProvider(Protocol):
    """Real providers redirect the payer to their cashier and settle on their signed callback;
    the sandbox settles when the payer presses its button."""

    name: str
    is_sandbox: bool

    def new_reference(self) -> str: ...

    def checkout_url(self, payment: Payment) -> str: ...

    def refund(self, payment: Payment) -> None: ...


@cache
def _provider_class(path: str) -> type:
    return import_string(path)


def provider() -> PaymentProvider:
    instance: PaymentProvider = _provider_class(settings.ORDERS_PAYMENT_PROVIDER)()
    return instance
