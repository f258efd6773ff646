"""The transparency log through its services and its public API: batched sequencing, signed and
time-stamped checkpoints, proofs a third party checks with the pure core alone, and the events
that become leaves (certificate issuance and revocation, seal creation and voiding, signing)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from inkseal.core.acting import Acting
from inkseal.evidence import merkle
from inkseal.evidence.checkpoint import Verifier, open_note
from inkseal.evidence.models import LogHead, LogLeaf
from inkseal.evidence.services import (
    issue_checkpoint,
    log_event,
    log_origin,
    sequence,
    verifiers,
)
from inkseal.pki import anchor_stamps as anchors
from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.services import issue_cloud_certificate, revoke_certificate
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import sign_through_api, text_pdf

pytestmark = pytest.mark.django_db
H = merkle.SHA256


@pytest.fixture(autouse=True)
def _tsa(ca_hierarchy):  # noqa: F811 - checkpoints are time-stamped by the platform's TSA
    pass


def events(n: int, start: int = 0) -> list[LogLeaf]:
    return [log_event("test.event", {"n": i}) for i in range(start, start + n)]


def published_keys(client: Client) -> list[Verifier]:
    return [Verifier.parse(v) for v in client.get("/api/v1/log/keys").json()["verifier_keys"]]


def test_appends_stay_pending_until_sequenced_in_batches_and_the_root_is_rfc_9162s():
    leaves = events(11)
    assert LogLeaf.objects.filter(index__isnull=True).count() == 11
    assert [sequence(batch=4), sequence(batch=4), sequence(batch=4), sequence(batch=4)] == [4, 4, 3, 0]
    indexes = dict(LogLeaf.objects.values_list("id", "index"))
    assert [indexes[leaf.id] for leaf in leaves] == list(range(11))
    tree = merkle.MemoryTree()
    for leaf in leaves:
        assert leaf.leaf_hash == H.leaf(leaf.body.encode()).hex()
        tree.append(bytes.fromhex(leaf.leaf_hash))
    assert LogHead.objects.get(id=1).root_hash == tree.root().hex()


def test_a_checkpoint_is_signed_by_both_log_keys_and_time_stamped_over_the_note():
    events(5)
    cp = issue_checkpoint()
    opened = open_note(cp.note, verifiers(), origin=log_origin())
    assert (opened.checkpoint.size, opened.checkpoint.root.hex()) == (5, cp.root_hash)
    assert sorted(v.public_key.algorithm.name for v in opened.verified_by) == ["ecdsa-p256", "sm2"]
    assert anchors.check_token(bytes(cp.tsa_token), cp.note.encode()).stamped_at == cp.stamped_at
    assert issue_checkpoint().pk == cp.pk  # nothing new: the same checkpoint


def test_a_leaf_rolled_back_with_its_transaction_never_enters_the_log():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        log_event("test.event", {"n": 1})
        raise RuntimeError("the event failed")
    assert issue_checkpoint().size == 0


def test_a_third_party_checks_inclusion_and_consistency_with_the_public_api_alone(client):
    first_leaves = events(6)
    issue_checkpoint()
    later = events(7, start=6)
    issue_checkpoint()
    keys = published_keys(client)

    latest = client.get("/api/v1/log/checkpoint").json()
    new = open_note(latest["note"], keys, origin=log_origin()).checkpoint
    old_body = client.get("/api/v1/log/checkpoints/6").json()
    old = open_note(old_body["note"], keys).checkpoint
    assert (old.size, new.size) == (6, 13)
    stamp = anchors.check_token(base64.b64decode(latest["timestamp_token"]), latest["note"].encode())
    assert stamp.stamped_at.isoformat() == latest["stamped_at"]

    for leaf in (first_leaves[2], later[-1]):
        proof = client.get("/api/v1/log/proof/inclusion", {"leaf_hash": leaf.leaf_hash}).json()
        assert proof["tree_size"] == 13
        merkle.verify_inclusion(
            H,
            bytes.fromhex(leaf.leaf_hash),
            proof["leaf_index"],
            13,
            [bytes.fromhex(h) for h in proof["hashes"]],
            new.root,
        )
    at_six = client.get("/api/v1/log/proof/inclusion", {"leaf_hash": first_leaves[2].leaf_hash, "tree_size": 6}).json()
    merkle.verify_inclusion(
        H, bytes.fromhex(first_leaves[2].leaf_hash), 2, 6, [bytes.fromhex(h) for h in at_six["hashes"]], old.root
    )

    consistency = client.get("/api/v1/log/proof/consistency", {"first": 6, "second": 13}).json()
    merkle.verify_consistency(H, 6, 13, old.root, new.root, [bytes.fromhex(h) for h in consistency["hashes"]])

    leaf = client.get("/api/v1/log/leaves/12").json()
    assert leaf["leaf_hash"] == H.leaf(leaf["body"].encode()).hex() == later[-1].leaf_hash
    assert leaf["event"] == {"kind": "test.event", "at": leaf["event"]["at"], "event": {"n": 12}}


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/v1/log/proof/inclusion", {"leaf_hash": "zz"}, 400, "log_leaf_hash_invalid"),
        ("/api/v1/log/proof/inclusion", {"leaf_hash": "ab" * 32}, 404, "log_leaf_not_found"),
        ("/api/v1/log/proof/inclusion", {"leaf_hash": "ab" * 32, "tree_size": 99}, 404, "log_checkpoint_not_found"),
        ("/api/v1/log/proof/consistency", {"first": 0, "second": 3}, 400, "log_size_invalid"),
        ("/api/v1/log/proof/consistency", {"first": 4, "second": 3}, 400, "log_size_invalid"),
        ("/api/v1/log/proof/consistency", {"first": 1, "second": 99}, 400, "log_size_invalid"),
        ("/api/v1/log/checkpoints/99", {}, 404, "log_checkpoint_not_found"),
        ("/api/v1/log/leaves/99", {}, 404, "log_leaf_not_found"),
        ("/api/v1/log/leaves/-1", {}, 404, "log_leaf_not_found"),
    ],
)
def test_bad_requests_get_a_stable_code_and_a_chinese_message(client, path, params, status, code):
    events(3)
    issue_checkpoint()
    response = client.get(path, params)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code and response.json()["message"]


def test_a_leaf_not_yet_in_a_checkpoint_is_409_and_no_checkpoint_is_404(client):
    assert client.get("/api/v1/log/checkpoint").json()["error"] == "log_no_checkpoint"
    events(2)
    issue_checkpoint()
    pending = events(1, start=2)[0]
    response = client.get("/api/v1/log/proof/inclusion", {"leaf_hash": pending.leaf_hash})
    assert response.status_code == 409 and response.json()["error"] == "log_leaf_pending"


def test_the_api_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("checkpoint", "checkpoints/{size}", "keys", "proof/inclusion", "proof/consistency", "leaves/{index}"):
        assert f"/api/v1/log/{path}" in paths


# --- the events that become leaves -----------------------------------------------------------------


def kinds() -> list[str]:
    return list(LogLeaf.objects.order_by("id").values_list("kind", flat=True))


def test_issuing_and_revoking_a_certificate_and_making_and_voiding_a_seal_are_leaves(
    verified_person: Any, verified_enterprise: Any, signing_media: Any
):
    from inkseal.accounts.identity import CurrentIdentity
    from inkseal.accounts.models import Membership
    from inkseal.accounts.services import person_actor
    from inkseal.seals.models import SealType
    from inkseal.seals.services import TemplateOptions, do_make_template_seal, do_void_seal

    admin = verified_person(name="刘婧妍")
    enterprise = verified_enterprise(admin, name="北京示范科技有限公司")
    certificate = issue_cloud_certificate(enterprise.party, algorithm=ECDSA_P256, years=1, acting=Acting.system())
    revoke_certificate(certificate, reason=1, acting=Acting.system())
    identity = CurrentIdentity(admin, enterprise, Membership.Role.ADMIN)
    seal = do_make_template_seal(identity, SealType.OFFICIAL, TemplateOptions(), acting=Acting(person_actor(admin)))
    do_void_seal(identity, seal, acting=Acting(person_actor(admin)))
    assert kinds() == ["certificate.issue", "certificate.revoke", "seal.create", "seal.void"]
    issued = json.loads(LogLeaf.objects.get(kind="certificate.issue").body)["event"]
    assert issued["sha256"] == certificate.fingerprint and issued["serial"] == certificate.serial
    made = json.loads(LogLeaf.objects.get(kind="seal.create").body)["event"]
    assert made["image_sha256"] == seal.image_sha256
    assert "北京示范科技有限公司" not in LogLeaf.objects.get(kind="seal.create").body  # masked and hashed
    assert made["name"]["masked"].startswith("北") and len(made["name"]["sha256"]) == 64


def test_every_signing_record_is_a_leaf_without_the_signers_name_in_clear(signing: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    from inkseal.signing.models import SigningRecord

    record = SigningRecord.objects.get()
    leaf = LogLeaf.objects.get(kind="signing.record")
    event = json.loads(leaf.body)["event"]
    assert event["event_id"] == record.event_id and event["result"] == "success"
    assert event["document"] == {"sha256_before": record.sha256_before, "sha256_after": record.sha256_after}
    assert event["certificate"]["sha256"] == signing.certificate.fingerprint
    assert event["intent"]["method"] == record.intent_method
    assert record.user_name not in leaf.body
    cp = issue_checkpoint()
    assert cp.size == LogLeaf.objects.count()


def test_ids_left_by_rolled_back_appends_do_not_leave_gaps_in_the_indexes():
    from django.db import transaction

    kept = events(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        events(2)
        raise RuntimeError("rolled back")
    kept += events(3, start=3)
    sequence()
    assert list(LogLeaf.objects.order_by("index").values_list("id", flat=True)) == [leaf.id for leaf in kept]
    assert list(LogLeaf.objects.order_by("index").values_list("index", flat=True)) == list(range(6))


def test_the_log_command_signs_a_checkpoint_and_prints_the_keys_to_publish(client):
    import io

    from django.core.management import call_command

    events(4)
    out = io.StringIO()
    call_command("log", "checkpoint", stdout=out)
    note = out.getvalue()
    keys = io.StringIO()
    call_command("log", "keys", stdout=keys)
    printed = [Verifier.parse(line) for line in keys.getvalue().splitlines()]
    assert printed == published_keys(client)
    assert open_note(note, printed, origin=log_origin()).checkpoint.size == 4
