"""Identity verification providers: one interface per capability, chosen in settings by dotted path.

Capability (setting, also the env var INKSEAL_<setting>): interface → embedded default

- phone 3-factor, name + ID + phone (IDENTITY_PHONE_PROVIDER): phone.PhoneProvider → SandboxPhoneProvider
- face video liveness + comparison (IDENTITY_FACE_PROVIDER): face.FaceProvider → SandboxFaceProvider
- enterprise / legal representative (IDENTITY_ENTERPRISE_PROVIDER): enterprise.EnterpriseProvider
  → SandboxEnterpriseProvider
- bank card 4-factor + micro-deposit (IDENTITY_BANK_CARD_PROVIDER): bank_card.BankCardProvider
  → SandboxBankCardProvider
- ID card / licence OCR (IDENTITY_OCR_PROVIDER): licence_ocr.OcrProvider → OfflineOcrProvider (RapidOCR)

A real vendor's adapter implements the interface in its own module and is named in the setting.
The sandbox providers never call out: they check what can be checked offline and accept the rest,
except for the reserved test values in `sandbox.py`, which they refuse as a vendor would.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from django.conf import settings
from django.utils.module_loading import import_string

from inkseal.identity.providers.bank_card import BankCardProvider
from inkseal.identity.providers.enterprise import EnterpriseProvider
from inkseal.identity.providers.face import FaceProvider
from inkseal.identity.providers.licence_ocr import OcrProvider
from inkseal.identity.providers.phone import PhoneProvider


@cache
def _instance(path: str) -> Any:
    return import_string(path)()


def phone_provider() -> PhoneProvider:
    return cast(PhoneProvider, _instance(settings.IDENTITY_PHONE_PROVIDER))


def face_provider() -> FaceProvider:
    return cast(FaceProvider, _instance(settings.IDENTITY_FACE_PROVIDER))


def enterprise_provider() -> EnterpriseProvider:
    return cast(EnterpriseProvider, _instance(settings.IDENTITY_ENTERPRISE_PROVIDER))


def bank_card_provider() -> BankCardProvider:
    return cast(BankCardProvider, _instance(settings.IDENTITY_BANK_CARD_PROVIDER))


def ocr_provider() -> OcrProvider:
    return cast(OcrProvider, _instance(settings.IDENTITY_OCR_PROVIDER))


def any_sandbox() -> bool:
    """True when a verification provider in use is a sandbox (pages then say so)."""
    providers = (phone_provider(), face_provider(), enterprise_provider(), bank_card_provider())
    return any(p.is_sandbox for p in providers)
