"""自助签署 files on 应用详情: the signer downloads the signed file again for the retention period
(the confirm link is single-use), nobody else can, and the page says when it goes and that it went."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from inkseal.accounts.models import Membership
from inkseal.signing.models import SigningRecord, SignTask
from inkseal.signing.records.services import purge_signed_documents
from tests.conftest import login_client
from tests.signing import test_self_service as flow
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code

pytestmark = pytest.mark.django_db


def _self_signed(signing: Signing) -> tuple[Client, SigningRecord]:
    client = flow._owner(signing)
    created = flow._place(
        client, flow._draft_url(client, signing), [{"seal_type": "official", "page": 1, "x": 300, "y": 300}]
    )
    token = confirm_token(created["Location"])
    client.post(f"/api/v1/confirm/{token}/code")
    confirmed = client.post(
        f"/api/v1/confirm/{token}",
        {"method": "sms", "code": sms_code(client, signing.admin.phone)},
        "application/json",
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "completed", confirmed.content
    return client, SigningRecord.objects.get()


def _download_link(html: str) -> str | None:
    import re

    match = re.search(
        r'<a [^>]*id="signed-download"[^>]*href="([^"]+)"|<a [^>]*href="([^"]+)"[^>]*id="signed-download"', html
    )
    return (match.group(1) or match.group(2)) if match else None


def test_the_signer_downloads_the_signed_file_from_the_record(signing: Signing, settings: Any) -> None:
    settings.SIGNED_RETENTION_DAYS = 30
    client, row = _self_signed(signing)

    page = client.get(f"/records/{row.event_id}/")
    html = page.content.decode()
    link = _download_link(html)
    assert page.status_code == 200 and link, html
    deleted_on = timezone.localtime(SignTask.objects.get().completed_at + timedelta(days=30)).date()
    assert deleted_on.strftime("%Y-%m-%d") in html and "删除" in html

    download = client.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["X-Content-SHA256"] == row.sha256_after


def test_another_identity_cannot_see_or_download_it(signing: Signing, verified_person: Any) -> None:
    client, row = _self_signed(signing)
    link = _download_link(client.get(f"/records/{row.event_id}/").content.decode())
    assert link

    colleague = verified_person(name="赵六")  # a member of the same enterprise sees the record, not the file
    enterprise = signing.certificate.holder.enterprise
    Membership.objects.create(person=colleague, enterprise=enterprise, role=Membership.Role.MEMBER)
    other = login_client(colleague, f"enterprise:{enterprise.pk}")
    record_page = other.get(f"/records/{row.event_id}/")
    assert record_page.status_code == 200 and _download_link(record_page.content.decode()) is None
    assert other.get(link).status_code == 404
    personal = login_client(signing.admin)  # the same person acting for themselves
    assert personal.get(f"/records/{row.event_id}/").status_code == 404
    assert personal.get(link).status_code == 404
    assert login_client(verified_person(name="张三")).get(link).status_code == 404


def test_after_the_purge_the_record_says_the_file_was_deleted(signing: Signing, settings: Any) -> None:
    settings.SIGNED_RETENTION_DAYS = 30
    client, row = _self_signed(signing)
    link = _download_link(client.get(f"/records/{row.event_id}/").content.decode())
    assert link

    assert purge_signed_documents(now=timezone.now() + timedelta(days=31)) == 1
    html = client.get(f"/records/{row.event_id}/").content.decode()
    assert _download_link(html) is None
    assert "签署文件已超过保存期限（30 天），已于" in html and "删除" in html
    assert client.get(link).status_code == 410
