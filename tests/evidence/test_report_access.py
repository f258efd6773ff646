"""Who can get a 签署报告: the record's holder in the portal (应用详情 → 下载签署报告), the platform
through the API for its own tasks (in the OpenAPI), the operator in the back office; anyone else
gets 404 (the scope matrix checks every identity; here the journeys and their audit rows)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from inkseal.audit import events
from inkseal.audit.models import AuditEntry
from inkseal.evidence import offline
from inkseal.evidence.models import EvidenceReport
from inkseal.signing.models import SigningRecord, SignTask
from tests.conftest import login_client
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import sign_through_api, text_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tsa(ca_hierarchy):  # noqa: F811
    pass


def _a_report(response: Any) -> bytes:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    pdf = bytes(response.content)
    assert offline.verify_report(pdf).ok
    return pdf


def test_the_holder_downloads_it_from_the_record_page_and_strangers_get_404(signing: Any, make_person: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    record = SigningRecord.objects.get()
    enterprise = signing.certificate.holder.enterprise
    holder = login_client(signing.admin, f"enterprise:{enterprise.pk}")
    page = holder.get(f"/records/{record.event_id}/").content.decode()
    assert "下载签署报告" in page and f"/records/{record.event_id}/report" in page
    _a_report(holder.post(f"/records/{record.event_id}/report"))
    assert AuditEntry.objects.get(event=events.EVIDENCE_REPORT_ISSUE).actor_kind == "person"
    assert holder.get(f"/records/{record.event_id}/report").status_code == 405  # issuing writes: POST only

    stranger = login_client(make_person(name="王五"))
    assert stranger.post(f"/records/{record.event_id}/report").status_code == 404
    assert stranger.post("/records/no-such-event/report").status_code == 404
    assert EvidenceReport.objects.count() == 1


def test_the_platform_gets_it_for_its_own_task_through_the_api(signing: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    task = SignTask.objects.get()
    token = signing.token()
    pdf = _a_report(
        signing.client.get(f"/api/v1/sign-tasks/{task.public_id}/evidence-report", HTTP_AUTHORIZATION=f"Bearer {token}")
    )
    assert b"inkseal-evidence.json" in pdf
    missing = signing.client.get("/api/v1/sign-tasks/nope/evidence-report", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert missing.status_code == 404
    assert signing.client.get(f"/api/v1/sign-tasks/{task.public_id}/evidence-report").status_code == 401
    spec = signing.client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/v1/sign-tasks/{task_id}/evidence-report"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert AuditEntry.objects.get(event=events.EVIDENCE_REPORT_ISSUE).actor_kind == "platform"


def test_a_task_with_nothing_signed_yet_is_refused_with_a_clear_code(signing: Any):
    token = signing.token()
    created = signing.create([("bid.pdf", text_pdf())], signing.spec(), token=token).json()
    answer = signing.client.get(
        f"/api/v1/sign-tasks/{created['id']}/evidence-report", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code == 409 and answer.json()["error"] == "evidence_report_unavailable"


def test_the_operator_issues_it_in_the_back_office(signing: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    record = SigningRecord.objects.get()
    operator = Client()
    operator.force_login(User.objects.create_superuser("ops", password="a-long-password-1"))
    form = operator.get("/backoffice/evidence/evidencereport/issue/")
    assert form.status_code == 200 and "出具签署报告" in form.content.decode()
    missing = operator.post(
        "/backoffice/evidence/evidencereport/issue/", {"kind": "record", "identifier": "nope", "language": "zh-hans"}
    )
    assert missing.status_code == 400 and "应用记录不存在" in missing.content.decode()
    response = operator.post(
        "/backoffice/evidence/evidencereport/issue/",
        {"kind": "record", "identifier": record.event_id, "language": "zh-hans"},
    )
    _a_report(response)
    document = operator.post(
        "/backoffice/evidence/evidencereport/issue/",
        {"kind": "document", "identifier": f"{record.task.public_id}/1", "language": "zh-hans"},
    )
    evidence = offline.verify_report(_a_report(document)).evidence
    assert evidence is not None and evidence["report"]["subject"]["kind"] == "document"
    listing = operator.get("/backoffice/evidence/evidencereport/").content.decode()
    assert all(row.report_id in listing for row in EvidenceReport.objects.all())
    entry = AuditEntry.objects.filter(event=events.EVIDENCE_REPORT_ISSUE).order_by("seq").first()
    assert entry is not None and (entry.actor_kind, entry.target) == ("operator", f"record:{record.event_id}")


def test_the_public_verify_page_recognises_a_report_and_shows_its_checks(signing: Any):
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed = sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    task = SignTask.objects.get()
    token = signing.token()
    pdf = _a_report(
        signing.client.get(f"/api/v1/sign-tasks/{task.public_id}/evidence-report", HTTP_AUTHORIZATION=f"Bearer {token}")
    )
    anyone = Client()
    page = anyone.post(
        "/verify/",
        {"file": SimpleUploadedFile("report.pdf", pdf), "document": SimpleUploadedFile("bid.pdf", signed)},
    ).content.decode()
    assert 'id="evidence-checks" class="card shadow-sm mb-4" data-ok="true"' in page
    assert 'data-code="inclusion_proof" data-ok="true"' in page and 'data-code="document_hash" data-ok="true"' in page
    assert "包含证明" in page
    changed = signed[:-40] + bytes([signed[-40] ^ 1]) + signed[-39:]
    page = anyone.post(
        "/verify/",
        {"file": SimpleUploadedFile("report.pdf", pdf), "document": SimpleUploadedFile("bid.pdf", changed)},
    ).content.decode()
    assert 'data-ok="false"' in page and 'data-code="document_hash" data-ok="false"' in page
    plain = anyone.post("/verify/", {"file": SimpleUploadedFile("bid.pdf", signed)}).content.decode()
    assert "evidence-checks" not in plain  # an ordinary signed PDF: the usual report only
