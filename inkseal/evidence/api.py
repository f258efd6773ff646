"""The public transparency-log API under /api/v1/log: no login, read only.

Thin: parse, call a service, shape the answer. Hashes are lower-case hex in JSON; checkpoints are
also served as the C2SP signed note itself (`note`), which witnesses and monitors read as is.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from inkseal.evidence import services
from inkseal.evidence.models import LogCheckpoint, LogLeaf

router = Router(tags=["transparency log"])


class CheckpointOut(Schema):
    size: int
    root_hash: str
    note: str
    timestamp_token: str  # base64 DER RFC 3161 TimeStampToken over the note's UTF-8 bytes; "" when none
    stamped_at: str | None


class LeafOut(Schema):
    index: int
    leaf_hash: str
    kind: str
    body: str  # the canonical JSON the leaf hash covers: SHA-256(0x00 || UTF-8 body)
    event: dict[str, Any]


class InclusionOut(Schema):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]
    checkpoint: CheckpointOut


class ConsistencyOut(Schema):
    first: int
    second: int
    hashes: list[str]


class KeysOut(Schema):
    origin: str
    verifier_keys: list[str]


class Error(Schema):
    error: str
    message: str


def _checkpoint(cp: LogCheckpoint) -> dict[str, Any]:
    return {
        "size": cp.size,
        "root_hash": cp.root_hash,
        "note": cp.note,
        "timestamp_token": base64.b64encode(bytes(cp.tsa_token)).decode(),
        "stamped_at": cp.stamped_at.isoformat() if cp.stamped_at else None,
    }


def _leaf(leaf: LogLeaf) -> dict[str, Any]:
    return {
        "index": leaf.index,
        "leaf_hash": leaf.leaf_hash,
        "kind": leaf.kind,
        "body": leaf.body,
        "event": json.loads(leaf.body),
    }


@router.get(
    "/checkpoint", response={200: CheckpointOut, 404: Error}, auth=None, summary="Latest checkpoint (signed tree head)"
)
def latest_checkpoint(request: HttpRequest) -> dict[str, Any]:
    """The newest signed checkpoint: C2SP tlog-checkpoint text signed by the log's ECDSA P-256 and SM2
    keys (see `/keys`), and an RFC 3161 time stamp from the platform TSA over the note."""
    return _checkpoint(services.latest_checkpoint())


@router.get(
    "/checkpoints/{size}", response={200: CheckpointOut, 404: Error}, auth=None, summary="Checkpoint by tree size"
)
def checkpoint_by_size(request: HttpRequest, size: int) -> dict[str, Any]:
    return _checkpoint(services.checkpoint_of_size(size))


@router.get("/keys", response=KeysOut, auth=None, summary="The log's verifier keys")
def keys(request: HttpRequest) -> dict[str, Any]:
    """Signed-note verifier keys `<name>+<hex key ID>+<base64(type || SPKI DER)>`; see docs/evidence.md."""
    return {"origin": services.log_origin(), "verifier_keys": [v.text() for v in services.verifiers()]}


@router.get(
    "/proof/inclusion",
    response={200: InclusionOut, 400: Error, 404: Error, 409: Error},
    auth=None,
    summary="Inclusion proof for a leaf hash",
)
def inclusion(request: HttpRequest, leaf_hash: str, tree_size: int | None = None) -> dict[str, Any]:
    """RFC 9162 §2.1.3 audit path of the leaf whose hash (hex SHA-256(0x00 || body)) is given,
    against the checkpoint of `tree_size` (default: the latest). 409 `log_leaf_pending` while the
    leaf is not yet in a checkpoint."""
    proof = services.inclusion_proof(leaf_hash, tree_size)
    return {
        "leaf_index": proof.leaf.index,
        "tree_size": proof.size,
        "leaf_hash": proof.leaf.leaf_hash,
        "hashes": [h.hex() for h in proof.hashes],
        "checkpoint": _checkpoint(proof.checkpoint),
    }


@router.get(
    "/proof/consistency",
    response={200: ConsistencyOut, 400: Error},
    auth=None,
    summary="Consistency proof between two tree sizes",
)
def consistency(request: HttpRequest, first: int, second: int) -> dict[str, Any]:
    """RFC 9162 §2.1.4 proof that the tree of `first` leaves is a prefix of the tree of `second`."""
    return {"first": first, "second": second, "hashes": [h.hex() for h in services.consistency_proof(first, second)]}


@router.get("/leaves/{index}", response={200: LeafOut, 404: Error}, auth=None, summary="Leaf by index")
def leaf(request: HttpRequest, index: int) -> dict[str, Any]:
    """A leaf's canonical JSON; personal data in it are masks and salted SHA-256 hashes only."""
    return _leaf(services.leaf_at(index))


# --- the evidence report of a platform's own task (signing API, platform token) -----------------------


def _platform_bearer() -> Any:
    from inkseal.signing.tasks.api import PlatformBearer

    return PlatformBearer()


reports_router = Router(tags=["signing"], auth=_platform_bearer())


@reports_router.get(
    "/{task_id}/evidence-report",
    summary="The evidence report (签署报告) of a task, as a signed PDF",
    description=(
        "A PDF signed by the platform (PAdES B-LT, plus an SM2 signature) stating the parties and how "
        "each was verified, the authorisation, the intent confirmation, each document's hashes, each "
        "signature, and each signing's transparency-log leaf with its inclusion proof and checkpoint; "
        "the same evidence is embedded as the attachment `inkseal-evidence.json` (check it offline with "
        "tools/verify_evidence.py). `lang`: `zh-hans` (default) or `en`. Each request issues, and logs, a "
        "new report. 404 for another platform's task; 409 `evidence_report_unavailable` while no "
        "document of the task has been signed."
    ),
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}, "description": "the report"}}},
)
def get_evidence_report(request: HttpRequest, task_id: str, lang: str = "zh-hans") -> HttpResponse:
    from inkseal.core.acting import Acting
    from inkseal.core.http import client_ip
    from inkseal.evidence import reports
    from inkseal.signing.tasks.create import task_of_platform

    task = task_of_platform(request.auth, task_id)  # type: ignore[attr-defined]
    acting = Acting.platform(request.auth, client_ip(request))  # type: ignore[attr-defined]
    issued = reports.issue_report(reports.subject_of_task(task), acting=acting, language=lang)
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issued.filename}"'
    return response
