"""Hostile PDFs at every entry point (issue #20 items 2, 3, 6, 11): page-tree loops, memory bombs,
page-count lies, damaged files and one file per exception class the parsers used to leak.

Each is posted where users post PDFs: POST /api/v1/sign-tasks, the confirm page's previews and the
confirmation (a stored original swapped for the hostile bytes), POST /api/v1/verify, the /verify/
page, the self-service upload, its previews and its placement step, and `inkseal verify`. The
answer is never a server error, never slower than BOUND seconds; a refusal carries a stable code
and stores nothing. The parsing budget is made small here (settings) so the test-scale bombs
exceed it.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.pki.pins import set_pin
from inkseal.signing.models import SignDocument, SigningRecord, SignTask
from inkseal.signing.parsing import budget
from tests.conftest import login_client
from tests.signing import hostile
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, text_pdf
from tests.signing.error_status import status_for

pytestmark = pytest.mark.django_db

BOUND = 20.0  # seconds: the test budget's wall clock (4 s) plus the slow shared test machine
PDF_CODES = {
    "pdf_malformed",
    "pdf_not_pdf",
    "pdf_truncated",
    "pdf_too_many_pages",
    "pdf_too_complex",
    "pdf_encrypted",
}
CODES = PDF_CODES | {"placement_off_page", "placement_page_out_of_range", "placement_keyword_not_found"}

# refused when a sign task is created, with one of these codes (the xref stream cases are not
# here: qpdf rebuilds their cross-reference data, under the same kind of budget, and the
# rebuilt file is harmless; /api/v1/verify never repairs and refuses them)
MUST_REFUSE = {
    "self_parent": {"pdf_malformed", "pdf_too_complex"},
    "parent_cycle": {"pdf_malformed", "pdf_too_complex"},
    "kids_cycle": {"pdf_malformed", "pdf_too_complex"},
    "deep_page_tree": {"pdf_malformed", "pdf_too_complex"},
    "deep_nesting": {"pdf_malformed", "pdf_too_complex"},
    "count_lie": {"pdf_too_many_pages"},
    "truncated": {"pdf_truncated"},
    "garbage_after_header": {"pdf_malformed"},
    "broken_xref": {"pdf_malformed"},
}

ALL = {**hostile.HOSTILE, "flate_bomb_content": lambda: hostile.flate_bomb_content(16)}


@pytest.fixture(autouse=True)
def small_budget(settings: Any) -> None:
    settings.PDF_PARSE_CPU_SECONDS = 2
    settings.PDF_PARSE_WALL_SECONDS = 4
    settings.PDF_PARSE_MEMORY_MB = 192
    settings.SIGN_MAX_PAGES = 10
    settings.VERIFY_PER_IP_PER_MINUTE = 0
    cache.clear()


@contextmanager
def bounded(what: str) -> Iterator[None]:
    """The request ends within BOUND seconds (an alarm stops a runaway one: the test fails, no hang)."""

    def stop(*_: Any) -> None:
        raise TimeoutError(f"{what}: still running after {BOUND * 2} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, BOUND * 2)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"{what}: {elapsed:.1f} s"


def _refusal(response: Any, what: str, codes: set[str] = CODES) -> str:
    """A refusal with one of `codes`, answered with exactly the status that code's error carries."""
    assert response.status_code != 200, f"{what}: {response.content[:300]!r}"
    code = response.json()["error"]
    assert code in codes, f"{what}: {code}"
    assert response.status_code == status_for(code), f"{what}: {code} {response.status_code}"
    return str(code)


def _page_refusal(response: Any, what: str, codes: set[str] = CODES) -> None:
    """A page's refusal: the page shows the error, with exactly the status its code carries."""
    assert response.status_code != 200 and response.context is not None, f"{what}: {response.status_code}"
    code = response.context["error"].code
    assert code in codes, f"{what}: {code}"
    assert response.status_code == status_for(code), f"{what}: {code} {response.status_code}"


def _no_server_error(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.content[:300]!r}"


def _create(signing: Signing, pdf: bytes, token: str) -> Any:
    return signing.create(files=[("bid.pdf", pdf)], token=token)


def test_sign_task_creation_refuses_hostile_pdfs(signing: Signing) -> None:
    token = signing.token()
    for name, build in ALL.items():
        with bounded(name):
            response = _create(signing, build(), token)
        _no_server_error(response, name)
        if name in MUST_REFUSE or response.status_code != 201:
            _refusal(response, name, MUST_REFUSE.get(name, CODES))
            assert not SignTask.objects.exists() and not SignDocument.objects.exists(), name
        SignTask.objects.all().delete()


def test_page_count_is_the_real_count(signing: Signing) -> None:
    """/Count 1 over 60 pages: the 60 pages count against SIGN_MAX_PAGES (10 here); a tree whose
    /Count disagrees with its pages is refused even under the limit."""
    response = _create(signing, hostile.count_lie(60), signing.token())
    assert response.json()["error"] == "pdf_too_many_pages" and response.json()["details"]["pages"] == 60
    response = _create(signing, hostile.count_lie(5), signing.token())
    assert response.status_code == 400 and response.json()["error"] == "pdf_malformed", response.content


def test_metadata_bomb_is_never_decoded_whole(signing: Signing) -> None:
    """64 MB of XMP behind 64 KB of deflate: only its first 64 KB are read, the task is created."""
    with bounded("metadata bomb"):
        response = _create(signing, hostile.flate_bomb_metadata(64), signing.token())
    assert response.status_code == 201, response.content


def test_content_bomb_preview_exceeds_the_memory_budget(signing: Signing, settings: Any) -> None:
    """64 MB of content stream behind 64 KB: PDFium's decoding runs into the parser process's
    memory budget (48 MB here) and the preview is refused; the next preview works."""
    settings.PDF_PARSE_MEMORY_MB = 48
    token, _document = _swap_original(signing, hostile.flate_bomb_content(64))
    with bounded("content bomb preview"):
        response = signing.client.get(f"/sign/confirm/{token}/documents/1/pages/1.png")
    assert response.status_code == 422, response.status_code
    good, _document = _swap_original(signing, text_pdf(1))
    assert signing.client.get(f"/sign/confirm/{good}/documents/1/pages/1.png").status_code == 200


def test_running_past_the_budget_is_audited(signing: Signing, client: Client, settings: Any) -> None:
    """With a wall-clock budget of 0.1 ms (a fresh parser process takes longer to start) nothing
    can be parsed: the sign task and the verification are refused with pdf_too_complex, nothing
    is stored, and each refusal is an audit entry."""
    settings.PDF_PARSE_WALL_SECONDS = 0.0001
    budget.close()
    response = signing.create()
    assert response.status_code == 422 and response.json()["error"] == "pdf_too_complex", response.content
    assert response.json()["details"]["resource"] == "time" and not SignTask.objects.exists()
    budget.close()
    refused = _verify_api(client, text_pdf(1))
    assert refused.status_code == 422 and refused.json()["error"] == "pdf_too_complex"
    entries = AuditEntry.objects.filter(event="pdf.budget_exceeded").order_by("pk")
    assert [(e.target, e.actor_kind, e.data["resource"]) for e in entries] == [
        ("sign_task.create", "platform", "time"),
        ("verify", "anonymous", "time"),
    ]


def _swap_original(signing: Signing, pdf: bytes) -> tuple[str, SignDocument]:
    """A task created from a good PDF whose stored original then holds `pdf` (a file that got past
    an older check): what the confirm page and the confirmation read."""
    body = signing.create().json()
    document = SignDocument.objects.get(task__public_id=body["id"])
    Path(document.original.path).write_bytes(pdf)
    return confirm_token(body["confirm_url"]), document


def test_confirm_page_previews_refuse_hostile_pdfs(signing: Signing) -> None:
    for name, build in ALL.items():
        token, _document = _swap_original(signing, build())
        with bounded(name):
            response = signing.client.get(f"/sign/confirm/{token}/documents/1/pages/1.png")
        if response.status_code != 200:
            _page_refusal(response, name)


def test_confirmation_of_hostile_pdfs_fails_the_task(signing: Signing) -> None:
    set_pin(signing.certificate, "135792", acting=Acting(Actor("system")))
    for name, build in ALL.items():
        token, document = _swap_original(signing, build())
        with bounded(name):
            response = signing.client.post(
                f"/api/v1/confirm/{token}", {"method": "pin", "pin": "135792"}, content_type="application/json"
            )
        _no_server_error(response, name)
        document.refresh_from_db()
        if response.status_code == 200 and response.json()["status"] == "failed":
            assert response.json()["failure"]["code"] in CODES, f"{name}: {response.json()}"
            assert document.status == "failed" and not document.signed, name
        elif response.status_code != 200:
            _refusal(response, name)
        else:
            assert response.json()["status"] == "completed", f"{name}: {response.json()}"
    assert not SigningRecord.objects.filter(result="success", sha256_after="").exists()


def _verify_api(client: Client, pdf: bytes) -> Any:
    return client.post("/api/v1/verify", {"file": SimpleUploadedFile("x.pdf", pdf, "application/pdf")})


def test_verify_api_refuses_hostile_pdfs(client: Client) -> None:
    for name, build in ALL.items():
        with bounded(name):
            response = _verify_api(client, build())
        _no_server_error(response, name)
        if response.status_code != 200:
            _refusal(response, name, PDF_CODES)
        else:
            assert response.json()["all_valid"] is False, name


def test_verify_api_survives_the_xref_index_bomb(client: Client) -> None:
    with bounded("xref /Index bomb"):
        response = _verify_api(client, hostile.xref_index_bomb())
    _refusal(response, "xref /Index bomb", {"pdf_malformed", "pdf_too_complex"})


def test_verify_page_refuses_hostile_pdfs(client: Client) -> None:
    for name, build in ALL.items():
        with bounded(name):
            response = client.post("/verify/", {"file": SimpleUploadedFile("x.pdf", build(), "application/pdf")})
        if response.status_code != 200:
            _page_refusal(response, name, PDF_CODES)


UNREADABLE_FOR_VERIFY = {
    "xref_index_bomb",
    "xref_index_decreasing",
    "xref_bad_flate",
    "xref_bad_predictor",
    "truncated",
    "garbage_after_header",
    "broken_xref",
}


def test_cli_exits_two_on_hostile_pdfs(tmp_path: Path) -> None:
    """Unreadable: exit 2; readable but unsigned (a page-tree loop verification never climbs): 1."""
    for name, build in ALL.items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(build())
        with bounded(name), pytest.raises((CommandError, SystemExit)) as raised:
            call_command("verify", str(path))
        status = raised.value.returncode if isinstance(raised.value, CommandError) else raised.value.code
        assert status == (2 if name in UNREADABLE_FOR_VERIFY else 1), f"{name}: exit {status}"


def _self_service(signing: Signing) -> Client:
    enterprise = signing.certificate.holder.enterprise
    return login_client(signing.admin, f"enterprise:{enterprise.pk}")


def _upload(client: Client, signing: Signing, pdf: bytes) -> Any:
    file = SimpleUploadedFile("合同.pdf", pdf, content_type="application/pdf")
    return client.post("/sign/self/", {"certificate": signing.certificate.pk, "file": file})


def test_self_service_upload_refuses_hostile_pdfs(signing: Signing) -> None:
    client = _self_service(signing)
    for name, build in ALL.items():
        drafts = len(client.session.get("self_sign_drafts") or {})
        with bounded(name):
            response = _upload(client, signing, build())
        if name in MUST_REFUSE:
            assert response.status_code != 302, name
        if response.status_code != 302:  # refused on the upload page, with the status of its code
            _page_refusal(response, name, MUST_REFUSE.get(name, CODES))
            assert len(client.session.get("self_sign_drafts") or {}) == drafts, name


def test_self_service_previews_and_placement_refuse_hostile_pdfs(signing: Signing) -> None:
    client = _self_service(signing)
    for name, build in ALL.items():
        response = _upload(client, signing, text_pdf(1))
        url = str(response["Location"])
        draft_id = url.rstrip("/").rsplit("/", 1)[-1]
        Path(default_storage.path(f"signing/self-drafts/{draft_id}.pdf")).write_bytes(build())
        with bounded(f"{name} preview"):
            image = client.get(f"{url}pages/1.png")
        if image.status_code != 200:
            _page_refusal(image, name)
        placements = json.dumps([{"seal_type": "official", "page": 1, "x": 300, "y": 300}])
        with bounded(f"{name} placement"):
            placed = client.post(url, {"placements": placements})
        if placed.status_code != 302:
            assert placed.status_code == 400 and not SignTask.objects.exists(), f"{name}: {placed.status_code}"
        SignTask.objects.all().delete()


def test_running_past_the_budget_in_the_portal_and_the_confirm_preview_is_audited(
    signing: Signing, settings: Any
) -> None:
    """The same audit entry as on the API (`pdf.budget_exceeded`, who, from where, which limit)
    for the self-service upload, its page preview and its placement step (the person) and for
    the confirm page's preview (the platform that uploaded the document, and the task)."""
    client = _self_service(signing)
    draft_url = str(_upload(client, signing, text_pdf(1))["Location"])  # under the normal budget
    created = signing.create().json()
    preview_url = f"/sign/confirm/{confirm_token(created['confirm_url'])}/documents/1/pages/1.png"
    settings.PDF_PARSE_WALL_SECONDS = 0.0001  # nothing can be parsed in time now
    budget.close()
    upload = _upload(client, signing, text_pdf(1))
    assert upload.status_code == 422 and "处理限额" in upload.content.decode()
    assert client.get(f"{draft_url}pages/1.png").status_code == 422
    placements = json.dumps([{"seal_type": "official", "page": 1, "x": 300, "y": 300}])
    assert client.post(draft_url, {"placements": placements}).status_code == 422
    assert signing.client.get(preview_url).status_code == 422
    entries = list(AuditEntry.objects.filter(event="pdf.budget_exceeded").order_by("pk"))
    assert [(e.target, e.actor_kind, e.data["resource"], e.ip) for e in entries] == [
        ("self_service.upload", "person", "time", "127.0.0.1"),
        ("self_service.preview", "person", "time", "127.0.0.1"),
        ("self_service.create", "person", "time", "127.0.0.1"),
        ("sign_task.preview", "platform", "time", "127.0.0.1"),
    ]
    assert {e.actor_id for e in entries[:3]} == {signing.admin.account_id}
    assert entries[3].data["task"] == created["id"] and entries[3].data["document"] == "1"
    assert SignTask.objects.count() == 1  # the refused placement created nothing
