"""切换身份 and 创建企业: a person acts as themselves or as an enterprise they belong to, nothing else."""

from __future__ import annotations

import pytest

from inkseal.accounts.models import Enterprise, Membership
from inkseal.audit.models import AuditEntry
from tests.conftest import login_client, make_uscc

pytestmark = pytest.mark.django_db


def test_switching_to_an_own_enterprise(make_person, make_enterprise):
    person = make_person(name="李四")
    enterprise = make_enterprise(person, name="甲公司")
    client = login_client(person)
    response = client.post("/account/identity", {"identity": f"enterprise:{enterprise.pk}"})
    assert response.status_code == 302
    assert enterprise.name in client.get("/").content.decode()
    entry = AuditEntry.objects.filter(event="identity.switch").latest("seq")
    assert entry.identity == f"enterprise:{enterprise.pk}"


def test_member_of_a_cannot_act_as_b(make_person, make_enterprise):
    alice, bob = make_person(name="爱丽丝"), make_person(name="鲍勃")
    a = make_enterprise(alice, name="甲公司")
    b = make_enterprise(bob, name="乙公司")
    client = login_client(alice)
    client.post("/account/identity", {"identity": f"enterprise:{b.pk}"})
    home = client.get("/").content.decode()
    assert b.name not in home
    assert "爱丽丝" in home  # fell back to the personal identity
    profile = client.get("/account/").content.decode()
    assert a.name in profile and b.name not in profile


def test_identity_in_a_forged_session_is_not_trusted(make_person, make_enterprise):
    alice, bob = make_person(name="爱丽丝"), make_person(name="鲍勃")
    b = make_enterprise(bob, name="乙公司")
    client = login_client(alice, identity=f"enterprise:{b.pk}")
    assert b.name not in client.get("/").content.decode()


def test_membership_removed_means_access_removed(make_person, make_enterprise):
    person = make_person()
    enterprise = make_enterprise(person, name="丙公司")
    client = login_client(person, identity=f"enterprise:{enterprise.pk}")
    assert enterprise.name in client.get("/").content.decode()
    Membership.objects.filter(person=person).delete()
    assert enterprise.name not in client.get("/").content.decode()


def test_create_enterprise_makes_the_creator_its_administrator(make_person):
    person = make_person()
    client = login_client(person)
    uscc = make_uscc(42)
    response = client.post(
        "/account/enterprises/new",
        {"name": "丁科技有限公司", "enterprise_type": "enterprise", "uscc": uscc, "legal_rep_name": "丁一"},
    )
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(uscc=uscc)
    assert Membership.objects.get(person=person, enterprise=enterprise).role == Membership.Role.ADMIN
    assert enterprise.get_state_display() == "待认证"
    assert "丁科技有限公司" in client.get("/").content.decode()  # now acting as the enterprise
    assert AuditEntry.objects.filter(event="enterprise.create").exists()


def test_create_enterprise_with_a_bad_uscc_changes_nothing(make_person):
    client = login_client(make_person())
    response = client.post(
        "/account/enterprises/new", {"name": "戊公司", "enterprise_type": "enterprise", "uscc": "91350100M000100Y44"}
    )
    assert response.status_code == 400
    assert "统一社会信用代码校验失败" in response.content.decode()
    assert not Enterprise.objects.exists()


def test_create_enterprise_with_a_taken_uscc_is_refused(make_person, make_enterprise):
    owner = make_person()
    existing = make_enterprise(owner)
    client = login_client(make_person())
    response = client.post(
        "/account/enterprises/new", {"name": "冒名公司", "enterprise_type": "enterprise", "uscc": existing.uscc}
    )
    assert response.status_code == 400
    assert Enterprise.objects.count() == 1


def test_profile_shows_masked_numbers_only(make_person):
    person = make_person(phone="18800005473", id_number="11010519491231002X")
    page = login_client(person).get("/account/").content.decode()
    assert "188****5473" in page and "18800005473" not in page
    assert "110*****02X" in page and "11010519491231002X" not in page
