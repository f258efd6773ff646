"""The audit log is a hash chain: any change, insertion or deletion is found by `audit verify`."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from inkseal.audit import chain
from inkseal.audit.models import AuditEntry
from inkseal.audit.services import Actor, chain_key, record, verify_log

pytestmark = pytest.mark.django_db


def write_entries(n: int = 5) -> list[AuditEntry]:
    return [
        record("test.event", actor=Actor("system", "", "tests"), ip="127.0.0.1", data={"i": i, "名": "值"})
        for i in range(n)
    ]


def test_intact_chain_verifies(capsys):
    write_entries()
    call_command("audit", "verify")
    assert "5 entries verified" in capsys.readouterr().out


def test_changed_entry_is_found():
    entries = write_entries()
    AuditEntry.objects.filter(pk=entries[2].pk).update(data={"i": 99})
    report = verify_log()
    assert report.broken_at == 3 and "changed" in report.reason
    with pytest.raises(CommandError, match="#3"):
        call_command("audit", "verify")


def test_changed_ip_or_actor_is_found():
    entries = write_entries()
    AuditEntry.objects.filter(pk=entries[1].pk).update(ip="10.9.9.9")
    assert verify_log().broken_at == 2


def test_deleted_entry_is_found():
    entries = write_entries()
    AuditEntry.objects.filter(pk=entries[2].pk).delete()
    report = verify_log()
    assert report.broken_at == 4 and "gap" in report.reason


def test_deleted_last_entry_is_found():
    entries = write_entries()
    AuditEntry.objects.filter(pk=entries[-1].pk).delete()
    report = verify_log()
    assert not report.intact and "head" in report.reason


def test_inserted_entry_is_found():
    entries = write_entries(3)
    forged = AuditEntry.objects.get(pk=entries[2].pk)
    AuditEntry.objects.filter(pk=forged.pk).update(seq=4)
    forged.pk, forged.seq = None, 3
    forged.data = {"forged": True}
    forged.content_hash = chain.content_hash(forged.content())
    forged.entry_hash = chain.entry_hash(chain_key(), forged.prev_hash, 3, forged.content_hash)
    forged.save()
    report = verify_log()
    assert not report.intact and report.broken_at == 4


def test_rewritten_chain_without_the_head_is_found():
    entries = write_entries(3)
    AuditEntry.objects.filter(pk=entries[0].pk).update(event="tampered")
    assert verify_log().broken_at == 1


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=20), st.none()), max_size=5))
def test_canonical_hash_is_order_independent(data):
    reordered = dict(reversed(list(data.items())))
    assert chain.content_hash(data) == chain.content_hash(reordered)
