"""用印审批 under concurrency (PostgreSQL): requests for one binding made at once give one request,
and two approvers deciding at once give one decision."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Membership
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.seals.models import ApprovalState, SealApproval
from inkseal.seals.services.approvals import do_decide_approval
from tests.seals.test_approvals import Company
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, Signing

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="a true race needs a server database (./scripts/with-postgres.sh)",
    ),
]


def at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except DomainError as exc:
            results[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def company(signing: Signing, verified_person: Any) -> Company:
    return Company(signing, verified_person)


def test_requests_at_once_make_one_request(company: Company) -> None:
    company.require_official(company.approver)
    results = at_once([company.request for _ in range(6)])
    assert len({r.pk for r in results}) == 1
    assert SealApproval.objects.count() == 1


def test_two_approvers_at_once_make_one_decision(company: Company) -> None:
    company.require_official(company.approver, company.other_approver)
    approval = company.request()

    def decide(person: Any, approve: bool) -> Callable[[], Any]:
        role = Membership.objects.get(person=person, enterprise=company.enterprise)
        identity = CurrentIdentity(person, company.enterprise, role.role, role.duties)
        return lambda: do_decide_approval(identity, approval, approve=approve, reason="不同意", acting=Acting(ACTOR))

    results = at_once([decide(company.approver, True), decide(company.other_approver, False)])
    assert sorted(r if isinstance(r, str) else "decided" for r in results) == ["decided", "seal_approval_decided"]
    final = SealApproval.objects.get()
    assert final.state in (ApprovalState.APPROVED, ApprovalState.REJECTED)
