"""PDFium is not thread-safe: every in-process use holds one lock, so two requests' threads never
call into it at once (two previews rendered together once crashed a worker)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from inkseal.signing.core import preview
from inkseal.signing.core.document import open_document
from inkseal.signing.core.formdraw import _drawn_by_pdfium
from inkseal.signing.core.pdf import _text_document
from inkseal.signing.core.pdfium_lock import PDFIUM_LOCK
from tests.signing.conftest import CORPUS


def runs_only_after_the_lock_is_free(work: Callable[[], Any]) -> None:
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    with PDFIUM_LOCK:
        thread = threading.Thread(target=run)
        thread.start()
        assert not done.wait(0.5), "PDFium was used while another thread held the lock"
    assert done.wait(30)
    thread.join()


def test_previews_wait_for_the_pdfium_lock() -> None:
    data = (CORPUS / "minimal-document.pdf").read_bytes()
    runs_only_after_the_lock_is_free(lambda: preview.page_png(data, 1))
    runs_only_after_the_lock_is_free(lambda: preview.page_sizes(data))


def test_form_drawing_waits_for_the_pdfium_lock() -> None:
    stream = (CORPUS / "libreoffice-form.pdf").open("rb")
    with stream:
        runs_only_after_the_lock_is_free(lambda: _drawn_by_pdfium(stream, None))


def test_keyword_search_holds_the_lock_until_its_document_is_closed() -> None:
    with (CORPUS / "minimal-document.pdf").open("rb") as stream:
        document = open_document(stream, password=None, max_pages=100)
        with _text_document(document) as open_text:
            open_text()
            holder: list[bool] = []
            other = threading.Thread(target=lambda: holder.append(PDFIUM_LOCK.acquire(timeout=0.2)))
            other.start()
            other.join()
            assert holder == [False]
        assert PDFIUM_LOCK.acquire(timeout=1)
        PDFIUM_LOCK.release()
