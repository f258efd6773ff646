"""Separation of duties (三权分立) for enterprise seals, issue #19: the administrator assigns seal
administrator, seal user, approver and auditor; with 三权分立 on, every page refuses what a role may
not do; the confirm step refuses a confirmer who is not a seal user; role changes are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from inkseal.accounts.duties import do_set_member_duties, do_set_separation_of_duties
from inkseal.accounts.models import Duty, Membership, Person
from inkseal.audit import events
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.seals.models import SealState, SealType
from inkseal.seals.services import is_bound
from inkseal.signing.models import SignTask, TaskStatus
from tests.conftest import login_client, step_up
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import ACTOR, CONFIRMER_PHONE, Signing, confirm_token, sms_code

pytestmark = pytest.mark.django_db

ROLES = {
    # name: (Membership.role, duties)
    "administrator": (Membership.Role.ADMIN, set()),
    "seal_admin": (Membership.Role.MEMBER, {Duty.SEAL_ADMIN}),
    "seal_user": (Membership.Role.MEMBER, {Duty.SEAL_USER}),
    "approver": (Membership.Role.MEMBER, {Duty.APPROVER}),
    "auditor": (Membership.Role.MEMBER, {Duty.AUDITOR}),
    "member": (Membership.Role.MEMBER, set()),
}


class Company:
    """The signing fixture's enterprise (verified, a cloud certificate with 公章 and 法定代表人章
    bound), with 三权分立 on and one member per role."""

    def __init__(self, signing: Signing, verified_person: Any):
        self.signing = signing
        self.enterprise = signing.certificate.holder.enterprise
        self.admin_membership = Membership.objects.get(person=signing.admin, enterprise=self.enterprise)
        self.people: dict[str, Person] = {"administrator": signing.admin}
        for n, (name, (role, duties)) in enumerate(ROLES.items()):
            if name == "administrator":
                continue
            person = verified_person(name=f"成员{n}")
            membership = Membership.objects.create(person=person, enterprise=self.enterprise, role=role)
            do_set_member_duties(membership, duties, acting=Acting(ACTOR))
            self.people[name] = person
        do_set_separation_of_duties(self.enterprise, True, acting=Acting(ACTOR))

    def client(self, role: str) -> Any:
        return login_client(self.people[role], f"enterprise:{self.enterprise.pk}", stepped_up=True)

    def membership(self, role: str) -> Membership:
        return Membership.objects.get(person=self.people[role], enterprise=self.enterprise)


@pytest.fixture
def company(signing: Signing, verified_person: Any) -> Company:
    return Company(signing, verified_person)


# --- the matrix: each role × each action, with 三权分立 on -----------------------------------------


def _make_page(c: Company, client: Any) -> Any:
    return client.get("/seals/new/")


def _void(c: Company, client: Any) -> Any:
    seal = c.signing.seals[SealType.LEGAL_REPRESENTATIVE]
    return client.post("/seals/void", {"seal": seal.pk, "confirm": "1"})


def _unbind(c: Company, client: Any) -> Any:
    seal = c.signing.seals[SealType.OFFICIAL]
    return client.post(f"/seals/certificates/{c.signing.certificate.pk}/unbind", {"seal": seal.pk})


def _records(c: Company, client: Any) -> Any:
    return client.get("/records/")


def _self_sign(c: Company, client: Any) -> Any:
    return client.get("/sign/self/")


def _assign(c: Company, client: Any) -> Any:
    member = c.membership("member")
    return client.post(f"/account/enterprises/{c.enterprise.pk}/members/{member.pk}/duties", {"duties": ["approver"]})


def _approval_inbox(c: Company, client: Any) -> Any:
    return client.get("/seals/approvals/")


def _approval_settings(c: Company, client: Any) -> Any:
    return client.post("/seals/approvals/settings", {"kind": "official", "approvers": []})


ACTIONS = {
    "make_seal": (_make_page, {"seal_admin"}, "只有企业的印章管理员可以制作、变更或作废企业印章。"),
    "void_seal": (_void, {"seal_admin"}, "只有企业的印章管理员可以制作、变更或作废企业印章。"),
    "unbind_seal": (_unbind, {"seal_admin"}, "只有企业的印章管理员可以绑定或解绑企业印章。"),
    "read_records": (_records, {"auditor"}, "只有企业的审计员可以查看印章使用记录和应用记录"),
    "self_sign": (_self_sign, {"seal_user"}, "只有企业的用印人可以使用企业证书自助签署。"),
    "assign_duties": (_assign, {"administrator"}, "只有企业管理员（经办人）可以设置成员角色和三权分立。"),
    "approve_seal_use": (_approval_inbox, {"approver"}, "只有企业的审批人可以审批用印申请。"),
    "require_approval": (_approval_settings, {"administrator"}, "只有企业管理员（经办人）可以设置用印审批。"),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_does_only_its_own_job(company: Company, role: str, action: str) -> None:
    do, allowed, refusal = ACTIONS[action]
    response = do(company, company.client(role))
    if role in allowed:
        assert response.status_code in (200, 302), response.content.decode()[:500]
    else:
        assert response.status_code == 403, (role, action, response.status_code)
        assert refusal in response.content.decode()


def test_refused_actions_change_nothing(company: Company) -> None:
    for role in ("administrator", "seal_user", "auditor"):
        client = company.client(role)
        _void(company, client)
        _unbind(company, client)
    seals = company.signing.seals
    assert seals[SealType.LEGAL_REPRESENTATIVE].__class__.objects.get(pk=seals[SealType.LEGAL_REPRESENTATIVE].pk).state
    assert all(s.__class__.objects.get(pk=s.pk).state == SealState.ACTIVE for s in seals.values())
    assert is_bound(seals[SealType.OFFICIAL], company.signing.certificate)
    assert company.membership("member").duties == frozenset()


def test_allowed_actions_take_effect(company: Company) -> None:
    seal_admin = company.client("seal_admin")
    assert _unbind(company, seal_admin).status_code == 302
    assert not is_bound(company.signing.seals[SealType.OFFICIAL], company.signing.certificate)
    assert _void(company, seal_admin).status_code == 302
    voided = company.signing.seals[SealType.LEGAL_REPRESENTATIVE]
    assert voided.__class__.objects.get(pk=voided.pk).state == SealState.VOID


def test_seal_pages_show_usage_records_to_auditors_only(company: Company) -> None:
    for role, shown in (("auditor", True), ("seal_admin", False), ("administrator", False)):
        page = company.client(role).get("/seals/").content.decode()
        assert ('id="usage-records"' in page) is shown, role
        assert ('id="usage-records-hidden"' in page) is not shown, role
    seal = company.signing.seals[SealType.OFFICIAL]
    assert 'id="usage-records"' not in company.client("seal_user").get(f"/seals/{seal.pk}/").content.decode()


def test_certificate_page_offers_binding_to_seal_admins_only(company: Company) -> None:
    url = f"/certificates/{company.signing.certificate.pk}/"
    assert 'id="bind-seal"' in company.client("seal_admin").get(url).content.decode() or (
        "/unbind" in company.client("seal_admin").get(url).content.decode()
    )
    for role in ("administrator", "auditor", "seal_user"):
        page = company.client(role).get(url).content.decode()
        assert 'id="bind-seal"' not in page and "/unbind" not in page, role


# --- without 三权分立: what administrators and members did before stays -------------------------


def test_without_separation_the_administrator_keeps_seal_powers_and_members_read_records(company: Company) -> None:
    do_set_separation_of_duties(company.enterprise, False, acting=Acting(ACTOR))
    admin = company.client("administrator")
    assert _make_page(company, admin).status_code == 200
    assert _self_sign(company, admin).status_code == 200
    assert _records(company, company.client("member")).status_code == 200
    assert _make_page(company, company.client("member")).status_code == 403
    assert _unbind(company, company.client("auditor")).status_code == 403
    assert _unbind(company, admin).status_code == 302


# --- assigning duties: the refused combination and the audit log ----------------------------------


@pytest.mark.parametrize("other", [Duty.SEAL_ADMIN, Duty.SEAL_USER, Duty.APPROVER])
def test_the_auditor_holds_no_other_duty(company: Company, other: str) -> None:
    member = company.membership("member")
    url = f"/account/enterprises/{company.enterprise.pk}/members/{member.pk}/duties"
    response = company.client("administrator").post(url, {"duties": [Duty.AUDITOR, other]}, follow=True)
    assert response.status_code == 200
    assert "审计员不能同时担任印章管理员、用印人或审批人（三权分立）。" in response.content.decode()
    assert company.membership("member").duties == frozenset()
    member.auditor, member.seal_admin = True, True
    with pytest.raises(IntegrityError), transaction.atomic():
        member.save()  # the database refuses it too


def test_role_changes_need_a_fresh_step_up(company: Company) -> None:
    member = company.membership("member")
    admin = login_client(company.signing.admin, f"enterprise:{company.enterprise.pk}")
    page = admin.get(f"/account/enterprises/{company.enterprise.pk}/").content.decode()
    assert 'id="step-up-needed"' in page and "/account/step-up/?next=" in page
    url = f"/account/enterprises/{company.enterprise.pk}/members/{member.pk}/duties"
    refused = admin.post(url, {"duties": [Duty.SEAL_ADMIN]})
    assert refused.status_code == 403 and "此操作须先完成身份验证" in refused.content.decode()
    switch = admin.post(f"/account/enterprises/{company.enterprise.pk}/separation", {"on": "0"})
    assert switch.status_code == 403
    company.enterprise.refresh_from_db()
    assert company.membership("member").duties == frozenset() and company.enterprise.separation_of_duties
    step_up(admin, company.signing.admin)
    assert admin.post(url, {"duties": [Duty.SEAL_ADMIN]}).status_code == 302
    assert company.membership("member").duties == {Duty.SEAL_ADMIN}


def test_other_combinations_are_allowed(company: Company) -> None:
    member = company.membership("member")
    url = f"/account/enterprises/{company.enterprise.pk}/members/{member.pk}/duties"
    all_but_auditor = [Duty.SEAL_ADMIN, Duty.SEAL_USER, Duty.APPROVER]
    assert company.client("administrator").post(url, {"duties": all_but_auditor}).status_code == 302
    assert company.membership("member").duties == frozenset(all_but_auditor)


def test_unknown_duties_and_foreign_members_are_refused(
    company: Company, verified_person: Any, make_enterprise: Any
) -> None:
    member = company.membership("member")
    admin = company.client("administrator")
    url = f"/account/enterprises/{company.enterprise.pk}/members/{member.pk}/duties"
    assert "未知的角色" in admin.post(url, {"duties": ["owner"]}, follow=True).content.decode()
    outsider = verified_person(name="外人")
    other = make_enterprise(outsider, name="其他公司")
    foreign = Membership.objects.get(enterprise=other)
    assert admin.post(f"/account/enterprises/{company.enterprise.pk}/members/{foreign.pk}/duties").status_code == 404
    assert admin.post(f"/account/enterprises/{other.pk}/members/{foreign.pk}/duties").status_code == 404
    assert admin.post(f"/account/enterprises/{other.pk}/separation", {"on": "0"}).status_code == 404
    assert Membership.objects.get(pk=foreign.pk).duties == frozenset()


def test_role_changes_and_the_switch_are_audited(company: Company) -> None:
    member = company.membership("member")
    admin = company.client("administrator")
    admin.post(f"/account/enterprises/{company.enterprise.pk}/members/{member.pk}/duties", {"duties": ["seal_user"]})
    entry = AuditEntry.objects.filter(event=events.ENTERPRISE_MEMBER_DUTIES).order_by("-pk").first()
    assert entry is not None and entry.target == f"enterprise:{company.enterprise.pk}"
    assert entry.data["before"] == [] and entry.data["after"] == ["seal_user"]
    assert company.people["member"].phone not in str(entry.data), "phones are masked"
    admin.post(f"/account/enterprises/{company.enterprise.pk}/separation", {"on": "0"})
    switch = AuditEntry.objects.filter(event=events.ENTERPRISE_SEPARATION_OF_DUTIES).order_by("-pk").first()
    assert switch is not None and switch.data == {"on": False}
    company.enterprise.refresh_from_db()
    assert not company.enterprise.separation_of_duties


def test_member_page_shows_roles_and_the_switch(company: Company) -> None:
    url = f"/account/enterprises/{company.enterprise.pk}/"
    page = company.client("administrator").get(url).content.decode()
    assert "三权分立：已开启" in page and 'id="separation-off"' in page
    assert page.count('name="duties"') == 4 * len(ROLES)
    member_view = company.client("auditor").get(url).content.decode()
    assert 'name="duties"' not in member_view and "审计员" in member_view and 'id="separation-off"' not in member_view


# --- the signing instant: only a seal user confirms with the enterprise's seals --------------------


def _create_task(signing: Signing) -> str:
    created = signing.create()
    assert created.status_code == 201, created.content
    return confirm_token(created.json()["confirm_url"])


def _confirm(signing: Signing, token: str) -> Any:
    assert signing.client.post(f"/api/v1/confirm/{token}/code").status_code == 200
    return signing.client.post(
        f"/api/v1/confirm/{token}",
        {"method": "sms", "code": sms_code(signing.client)},
        content_type="application/json",
    )


def test_a_confirmer_who_is_not_a_seal_user_is_refused(company: Company, verified_person: Any) -> None:
    signing = company.signing
    token = _create_task(signing)
    refused = _confirm(signing, token)
    assert refused.status_code == 403 and refused.json()["error"] == "seal_user_required", refused.content
    assert "只有用印人可以确认使用企业印章签章" in refused.json()["message"]
    task = SignTask.objects.get()
    assert task.status == TaskStatus.PENDING and task.confirmed_at is None
    assert not task.documents.exclude(signed="").exists()
    assert AuditEntry.objects.filter(event=events.ENTERPRISE_SEAL_USER_REFUSED).exists()
    # the authorised person becomes a seal user of the enterprise: the same link now signs
    confirmer = verified_person(name="王五", phone=CONFIRMER_PHONE)
    membership = Membership.objects.create(person=confirmer, enterprise=company.enterprise)
    do_set_member_duties(membership, {Duty.SEAL_USER}, acting=Acting(ACTOR))
    done = _confirm(signing, token)
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content


def test_a_member_without_the_seal_user_duty_is_refused_too(company: Company, verified_person: Any) -> None:
    confirmer = verified_person(name="王五", phone=CONFIRMER_PHONE)
    membership = Membership.objects.create(person=confirmer, enterprise=company.enterprise)
    do_set_member_duties(membership, {Duty.APPROVER}, acting=Acting(ACTOR))
    assert _confirm(company.signing, _create_task(company.signing)).status_code == 403


def test_without_separation_the_authorised_person_confirms_as_before(company: Company) -> None:
    do_set_separation_of_duties(company.enterprise, False, acting=Acting(ACTOR))
    done = _confirm(company.signing, _create_task(company.signing))
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content


@pytest.mark.parametrize("role", ROLES)
def test_only_auditors_may_ask_for_a_records_signing_report(company: Company, role: str) -> None:
    """下载签署报告 follows 应用详情: with 三权分立 on, a member who may not read the records is refused
    before any record is looked up (an auditor asking for an unknown record gets 404)."""
    response = company.client(role).post("/records/0123456789abcdef/report")
    if role == "auditor":
        assert response.status_code == 404
    else:
        assert response.status_code == 403, (role, response.status_code)
        assert "只有企业的审计员可以查看印章使用记录和应用记录" in response.content.decode()
