"""应用记录 pages: newest first, search, detail with 意愿认证方式; scoped to the identity; retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from inkseal.signing.models import SignDocument, SigningRecord, SignTask
from inkseal.signing.records.services import purge_signed_documents
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code

pytestmark = pytest.mark.django_db


def _sign(signing: Signing, name: str) -> None:
    from tests.signing.api_support import text_pdf

    body = signing.create([(name, text_pdf())]).json()
    token = confirm_token(body["confirm_url"])
    signing.client.post(f"/api/v1/confirm/{token}/code")
    signing.client.post(
        f"/api/v1/confirm/{token}", {"method": "sms", "code": sms_code(signing.client)}, content_type="application/json"
    )


def test_records_list_search_and_detail(signing: Signing, make_person: object) -> None:
    _sign(signing, "第一份.pdf")
    _sign(signing, "第二份.pdf")
    enterprise = signing.certificate.holder.enterprise
    client = login_client(signing.admin, f"enterprise:{enterprise.pk}")
    page = client.get("/records/").content.decode()
    assert page.index("第二份.pdf") < page.index("第一份.pdf")
    assert "测试交易平台" in page and "投标文件" in page and "公章" in page
    found = client.get("/records/", {"q": "第一份"}).content.decode()
    assert "第一份.pdf" in found and "第二份.pdf" not in found
    record = SigningRecord.objects.get(file_name="第一份.pdf")
    detail = client.get(f"/records/{record.event_id}/").content.decode()
    assert "短信验证码" in detail and record.sha256_before in detail and record.sha256_after in detail
    # the person's own identity sees none of the enterprise's records
    personal = login_client(signing.admin)
    assert "第一份.pdf" not in personal.get("/records/").content.decode()
    assert personal.get(f"/records/{record.event_id}/").status_code == 404


def test_signed_documents_purged_after_retention_records_stay(signing: Signing, settings: object) -> None:
    _sign(signing, "old.pdf")
    SignTask.objects.update(completed_at=timezone.now() - timedelta(days=40))
    assert purge_signed_documents() == 1
    document = SignDocument.objects.get()
    assert not document.signed and not document.original and document.purged_at
    assert SigningRecord.objects.count() == 1
    auth = {"HTTP_AUTHORIZATION": f"Bearer {signing.token()}"}
    task = SignTask.objects.get()
    assert signing.client.get(f"/api/v1/sign-tasks/{task.public_id}/documents/1", **auth).status_code == 410
