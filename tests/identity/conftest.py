"""Identity fixtures: people ready to verify, SMS codes from the sandbox outbox, built media."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation

from inkseal.accounts.models import Person
from inkseal.core.idnumbers import id_check_char
from inkseal.identity.providers.licence_ocr import IdCardReading, LicenceReading
from inkseal.notify.models import SmsMessage

AGREEMENTS = ["service", "privacy", "biometrics"]


def id_number(serial: int = 1, birth: str = "19900308") -> str:
    first17 = f"430524{birth}{serial % 998:03d}"
    return first17 + id_check_char(first17)


def sms_code(phone: str) -> str:
    body = SmsMessage.objects.filter(phone=phone, purpose="verify").first().body  # type: ignore[union-attr]
    return re.search(r"验证码为(\d{6})", body).group(1)  # type: ignore[union-attr]


class NoOcr:
    """Reads nothing: most tests type the legal representative in; one test runs the real OCR."""

    name = "none"
    is_sandbox = False

    def read_id_card(self, image: bytes) -> IdCardReading:
        return IdCardReading()

    def read_licence(self, image: bytes) -> LicenceReading:
        return LicenceReading()


@pytest.fixture
def real_ocr(settings: Any) -> None:
    settings.IDENTITY_OCR_PROVIDER = "inkseal.identity.providers.licence_ocr.OfflineOcrProvider"


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Any) -> None:
    """Document photos go to a per-test folder; no OCR unless asked; fast password hashing."""
    settings.IDENTITY_OCR_PROVIDER = "tests.identity.conftest.NoOcr"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    cache.clear()
    translation.activate("zh-hans")  # a test that switched to English must not leak into the next


@pytest.fixture
def unverified(make_person: Callable[..., Person]) -> Person:
    return make_person(phone="18600000996", name="刘婧妍")


@pytest.fixture
def verified(make_person: Callable[..., Person]) -> Person:
    return make_person(phone="18800005473", name="乔海朋", verified=True, id_number=id_number(7))
