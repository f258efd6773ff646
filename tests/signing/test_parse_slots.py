"""Parse slots (issue #20 item 2, /healthz under attack): a web process runs at most
PDF_PARSE_CONCURRENCY parses at once; a request that finds every slot taken (here: held by the
test, as a hostile PDF's parse would hold it for its whole budget) is refused at once with 503
`pdf_parser_busy`, Retry-After and a message in the user's language, on every entry point that
parses an upload, and changes nothing; requests that parse nothing are served as usual."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from inkseal.signing.models import SignTask
from inkseal.signing.parsing import budget
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, text_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_slot(settings: Any) -> None:
    settings.PDF_PARSE_CONCURRENCY = 1
    settings.PDF_PARSE_QUEUE_SECONDS = 0
    settings.VERIFY_PER_IP_PER_MINUTE = 0


def _busy(response: Any) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(budget.RETRY_AFTER_SECONDS)


def test_parses_past_the_slots_are_refused_busy_and_light_requests_still_answer(
    signing: Signing, client: Client
) -> None:
    created = signing.create()
    assert created.status_code == 201, created.content
    preview_url = f"/sign/confirm/{confirm_token(created.json()['confirm_url'])}/documents/1/pages/1.png"
    tasks = SignTask.objects.count()
    with budget.slot():  # another request's parse holds this process's only slot
        refused = signing.create()
        _busy(refused)
        assert refused.json()["error"] == "pdf_parser_busy" and "稍后重试" in refused.json()["message"]
        assert SignTask.objects.count() == tasks  # nothing stored

        verify = client.post("/api/v1/verify", {"file": SimpleUploadedFile("x.pdf", text_pdf(), "application/pdf")})
        _busy(verify)
        assert verify.json()["error"] == "pdf_parser_busy" and "稍后重试" in verify.json()["message"]

        preview = signing.client.get(preview_url)
        _busy(preview)
        assert "稍后重试" in preview.content.decode()

        person = login_client(signing.admin, f"enterprise:{signing.certificate.holder.enterprise.pk}")
        upload = SimpleUploadedFile("合同.pdf", text_pdf(), content_type="application/pdf")
        page = person.post("/sign/self/", {"certificate": signing.certificate.pk, "file": upload})
        _busy(page)
        assert "稍后重试" in page.content.decode()
        assert not person.session.get("self_sign_drafts")

        assert client.get("/healthz").status_code == 200  # nothing to parse: served
        assert person.get("/sign/self/").status_code == 200
    assert signing.client.get(preview_url).status_code == 200  # the slot is free again
    assert signing.create().status_code == 201


def test_a_slot_is_taken_only_while_parsing(settings: Any) -> None:
    """Each parse takes a slot and gives it back, refused or not: one slot serves parse after
    parse, and a parse that fails (a malformed file) frees it too."""
    from inkseal.signing.core.errors import PdfError
    from inkseal.signing.parsing import inspection

    for _ in range(3):
        pages, _sizes = budget.run(inspection.check_upload, text_pdf(2), 10)
        assert pages == 2
        with pytest.raises(PdfError):
            budget.run(inspection.check_upload, b"%PDF-1.7\nnot really", 10)
