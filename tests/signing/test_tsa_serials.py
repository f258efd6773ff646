"""TSA serials for in-process time stamps: reserved in committed blocks, never handed out twice."""

from __future__ import annotations

import pytest
from django.db import transaction

from inkseal.pki.models import Counter
from inkseal.signing.tasks import timestamper
from inkseal.signing.tasks.timestamper import SERIAL_BLOCK, TSA_SERIAL_COUNTER, reserve_serials

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_pool() -> None:
    """This thread's pool may hold serials from another test's (since flushed) database."""
    timestamper._pool.serials, timestamper._pool.committed = [], False


def _counter() -> int:
    return Counter.objects.get(name=TSA_SERIAL_COUNTER).value


def _take(count: int) -> list[int]:
    return [timestamper._next_serial() for _ in range(count)]


def test_a_block_outside_transactions_serves_several_signings() -> None:
    reserve_serials(4)
    first = _take(4)
    reserve_serials(4)  # drawn from the same block: no counter update
    second = _take(4)
    assert second[0] == first[-1] + 1
    assert _counter() == first[0] - 1 + SERIAL_BLOCK


def test_serials_of_a_rolled_back_transaction_are_never_used_again() -> None:
    reserve_serials(4)
    _take(4)
    with pytest.raises(RuntimeError), transaction.atomic():
        reserve_serials(SERIAL_BLOCK + 10)  # more than the block holds: taken inside, then rolled back
        raise RuntimeError("the signing failed")
    reserve_serials(4)
    handed_out = _take(4)
    assert max(handed_out) <= _counter()  # every serial given out is accounted for by the counter
