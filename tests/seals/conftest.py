from __future__ import annotations

import socket
from typing import Any

import numpy as np
import pytest

from inkseal.core import ocr as ocr_module
from inkseal.core.ocr import read_lines, recognise_line
from inkseal.seals import checks


@pytest.fixture(scope="session")
def ocr() -> Any:
    """The process-wide OCR engine, created (with both its models loaded) once for the session
    while the network is cut off: the models must come from the installed wheel."""
    real_connect = socket.socket.connect

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access while loading the OCR engine")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        engine = ocr_module.ocr_engine()
        blank = checks.on_white(np.zeros((48, 96), np.uint8))
        recognise_line(blank)
        read_lines(blank)
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
    return engine


# --- the Django layer: people and enterprises that may make seals ------------------------------

COMPANY = "北京天威诚信电子商务服务有限公司"
LEGAL_REP = "张三丰"


@pytest.fixture(autouse=True)
def chinese_by_default(settings: Any) -> Any:
    """Each test starts in the default language (a test client switching to English leaves the
    thread's language behind, and services word their refusals in the active language)."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def seal_media(settings: Any, tmp_path: Any) -> Any:
    """Seal images go to a throwaway media folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


@pytest.fixture
def person(make_person: Any, seal_media: Any) -> Any:
    """A verified person (personal identity: 人名章, 手写签名)."""
    return make_person(name="王小明", verified=True)


@pytest.fixture
def company(make_person: Any, make_enterprise: Any, seal_media: Any) -> Any:
    """A verified enterprise whose administrator is a verified person."""
    from inkseal.accounts.models import EnterpriseState

    enterprise = make_enterprise(make_person(name="刘婧妍", verified=True))
    enterprise.name, enterprise.legal_rep_name, enterprise.state = COMPANY, LEGAL_REP, EnterpriseState.VERIFIED
    enterprise.save()
    return enterprise


def admin_of(enterprise: Any) -> Any:
    return enterprise.memberships.get(role="admin").person


def as_person(person: Any) -> Any:
    from inkseal.accounts.identity import CurrentIdentity

    return CurrentIdentity(person)


def as_enterprise(enterprise: Any, person: Any = None, role: str = "admin") -> Any:
    from inkseal.accounts.identity import CurrentIdentity

    return CurrentIdentity(person or admin_of(enterprise), enterprise, role)
