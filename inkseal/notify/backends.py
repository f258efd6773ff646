"""SMS gateways behind one interface. Real vendors implement `SmsGateway.send`.

The outbox backend is the sandbox: it delivers nothing and keeps every message for the
sandbox-only pages /dev/sms and /dev/sms.json.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from inkseal.notify.models import SmsMessage


class SmsGateway(Protocol):
    name: str
    is_sandbox: bool

    def send(self, phone: str, body: str, purpose: str) -> None: ...


class OutboxBackend:
    name = "outbox"
    is_sandbox = True

    def send(self, phone: str, body: str, purpose: str) -> None:
        SmsMessage.objects.create(phone=phone, body=body, purpose=purpose, backend=self.name)


@cache
def _gateway_class(path: str) -> type:
    return import_string(path)


def gateway() -> SmsGateway:
    instance: SmsGateway = _gateway_class(settings.SMS_BACKEND)()
    return instance
