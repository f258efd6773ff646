"""The parsing budget's enforcement (inkseal.signing.parsing.budget): a loop in C code, a sleep and an
allocation past the budget each end in PdfTooComplex naming the resource, within the budget; the
parser process is replaced and the next job runs. Plus a fuzz test: corpus PDFs with random
damage never make the parsers fail with anything but a domain error, nor the verify API with a
server error."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree

from inkseal.core.errors import DomainError
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.errors import PdfTooComplex
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.parsing import budget, inspection
from tests.signing import hostile
from tests.signing.conftest import CORPUS, red_seal_png
from tests.signing.error_status import status_for

SMALL = budget.Budget(cpu_seconds=1, wall_seconds=3, memory_mb=64)


@pytest.fixture(autouse=True)
def _warm() -> None:
    """The first job of a process starts its forkserver (imports, seconds): not what is timed."""
    assert budget.run(budget.ready, budget=budget.Budget(60, 120, 1024))


def _exceeded(function: Any, *args: Any, within: float) -> PdfTooComplex:
    started = time.monotonic()
    with pytest.raises(PdfTooComplex) as raised:
        budget.run(function, *args, budget=SMALL)
    assert time.monotonic() - started < within
    assert raised.value.status == 422 and raised.value.code == "pdf_too_complex"
    return raised.value


def test_a_runaway_c_loop_is_stopped_by_the_cpu_budget() -> None:
    # catastrophic backtracking: runs in C (the regex engine) for longer than the universe
    error = _exceeded(re.sub, r"(a+)+$", "", "a" * 64 + "!", within=10)
    assert error.details["resource"] in ("cpu", "time")
    assert budget.run(re.sub, r"a", "b", "aaa", budget=SMALL) == "bbb"  # a fresh process answers


def test_a_wait_is_stopped_by_the_wall_clock() -> None:
    assert _exceeded(time.sleep, 60, within=10).details["resource"] == "time"


def test_an_allocation_past_the_memory_budget_fails() -> None:
    assert _exceeded(bytearray, 1 << 30, within=10).details["resource"] == "memory"
    assert len(budget.run(bytearray, 1 << 20, budget=SMALL)) == 1 << 20  # within budget: fine


def test_the_in_process_watchdog_stops_pyhankos_endless_parent_climb() -> None:
    """Signing runs in the web process (the key is there): a watchdog raises into the thread.
    pyHanko's own inherited-value lookup on a page that is its own parent never ends by itself."""
    reader = PdfFileReader(io.BytesIO(hostile.self_parent()), strict=False)
    page = reader.root["/Pages"]["/Kids"][0]
    started = time.monotonic()
    with pytest.raises(PdfTooComplex) as raised, budget.guarded(budget.Budget(cpu_seconds=1, wall_seconds=2)):
        find_inherited_value_in_tree(page, "/MediaBox", "/Parent")
    assert raised.value.details["resource"] in ("cpu", "time") and time.monotonic() - started < 8
    with budget.guarded(budget.Budget(cpu_seconds=1, wall_seconds=2)):
        time.sleep(0.3)  # within the budget: nothing raised, nothing pending afterwards
    time.sleep(0.6)


SOURCES = sorted(p for p in CORPUS.glob("*.pdf") if p.stat().st_size < 100_000)
SEAL = SealImage(red_seal_png(60), 20)


def _damaged(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, length to cut, bytes to insert) edits; positions scaled into the file."""
    out = bytearray(data)
    for position, cut, insert in edits:
        at = position % max(1, len(out))
        out[at : at + cut] = insert
    return bytes(out)


edits = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 64), st.binary(max_size=16)), min_size=1, max_size=6)


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from(SOURCES), edits=edits, cut_tail=st.booleans())
def test_damaged_corpus_pdfs_are_refused_cleanly(source: Path, edits: Any, cut_tail: bool, client: Client) -> None:
    data = _damaged(source.read_bytes(), edits)
    if cut_tail:
        data = data[: len(data) * 3 // 4]
    small = budget.Budget(cpu_seconds=5, wall_seconds=10, memory_mb=256)
    try:
        budget.run(inspection.plan, data, [Placement(SEAL, AtPoint(1, 100, 100))], 50, budget=small)
    except DomainError:
        pass
    cache.clear()
    response = client.post("/api/v1/verify", {"file": SimpleUploadedFile("x.pdf", data, "application/pdf")})
    if response.status_code != 200:  # refused: with exactly the status its error code carries
        assert response.status_code == status_for(response.json()["error"]), response.content[:300]
