"""Self-service uploads (自助签署 drafts) never placed and confirmed are deleted by `inkseal jobs
purge` once older than SIGN_DRAFT_RETENTION_HOURS; fresh ones and signed documents stay."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from inkseal.signing.selfservice.services import DRAFTS_DIR
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, text_pdf
from tests.signing.test_self_service import _draft_url, _owner

pytestmark = pytest.mark.django_db


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_purge_deletes_abandoned_uploads_only(signing: Signing, settings: object) -> None:
    settings.SIGN_DRAFT_RETENTION_HOURS = 24  # type: ignore[attr-defined]
    client = _owner(signing)
    abandoned_url, fresh_url = _draft_url(client, signing), _draft_url(client, signing, text_pdf(1))
    drafts = Path(signing_media_root(settings)) / DRAFTS_DIR
    abandoned, fresh = (drafts / f"{url.rstrip('/').rsplit('/', 1)[-1]}.pdf" for url in (abandoned_url, fresh_url))
    assert abandoned.exists() and fresh.exists()
    _age(abandoned, 25)
    _age(fresh, 23)

    out = io.StringIO()
    call_command("jobs", "purge", stdout=out)

    assert "1 abandoned uploads" in out.getvalue()
    assert not abandoned.exists() and fresh.exists()
    assert client.get(abandoned_url).status_code == 404  # its session entry now reads as expired
    assert client.get(fresh_url).status_code == 200


def test_purge_without_any_upload(signing: Signing) -> None:
    out = io.StringIO()
    call_command("jobs", "purge", stdout=out)
    assert "0 abandoned uploads" in out.getvalue()


def signing_media_root(settings: object) -> str:
    return str(settings.STORAGES["default"]["OPTIONS"]["location"])  # type: ignore[attr-defined]
