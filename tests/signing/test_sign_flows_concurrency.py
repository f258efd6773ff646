"""会签 without waiting, on PostgreSQL (real concurrent transactions): seven experts confirming
within the same second each get their signature applied at once, one after the other on the
document's current version, and the final report carries seven intact signatures; a cancellation
racing confirmations leaves only whole signatures. bench/sign_flow_bench.py measures 20 signers."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from inkseal.signing.models import FlowDocument, FlowSigner, SignFlow, SigningRecord
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing
from tests.signing.flow_support import confirm_by_pin, create_flow, flow_spec, link_token, make_experts
from tests.signing.test_ofd_api import sm2_signing  # noqa: F401
from tests.signing.test_sign_flows import assert_every_signature_valid

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="real concurrent transactions need a server database (make test runs this on PostgreSQL)",
    ),
]


def _all_at_once(actions: list[Any]) -> list[Any]:
    """Run each action in a thread of its own, released together by a barrier."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = actions[index]()
        except Exception as exc:  # reported by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_seven_experts_confirming_in_the_same_second(signing: Signing, tmp_path: Path) -> None:
    experts = make_experts(signing, 7)
    created = create_flow(signing, flow_spec(experts))
    assert created.status_code == 201, created.content
    flow = created.json()
    links = [link_token(s["confirm_url"]) for s in flow["signers"]]

    results = _all_at_once([lambda link=link: confirm_by_pin(Client(), link) for link in links])

    for result in results:
        assert not isinstance(result, Exception), result
        assert result.status_code == 200 and result.json()["status"] == "signed", result.content
    stored = SignFlow.objects.get(public_id=flow["id"])
    assert stored.status == "signed"
    document = FlowDocument.objects.get(flow=stored)
    assert document.version == 7
    # every confirmation was accepted before the last signature was applied: nobody's acceptance
    # waited for the signatures (or PINs) of the others
    signers = list(FlowSigner.objects.filter(flow=stored).select_related("task"))
    last_claim = max(s.task.confirmed_at for s in signers if s.task.confirmed_at)
    last_signature = max(s.signed_at for s in signers if s.signed_at)
    assert last_claim < last_signature
    records = SigningRecord.objects.filter(task__flow_signer__flow=stored, result="success")
    assert records.count() == 7
    # each signature was applied to the version the one before left: one chain, no fork
    befores = {r.sha256_before for r in records}
    afters = {r.sha256_after for r in records}
    assert len(befores) == 7 and len(afters) == 7
    assert befores - afters == {document.sha256_original}
    assert afters - befores == {document.sha256_current}
    with document.current.open("rb") as handle:
        pdf = handle.read()
    assert_every_signature_valid(pdf, experts, tmp_path)


def test_a_cancellation_racing_confirmations_leaves_only_whole_signatures(signing: Signing, tmp_path: Path) -> None:
    experts = make_experts(signing, 4)
    token = signing.token()
    flow = create_flow(signing, flow_spec(experts), token=token).json()
    links = [link_token(s["confirm_url"]) for s in flow["signers"]]

    def cancel() -> Any:
        return Client().post(
            f"/api/v1/sign-flows/{flow['id']}/cancel",
            {"reason": "招标终止"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    results = _all_at_once([*(lambda link=link: confirm_by_pin(Client(), link) for link in links), cancel])

    for result in results:
        assert not isinstance(result, Exception), result
        assert result.status_code < 500, result.content
    stored = SignFlow.objects.get(public_id=flow["id"])
    assert stored.status in ("cancelled", "signed")
    signers = list(FlowSigner.objects.filter(flow=stored))
    signed = [s for s in signers if s.status == "signed"]
    assert all(s.status in ("signed", "cancelled") for s in signers), [(s.number, s.status) for s in signers]
    document = FlowDocument.objects.get(flow=stored)
    assert document.version == len(signed)
    assert SigningRecord.objects.filter(task__flow_signer__flow=stored, result="success").count() == len(signed)
    if signed:
        with document.current.open("rb") as handle:
            pdf = handle.read()
        signed_experts = [e for e in experts if e.certificate.pk in {s.certificate_id for s in signed}]
        assert_every_signature_valid(pdf, signed_experts, tmp_path)
    else:
        assert document.current.name == document.original.name


def test_five_experts_sealing_one_ofd_in_the_same_second(sm2_signing: Signing) -> None:  # noqa: F811
    """The same on an OFD: each seal a continue-signing signature on the current version."""
    from inkseal.pki.algorithms import SM2
    from inkseal.signing.core.ofd.verify import verify_ofd
    from tests.signing.ofd import independent
    from tests.signing.test_ofd_api import HELLO
    from tests.signing.test_sign_flows_ofd import ofd_flow_spec

    experts = make_experts(sm2_signing, 5, algorithm=SM2)
    created = create_flow(sm2_signing, ofd_flow_spec(experts, [1] * 5), [("report.ofd", HELLO)])
    assert created.status_code == 201, created.content
    links = [link_token(s["confirm_url"]) for s in created.json()["signers"]]

    results = _all_at_once([lambda link=link: confirm_by_pin(Client(), link) for link in links])

    for result in results:
        assert not isinstance(result, Exception), result
        assert result.status_code == 200 and result.json()["status"] == "signed", result.content
    document = FlowDocument.objects.get(flow__public_id=created.json()["id"])
    assert document.version == 5
    with document.current.open("rb") as handle:
        data = handle.read()
    assert [s.status for s in verify_ofd(data).signatures] == ["valid"] * 5
    checks = independent.check(data)
    assert len(checks) == 5 and all(c.signature_intact and c.changed == [] for c in checks), checks
