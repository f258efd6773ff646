"""The transparency log: append (`log_event`), sequence in batches, issue signed checkpoints,
answer proofs. The tree arithmetic is `merkle` (pure), the note format `checkpoint` (pure).

Appends are plain INSERTs of pending leaves inside the caller's transaction: an app server never
waits on a log-wide lock to record an event. `sequence()` (run by `issue_checkpoint`, the `inkseal
log` command and whatever scheduler the deployment runs) takes pending leaves in batches under the
one head row, numbers them, stores the perfect tree nodes they complete and moves the head.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inkseal.core.errors import DomainError, NotFound
from inkseal.evidence import checkpoint as notes
from inkseal.evidence import merkle
from inkseal.evidence.canonical import canonical_json
from inkseal.evidence.models import LogCheckpoint, LogHead, LogKey, LogLeaf, LogNode

HASHER = merkle.SHA256
SEQUENCE_BATCH = 2000
KEY_LABEL = "transparency-log"
log = logging.getLogger(__name__)


class LeafNotSequenced(DomainError):
    code = "log_leaf_pending"
    status = 409
    default_message = _("该叶子尚未进入检查点，请稍后再试。")


class TreeSizeInvalid(DomainError):
    code = "log_size_invalid"
    status = 400
    default_message = _("树大小须满足 0 < first ≤ second ≤ 当前树大小。")


class LeafHashInvalid(DomainError):
    code = "log_leaf_hash_invalid"
    status = 400
    default_message = _("leaf_hash 须为 64 位十六进制的 SHA-256 值。")


class NoCheckpoint(NotFound):
    code = "log_no_checkpoint"
    default_message = _("日志还没有检查点。")


class CheckpointNotFound(NotFound):
    code = "log_checkpoint_not_found"
    default_message = _("没有该大小的检查点。")


class LeafNotFound(NotFound):
    code = "log_leaf_not_found"
    default_message = _("日志中没有该叶子。")


def log_origin() -> str:
    """The log's name: its origin line and key name (INKSEAL_LOG_ORIGIN, else <host>/log)."""
    configured = getattr(settings, "EVIDENCE_LOG_ORIGIN", "")
    return configured or f"{urlsplit(settings.PUBLIC_BASE_URL).netloc or 'inkseal'}/log"


# --- append ----------------------------------------------------------------------------------------


# the payload key naming what a leaf is about (LogLeaf.subject), to find the leaf of a record again
SUBJECT_KEYS = {"signing.record": "event_id", "evidence.report": "report_id"}


def log_event(kind: str, payload: dict[str, Any]) -> LogLeaf:
    """Record an event as a pending leaf, in the caller's transaction (it commits or rolls back
    with the event). `payload` must already hold personal data only as masks and hashes
    (see canonical.reduced_*)."""
    body = canonical_json({"kind": kind, "at": timezone.now().isoformat(), "event": payload})
    subject = str(payload.get(SUBJECT_KEYS.get(kind, ""), ""))[:80]
    return LogLeaf.objects.create(
        kind=kind, body=body.decode("utf-8"), leaf_hash=HASHER.leaf(body).hex(), subject=subject
    )


# --- sequence --------------------------------------------------------------------------------------


def _locked_head() -> LogHead:
    head = LogHead.objects.select_for_update().filter(id=1).first()
    if head is None:
        LogHead.objects.get_or_create(id=1, defaults={"size": 0, "root_hash": HASHER.empty().hex()})
        head = LogHead.objects.select_for_update().get(id=1)
    return head


def _stored(nodes: set[merkle.Node] | list[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of `nodes`, in one query (raw SQL: the ORM spends longer compiling an
    OR of a few dozen pairs than the database takes to answer it)."""
    wanted: dict[int, list[int]] = {}
    for level, index in nodes:
        wanted.setdefault(level, []).append(index)
    if not wanted:
        return {}
    clauses, params = [], []
    for level, indexes in sorted(wanted.items()):
        clauses.append(f'(level = %s AND "index" IN ({", ".join(["%s"] * len(indexes))}))')
        params += [level, *indexes]
    table = connection.ops.quote_name(LogNode._meta.db_table)
    with connection.cursor() as cursor:
        sql = f'SELECT level, "index", hash FROM {table} WHERE {" OR ".join(clauses)}'  # noqa: S608 - placeholders only
        cursor.execute(sql, params)
        return {(level, index): bytes(digest) for level, index, digest in cursor.fetchall()}


def _number(pending: list[tuple[int, str]], size: int) -> None:
    """Give the pending leaves (in id order) the indexes size, size + 1, ...: one UPDATE per run of
    consecutive ids (gaps come only from rolled-back appends), not one per row."""
    runs: list[list[int]] = []  # [first id, last id, first index]
    for offset, (pk, _leaf_hash) in enumerate(pending):
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk, size + offset])
    for first, last, index in runs:
        LogLeaf.objects.filter(id__gte=first, id__lte=last).update(index=F("id") + (index - first))


def sequence(batch: int = SEQUENCE_BATCH) -> int:
    """Number up to `batch` pending leaves (oldest first) and store the nodes they complete;
    returns how many were sequenced."""
    if not transaction.get_connection().in_atomic_block and not LogLeaf.objects.filter(index__isnull=True).exists():
        return 0  # a read first: an idle sequencer must not take SQLite's write lock every poll
    with transaction.atomic():
        head = _locked_head()
        pending = list(LogLeaf.objects.filter(index__isnull=True).order_by("id").values_list("id", "leaf_hash")[:batch])
        if not pending:
            return 0
        frontier = _stored(merkle.range_nodes(0, head.size) if head.size else [])
        made = merkle.extend(HASHER, frontier, head.size, [bytes.fromhex(h) for _pk, h in pending])
        _number(pending, head.size)
        LogNode.objects.bulk_create(
            [LogNode(level=lv, index=i, hash=h) for (lv, i), h in made.items()], batch_size=1000
        )
        size = head.size + len(pending)
        known = {**frontier, **made}
        head.root_hash = merkle.range_hash(HASHER, [known[n] for n in merkle.range_nodes(0, size)]).hex()
        head.size, head.updated_at = size, timezone.now()
        head.save(update_fields=["size", "root_hash", "updated_at"])
        return len(pending)


def sequence_all() -> int:
    total = 0
    while done := sequence():
        total += done
    return total


# --- checkpoints -----------------------------------------------------------------------------------


def signing_keys() -> list[LogKey]:
    """The active log keys (ECDSA P-256 and SM2), made in the keystore on first use."""
    keys = list(LogKey.objects.filter(retired_at__isnull=True).order_by("pk"))
    if keys:
        return keys
    from inkseal.pki.algorithms import ECDSA_P256, SM2
    from inkseal.pki.keystore_config import keystore

    store = keystore()
    with transaction.atomic():
        for algorithm in (ECDSA_P256, SM2):
            key_id = store.generate_key(algorithm, KEY_LABEL)
            LogKey.objects.create(
                name=log_origin(),
                algorithm=algorithm.name,
                key_backend=store.backend,
                key_id=key_id,
                spki_der=store.public_key(key_id).spki_der,
            )
    return list(LogKey.objects.filter(retired_at__isnull=True).order_by("pk"))


def verifiers(*, include_retired: bool = True) -> list[notes.Verifier]:
    """The published verifier keys (retired ones still verify the checkpoints they signed)."""
    from inkseal.pki.algorithms import load_public_key

    rows = LogKey.objects.order_by("pk")
    if not include_retired:
        rows = rows.filter(retired_at__isnull=True)
    return [notes.Verifier.for_key(row.name, load_public_key(bytes(row.spki_der))) for row in rows]


def issue_checkpoint() -> LogCheckpoint:
    """Sequence what is pending, then sign and time-stamp a checkpoint of the current tree (the
    latest one again when nothing was added since)."""
    from inkseal.pki.keystore_config import keystore

    sequence_all()
    head = LogHead.objects.filter(id=1).first()
    size, root = (head.size, head.root_hash) if head else (0, HASHER.empty().hex())
    latest = LogCheckpoint.objects.order_by("-size").first()
    if latest is not None and latest.size == size:
        return latest
    handles = [keystore(k.key_backend).signer(k.key_id) for k in signing_keys()]
    note = notes.sign(notes.Checkpoint(log_origin(), size, bytes.fromhex(root)), log_origin(), handles)
    token, stamped_at = _time_stamp(note.encode())
    try:
        with transaction.atomic():
            return LogCheckpoint.objects.create(
                size=size, root_hash=root, note=note, tsa_token=token, stamped_at=stamped_at
            )
    except IntegrityError:  # another server signed this size at the same moment
        return LogCheckpoint.objects.get(size=size)


def _time_stamp(statement: bytes) -> tuple[bytes, datetime | None]:
    """An RFC 3161 token from the platform's TSA over SHA-256(statement); none before a TSA exists."""
    from inkseal.pki import notary

    stamped = notary.stamp(statement)
    if stamped is None:
        log.warning("checkpoint not time-stamped: no time-stamp authority yet")
        return b"", None
    return stamped


def latest_checkpoint() -> LogCheckpoint:
    found = LogCheckpoint.objects.order_by("-size").first()
    if found is None:
        raise NoCheckpoint()
    return found


def checkpoint_of_size(size: int) -> LogCheckpoint:
    found = LogCheckpoint.objects.filter(size=size).first()
    if found is None:
        raise CheckpointNotFound()
    return found


# --- proofs ----------------------------------------------------------------------------------------


def _tree_size() -> int:
    head = LogHead.objects.filter(id=1).first()
    return head.size if head else 0


def _hashes(ranges: list[merkle.Range]) -> list[bytes]:
    return merkle.hashes_for(HASHER, ranges, _stored(merkle.nodes_for(ranges)))


@dataclass(frozen=True)
class InclusionProof:
    leaf: LogLeaf
    size: int
    hashes: list[bytes]
    checkpoint: LogCheckpoint


def inclusion_proof(leaf_hash: str, size: int | None = None) -> InclusionProof:
    """The proof that the leaf with `leaf_hash` (hex) is in the checkpoint of `size` (default:
    the latest checkpoint)."""
    if len(leaf_hash) != 64 or any(c not in "0123456789abcdefABCDEF" for c in leaf_hash):
        raise LeafHashInvalid(_("leaf_hash 须为 64 位十六进制的 SHA-256 值。"))
    cp = latest_checkpoint() if size is None else checkpoint_of_size(size)
    leaf = LogLeaf.objects.filter(leaf_hash=leaf_hash.lower()).order_by("id").first()
    if leaf is None:
        raise LeafNotFound()
    if leaf.index is None or leaf.index >= cp.size:
        raise LeafNotSequenced(_("该叶子尚未进入检查点，请稍后再试。"))
    return InclusionProof(leaf, cp.size, _hashes(merkle.inclusion_ranges(leaf.index, cp.size)), cp)


def consistency_proof(first: int, second: int) -> list[bytes]:
    if not 0 < first <= second or second > _tree_size():
        raise TreeSizeInvalid(_("树大小须满足 0 < first ≤ second ≤ 当前树大小。"))
    return _hashes(merkle.consistency_ranges(first, second))


def leaf_at(index: int) -> LogLeaf:
    leaf = LogLeaf.objects.filter(index=index).first() if index >= 0 else None
    if leaf is None:
        raise LeafNotFound(_("没有该序号的叶子。"))
    return leaf


def checkpoint_if_due(minutes: int | None = None) -> LogCheckpoint | None:
    """For the periodic jobs: sequence what is pending and, when the tree grew and the latest
    checkpoint is older than EVIDENCE_CHECKPOINT_MINUTES, issue a new one."""
    sequence_all()
    minutes = getattr(settings, "EVIDENCE_CHECKPOINT_MINUTES", 5) if minutes is None else minutes
    latest = LogCheckpoint.objects.order_by("-size").first()
    if latest is not None and (
        latest.size == _tree_size() or timezone.now() - latest.created_at < timedelta(minutes=minutes)
    ):
        return None
    return issue_checkpoint()
