"""Sandbox mode (INKSEAL_SANDBOX): off unless asked for, and never on by accident.

The sandbox providers accept what a real vendor would check (identity, payment) or keep SMS
codes in an outbox page: fine for the demo (`make run` turns the flag on), fatal in production.
A production start (`inkseal serve`, or gunicorn loading inkseal.wsgi) with a sandbox provider
configured and the flag off refuses, naming each provider and its setting.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

# setting -> the environment variable that sets it
PROVIDER_SETTINGS = {
    "SMS_BACKEND": "INKSEAL_SMS_BACKEND",
    "ORDERS_PAYMENT_PROVIDER": "INKSEAL_PAYMENT_PROVIDER",
    "IDENTITY_PHONE_PROVIDER": "INKSEAL_IDENTITY_PHONE_PROVIDER",
    "IDENTITY_FACE_PROVIDER": "INKSEAL_IDENTITY_FACE_PROVIDER",
    "IDENTITY_ENTERPRISE_PROVIDER": "INKSEAL_IDENTITY_ENTERPRISE_PROVIDER",
    "IDENTITY_BANK_CARD_PROVIDER": "INKSEAL_IDENTITY_BANK_CARD_PROVIDER",
    "IDENTITY_OCR_PROVIDER": "INKSEAL_IDENTITY_OCR_PROVIDER",
}


def sandbox_providers() -> dict[str, str]:
    """{dotted path: environment variable} of every configured provider that is a sandbox."""
    found = {}
    for setting, variable in PROVIDER_SETTINGS.items():
        path = getattr(settings, setting)
        if getattr(import_string(path), "is_sandbox", False):
            found[path] = variable
    return found


def check_production_start() -> None:
    """Raise ImproperlyConfigured when sandbox providers are configured but INKSEAL_SANDBOX is off."""
    if settings.SANDBOX:
        return
    found = sandbox_providers()
    if found:
        listed = "\n".join(f"  {variable}={path}" for path, variable in found.items())
        raise ImproperlyConfigured(
            "Refusing to start: INKSEAL_SANDBOX is off but these providers are sandbox ones "
            "(they accept identities and payments without checking, or keep SMS codes in an outbox):\n"
            f"{listed}\n"
            "Configure real providers with these variables, or set INKSEAL_SANDBOX=1 for a demo."
        )
