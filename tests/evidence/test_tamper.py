"""Tampering with the transparency log by someone who can write the database but does not hold
the log keys: `inkseal log verify` finds each change and says what it was."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from inkseal.evidence import merkle
from inkseal.evidence.canonical import canonical_json
from inkseal.evidence.checkpoint import Checkpoint, sign
from inkseal.evidence.models import LogCheckpoint, LogLeaf, LogNode
from inkseal.evidence.services import issue_checkpoint, log_event, log_origin
from inkseal.pki.algorithms import ECDSA_P256
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture

pytestmark = pytest.mark.django_db
H = merkle.SHA256


@pytest.fixture(autouse=True)
def log(ca_hierarchy):  # noqa: F811 - checkpoints are signed with keystore keys and time-stamped
    for i in range(5):
        log_event("test.event", {"n": i})
    issue_checkpoint()
    for i in range(5, 10):
        log_event("test.event", {"n": i})
    issue_checkpoint()


def leaf(index: int) -> LogLeaf:
    return LogLeaf.objects.get(index=index)


def rewrite(index: int, body: dict[str, object]) -> None:
    """Change a leaf's content and recompute its leaf hash, as anyone can (the hash is unkeyed)."""
    data = canonical_json(body)
    LogLeaf.objects.filter(index=index).update(body=data.decode(), leaf_hash=H.leaf(data).hex())


def rebuild_nodes() -> None:
    """Recompute every stored tree node from the leaves as they now are: hides what moved."""
    LogNode.objects.all().delete()
    tree = merkle.MemoryTree()
    for leaf_hash in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True):
        tree.append(bytes.fromhex(leaf_hash))
    LogNode.objects.bulk_create(
        LogNode(level=level, index=i, hash=h) for level, row in enumerate(tree.levels) for i, h in enumerate(row)
    )


def broken(match: str) -> str:
    with pytest.raises(CommandError, match=match) as failure:
        call_command("log", "verify")
    return str(failure.value)


def test_an_untouched_log_verifies():
    out = io.StringIO()
    call_command("log", "verify", stdout=out)
    assert "intact: 10 leaves recomputed, 2 checkpoints verified" in out.getvalue()


def test_an_edited_leaf():
    LogLeaf.objects.filter(index=3).update(body=leaf(3).body.replace('"n":3', '"n":33'))
    assert "#3: leaf #3 was edited" in broken("edited")


def test_an_edited_leaf_with_its_hash_recomputed():
    rewrite(3, {"kind": "test.event", "at": "2026-01-01T00:00:00+00:00", "event": {"n": 33}})
    broken("leaf #3 was replaced")


def test_a_deleted_leaf():
    leaf(4).delete()
    broken("leaf #4 is missing: deleted")


def test_a_deleted_leaf_with_the_rest_renumbered():
    leaf(4).delete()
    for row in LogLeaf.objects.filter(index__gt=4).order_by("index"):
        LogLeaf.objects.filter(pk=row.pk).update(index=F("index") - 1)
    broken("leaf #4 was deleted: the leaves after it moved up")


@pytest.mark.parametrize(("a", "b"), [(2, 6), (2, 3)])
def test_reordered_leaves(a, b):
    first, second = leaf(a), leaf(b)
    LogLeaf.objects.filter(pk=first.pk).update(index=None)
    LogLeaf.objects.filter(pk=second.pk).update(index=a)
    LogLeaf.objects.filter(pk=first.pk).update(index=b)
    broken(f"leaves #{a} and #{b} were reordered")


def test_an_inserted_leaf():
    for row in LogLeaf.objects.filter(index__gte=3).order_by("-index"):
        LogLeaf.objects.filter(pk=row.pk).update(index=F("index") + 1)
    data = canonical_json({"kind": "test.event", "at": "2026-01-01T00:00:00+00:00", "event": {"n": "backdated"}})
    LogLeaf.objects.create(index=3, kind="test.event", body=data.decode(), leaf_hash=H.leaf(data).hex())
    broken("a leaf was inserted at #3")


def test_a_change_hidden_in_every_database_hash_is_caught_by_the_signed_checkpoint():
    rewrite(1, {"kind": "test.event", "at": "2026-01-01T00:00:00+00:00", "event": {"n": 11}})
    rebuild_nodes()
    broken("checkpoint of size 5 does not match the tree recomputed from the database")


def test_leaves_cut_off_after_a_checkpoint():
    LogLeaf.objects.filter(index__gte=7).delete()
    rebuild_nodes()
    broken("checkpoint of size 10 was signed, but the log now has only 7 leaves")


def test_a_checkpoint_signed_by_another_key():
    cp = LogCheckpoint.objects.get(size=10)
    forged = sign(
        Checkpoint(log_origin(), 10, bytes.fromhex(cp.root_hash)), log_origin(), [ECDSA_P256.generate_soft_key()]
    )
    LogCheckpoint.objects.filter(pk=cp.pk).update(note=forged)
    broken("checkpoint of size 10: the checkpoint is not signed by any trusted log key")


def test_a_checkpoint_row_whose_root_differs_from_its_note():
    LogCheckpoint.objects.filter(size=5).update(root_hash="00" * 32)
    broken("checkpoint of size 5: the stored size or root differs from the signed note")


def test_a_time_stamp_moved_to_another_checkpoint():
    token = bytes(LogCheckpoint.objects.get(size=5).tsa_token)
    LogCheckpoint.objects.filter(size=10).update(tsa_token=token)
    broken("checkpoint of size 10: its time stamp is invalid")
