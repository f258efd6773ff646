"""用印审批 (issue #19): the administrator requires approval for a seal type by named approvers; a
use waits for an approval bound to the SHA-256 of the exact document and placements; approvers
decide in their inbox; every step is audited."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from inkseal.accounts.duties import do_set_member_duties
from inkseal.accounts.models import Duty, Membership, Person
from inkseal.audit import events
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.seals.models import ApprovalState, SealApproval, SealType
from inkseal.seals.services.approvals import (
    approval_for,
    check_seal_use_approved,
    needs_approval,
    placements_digest,
    request_seal_use_approval,
)
from tests.conftest import login_client
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, Signing

pytestmark = pytest.mark.django_db

DOCUMENT = hashlib.sha256(b"%PDF-1.7 bid").hexdigest()
PLACEMENTS = placements_digest([{"seal_type": "official", "page": 1, "x": 400, "y": 120}])


class Company:
    def __init__(self, signing: Signing, verified_person: Any):
        self.signing = signing
        self.enterprise = signing.certificate.holder.enterprise
        self.official = signing.seals[SealType.OFFICIAL]
        self.approver = self._member(verified_person(name="审批甲"), {Duty.APPROVER})
        self.other_approver = self._member(verified_person(name="审批乙"), {Duty.APPROVER})
        self.seal_user = self._member(verified_person(name="用印丙"), {Duty.SEAL_USER})

    def _member(self, person: Person, duties: set[str]) -> Person:
        membership = Membership.objects.create(person=person, enterprise=self.enterprise)
        do_set_member_duties(membership, duties, acting=Acting(ACTOR))
        return person

    def client(self, person: Person) -> Any:
        return login_client(person, f"enterprise:{self.enterprise.pk}", stepped_up=True)

    def require_official(self, *approvers: Person) -> Any:
        admin = self.client(self.signing.admin)
        return admin.post("/seals/approvals/settings", {"kind": "official", "approvers": [p.pk for p in approvers]})

    def request(self, document: str = DOCUMENT, placements: str = PLACEMENTS, phone: str = "") -> SealApproval:
        return request_seal_use_approval(
            self.official,
            document,
            placements,
            acting=Acting(ACTOR),
            document_name="投标文件.pdf",
            requested_by="测试交易平台",
            requester_phone=phone,
        )


@pytest.fixture
def company(signing: Signing, verified_person: Any) -> Company:
    return Company(signing, verified_person)


def decide(company: Company, person: Person, approval: SealApproval, decision: str, reason: str = "") -> Any:
    url = f"/seals/approvals/{approval.public_id}/decide"
    return company.client(person).post(url, {"decision": decision, "reason": reason})


def test_the_administrator_requires_approval_for_a_seal_type(company: Company) -> None:
    assert not needs_approval(company.official)
    assert company.require_official(company.approver).status_code == 302
    assert needs_approval(company.official)
    assert not needs_approval(company.signing.seals[SealType.LEGAL_REPRESENTATIVE])
    page = company.client(company.signing.admin).get("/seals/approvals/settings").content.decode()
    assert 'id="rule-official"' in page and "需审批" in page and "审批甲" in page
    entry = AuditEntry.objects.filter(event=events.SEAL_APPROVAL_RULE).get()
    assert entry.data["kind"] == "official" and len(entry.data["approvers"]) == 1
    # no approvers: the requirement is lifted
    company.require_official()
    assert not needs_approval(company.official)


def test_only_members_holding_the_approver_role_can_be_named(
    company: Company, verified_person: Any, make_enterprise: Any
) -> None:
    other = make_enterprise(verified_person(name="他司审批人"), name="其他公司")
    outsider = other.memberships.get()
    do_set_member_duties(outsider, {Duty.APPROVER}, acting=Acting(ACTOR))
    admin = company.client(company.signing.admin)
    url = "/seals/approvals/settings"
    for wrong in (company.seal_user.pk, outsider.person.pk, "x"):
        follow = admin.post(url, {"kind": "official", "approvers": [company.approver.pk, wrong]}, follow=True)
        assert follow.status_code == 200 and "审批人须为本企业担任审批人角色的成员。" in follow.content.decode()
    assert admin.post(url, {"kind": "name", "approvers": [company.approver.pk]}, follow=True).status_code == 200
    assert not needs_approval(company.official)
    assert not AuditEntry.objects.filter(event=events.SEAL_APPROVAL_RULE).exists()


def test_only_the_administrator_changes_the_settings(company: Company) -> None:
    for person in (company.approver, company.seal_user):
        assert company.client(person).get("/seals/approvals/settings").status_code == 403
        url = "/seals/approvals/settings"
        assert company.client(person).post(url, {"kind": "official", "approvers": [person.pk]}).status_code == 403
    assert not needs_approval(company.official)


def test_a_use_waits_for_approval_of_exactly_this_document_and_placements(company: Company) -> None:
    company.require_official(company.approver)
    with pytest.raises(DomainError) as pending:
        check_seal_use_approved(company.official, DOCUMENT, PLACEMENTS)
    assert pending.value.code == "seal_approval_pending" and pending.value.status == 409
    approval = company.request()
    assert company.request().pk == approval.pk, "asking again returns the same request"
    inbox = company.client(company.approver).get("/seals/approvals/").content.decode()
    assert f'id="approval-{approval.public_id}"' in inbox and DOCUMENT in inbox and "投标文件.pdf" in inbox
    assert decide(company, company.approver, approval, "approve").status_code == 302
    assert check_seal_use_approved(company.official, DOCUMENT, PLACEMENTS) == approval_for(
        company.official, DOCUMENT, PLACEMENTS
    )
    changed_document = hashlib.sha256(b"%PDF-1.7 bid, edited").hexdigest()
    moved = placements_digest([{"seal_type": "official", "page": 1, "x": 401, "y": 120}])
    for document, placements in ((changed_document, PLACEMENTS), (DOCUMENT, moved)):
        with pytest.raises(DomainError) as again:
            check_seal_use_approved(company.official, document, placements)
        assert again.value.code == "seal_approval_pending"
    assert AuditEntry.objects.filter(event=events.SEAL_APPROVAL_REQUEST).count() == 1
    assert AuditEntry.objects.filter(event=events.SEAL_APPROVAL_APPROVE).count() == 1
    assert "暂无待审批的用印申请" in company.client(company.approver).get("/seals/approvals/").content.decode()


def test_a_rejection_needs_a_reason_and_blocks_the_use(company: Company) -> None:
    company.require_official(company.approver)
    approval = company.request()
    refused = decide(company, company.approver, approval, "reject").status_code
    assert refused == 302 and SealApproval.objects.get(pk=approval.pk).state == ApprovalState.PENDING
    decide(company, company.approver, approval, "reject", "报价有误")
    with pytest.raises(DomainError) as rejected:
        check_seal_use_approved(company.official, DOCUMENT, PLACEMENTS)
    assert rejected.value.code == "seal_approval_rejected" and "报价有误" in str(rejected.value.message)
    assert AuditEntry.objects.filter(event=events.SEAL_APPROVAL_REJECT).get().data["reason"] == "报价有误"
    # decided once: a second decision is refused (409) and changes nothing
    assert decide(company, company.approver, approval, "approve").status_code == 302
    assert SealApproval.objects.get(pk=approval.pk).state == ApprovalState.REJECTED
    # a new request after the rejection
    assert company.request().pk != approval.pk


def test_who_may_decide(company: Company) -> None:
    company.require_official(company.approver)
    approval = company.request(phone=company.approver.phone)
    # not named in the rule, not an approver, the requester themselves
    assert decide(company, company.other_approver, approval, "approve").status_code == 403
    assert decide(company, company.seal_user, approval, "approve").status_code == 403
    assert decide(company, company.approver, approval, "approve").status_code == 403
    assert "不能审批自己提交的用印申请" in decide(company, company.approver, approval, "approve").content.decode()
    assert company.client(company.seal_user).get("/seals/approvals/").status_code == 403
    assert SealApproval.objects.get(pk=approval.pk).state == ApprovalState.PENDING
    assert (
        f"approval-{approval.public_id}"
        not in company.client(company.other_approver).get("/seals/approvals/").content.decode()
    )


def test_bad_bindings_are_refused(company: Company) -> None:
    company.require_official(company.approver)
    for document, placements in (("abc", PLACEMENTS), (DOCUMENT, "z" * 64), ("", "")):
        with pytest.raises(DomainError) as bad:
            company.request(document, placements)
        assert bad.value.code == "seal_approval_invalid" and bad.value.status == 400
    assert not SealApproval.objects.exists()
    with pytest.raises(DomainError):
        request_seal_use_approval(
            company.signing.seals[SealType.LEGAL_REPRESENTATIVE], DOCUMENT, PLACEMENTS, acting=Acting(ACTOR)
        )


def test_the_placements_digest_is_canonical() -> None:
    a = placements_digest([{"seal_type": "official", "page": 1, "x": 400, "y": 120}])
    b = placements_digest([{"y": 120, "x": 400, "page": 1, "seal_type": "official"}])
    assert a == b and len(a) == 64
    assert a != placements_digest([{"seal_type": "official", "page": 2, "x": 400, "y": 120}])
