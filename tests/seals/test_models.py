"""The database keeps the seal rules even when code forgets them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from inkseal.seals.models import Seal, SealState, SealType, SealUsage
from inkseal.seals.states import SEAL

pytestmark = pytest.mark.django_db


def _seal(owner, creator, kind=SealType.NAME, state=SealState.ACTIVE, **extra) -> Seal:
    return Seal.objects.create(
        owner=owner,
        kind=kind,
        source="template",
        name="王小明",
        image="seals/x.png",
        image_sha256="0" * 64,
        width_mm=20,
        height_mm=20,
        state=state,
        created_by=creator,
        **extra,
    )


def test_one_live_seal_per_owner_and_type(person):
    _seal(person.party, person)
    with pytest.raises(IntegrityError), transaction.atomic():
        _seal(person.party, person)
    with pytest.raises(IntegrityError), transaction.atomic():
        _seal(person.party, person, state=SealState.PENDING_CHANGE)
    _seal(person.party, person, kind=SealType.HANDWRITING)  # another type is fine
    _seal(person.party, person, state=SealState.VOID, voided_at=timezone.now())  # and voided ones pile up
    assert Seal.objects.filter(owner=person.party).count() == 3


def test_a_void_seal_has_a_void_time(person):
    with pytest.raises(IntegrityError), transaction.atomic():
        _seal(person.party, person, state=SealState.VOID)


def test_one_usage_record_per_seal_and_event(person):
    seal = _seal(person.party, person)
    SealUsage.objects.create(seal=seal, used_at=timezone.now(), document_name="a.pdf", platform_name="p", event_id="E1")
    with pytest.raises(IntegrityError), transaction.atomic():
        SealUsage.objects.create(
            seal=seal, used_at=timezone.now(), document_name="b.pdf", platform_name="p", event_id="E1"
        )


def test_state_machine_has_no_way_back_from_void():
    assert SEAL.names_from(SealState.VOID) == []
    assert not SEAL.allows(SealState.PENDING_CHANGE, to=SealState.ACTIVE)


def test_a_bulk_move_leaves_rows_the_table_does_not_let_move(person):
    """move_where adds the allowed from-states to the filter: a void seal is not voided again and
    keeps its void time; the live ones move."""
    then = timezone.now() - timedelta(days=1)
    live = _seal(person.party, person)
    marked = _seal(person.party, person, kind=SealType.HANDWRITING, state=SealState.PENDING_CHANGE)
    void = _seal(person.party, person, state=SealState.VOID, voided_at=then)
    assert SEAL.move_where(Seal.objects.filter(owner=person.party), SealState.VOID, voided_at=timezone.now()) == 2
    states = dict(Seal.objects.values_list("pk", "state"))
    assert states == {live.pk: SealState.VOID, marked.pk: SealState.VOID, void.pk: SealState.VOID}
    void.refresh_from_db()
    assert void.voided_at == then
    assert SEAL.move_where(Seal.objects.filter(owner=person.party), SealState.PENDING_CHANGE) == 0
