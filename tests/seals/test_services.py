"""Seal lifecycle rules, permissions, and the services other apps call (stamps, usage, bindings)."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from PIL import Image

from inkseal.accounts.models import EnterpriseState, Membership
from inkseal.accounts.services import identity_acting
from inkseal.audit.models import AuditEntry
from inkseal.core import demo
from inkseal.core.errors import DomainError
from inkseal.identity.errors import EnterpriseUnverified, IdentityUnverified
from inkseal.seals import services
from inkseal.seals.models import Seal, SealState, SealType, SealUsage
from inkseal.seals.services import TemplateOptions, do_make_template_seal
from inkseal.seals.services import bindings as binding_services
from tests.seals.conftest import COMPANY, LEGAL_REP, as_enterprise, as_person

pytestmark = pytest.mark.django_db


def make(identity, seal_type, **options) -> Seal:
    return do_make_template_seal(
        identity, seal_type, TemplateOptions(**options), acting=identity_acting(identity, "203.0.113.9")
    )


def make_all_enterprise_seals(company) -> dict[str, Seal]:
    identity = as_enterprise(company)
    return {t: make(identity, t) for t in ("official", "legal_representative", "contract", "finance")}


# --- making seals ------------------------------------------------------------------------------


def test_person_makes_a_square_name_seal_from_the_template(person):
    seal = make(as_person(person), SealType.NAME, style="square")
    assert (seal.kind, seal.source, seal.template_kind, seal.name) == ("name", "template", "name_square", "王小明")
    assert seal.state == SealState.ACTIVE and seal.created_by == person
    assert (seal.width_mm, seal.height_mm) == (20.0, 20.0)
    image = Image.open(io.BytesIO(services.seal_image_bytes(seal)))
    assert image.mode == "RGBA" and image.width >= 300
    entry = AuditEntry.objects.get(event="seal.create")
    assert entry.target == f"seal:{seal.pk}" and entry.ip == "203.0.113.9" and entry.data["kind"] == "name"


def test_enterprise_seals_carry_the_enterprise_and_legal_representative_names(company):
    seals = make_all_enterprise_seals(company)
    assert seals["official"].name == COMPANY and seals["contract"].name == COMPANY
    assert seals["legal_representative"].name == LEGAL_REP
    assert seals["official"].width_mm == pytest.approx(42.0, abs=0.1)
    assert seals["legal_representative"].width_mm == pytest.approx(20.0, abs=0.1)


def test_template_options_are_kept(company):
    seal = make(as_enterprise(company), "contract", color="blue", border="double", lower_text="3101150012345")
    assert (seal.color, seal.border, seal.lower_text) == ("blue", "double", "3101150012345")
    rgba = np.asarray(Image.open(io.BytesIO(services.seal_image_bytes(seal))).convert("RGBA"))
    assert (rgba[rgba[..., 3] == 255][:, :3] == (0x10, 0x3C, 0xB4)).all(), "solid ink is the chosen blue"


def test_one_active_seal_per_type_and_new_is_disabled_when_all_types_have_one(person):
    identity = as_person(person)
    assert services.missing_types(identity) == [SealType.NAME, SealType.HANDWRITING]
    make(identity, SealType.NAME, style="square")
    with pytest.raises(DomainError) as refused:
        make(identity, SealType.NAME, style="strip")  # a strip 人名章 is still a 人名章
    assert refused.value.code == "seal_type_taken" and refused.value.status == 409
    assert services.missing_types(identity) == [SealType.HANDWRITING]
    Seal.objects.create(
        owner=person.party,
        kind="handwriting",
        source="handwriting",
        name="王小明",
        image="x.png",
        width_mm=30,
        height_mm=15,
        created_by=person,
    )
    assert services.missing_types(identity) == []


def test_replacing_a_seal_voids_the_old_one_with_its_time(person):
    identity = as_person(person)
    old = make(identity, SealType.NAME, style="square")
    new = do_make_template_seal(
        identity, "name", TemplateOptions(style="strip"), acting=identity_acting(identity, "203.0.113.9"), replaces=old
    )
    old.refresh_from_db()
    assert old.state == SealState.VOID and old.voided_at is not None and old.state_reason
    assert new.state == SealState.ACTIVE and new.template_kind == "name_strip"
    with pytest.raises(DomainError) as refused:
        do_make_template_seal(
            identity, "name", TemplateOptions(), acting=identity_acting(identity, "203.0.113.9"), replaces=old
        )
    assert refused.value.code == "seal_inactive"


def test_a_failed_seal_leaves_no_image_behind(person, seal_media):
    identity = as_person(person)
    make(identity, SealType.NAME)
    files_before = sorted(p.name for p in seal_media.rglob("*.png"))
    with pytest.raises(DomainError):
        make(identity, SealType.NAME)
    assert sorted(p.name for p in seal_media.rglob("*.png")) == files_before


def test_bad_template_options_are_refused_in_the_users_language(company):
    with pytest.raises(DomainError) as refused:
        make(as_enterprise(company), "official", lower_text="1" * 25)
    assert refused.value.code == "lower_text_too_long" and refused.value.status == 400
    assert "下弦文" in str(refused.value.message)
    with pytest.raises(DomainError) as refused:
        make(as_enterprise(company), "official", color="green")
    assert refused.value.code == "unknown_ink_color"
    assert Seal.objects.count() == 0


def test_legal_representative_seal_needs_the_name(company):
    company.legal_rep_name = ""
    company.save()
    with pytest.raises(DomainError) as refused:
        make(as_enterprise(company), "legal_representative")
    assert refused.value.code == "legal_rep_missing"


# --- who may make seals ---------------------------------------------------------------------------


def test_unverified_person_is_refused(make_person, seal_media):
    with pytest.raises(IdentityUnverified):
        make(as_person(make_person(name="李四")), SealType.NAME)
    assert Seal.objects.count() == 0


def test_enterprise_member_who_is_not_an_administrator_cannot_make_seals(company, make_person):
    member = make_person(name="赵六", verified=True)
    Membership.objects.create(person=member, enterprise=company, role=Membership.Role.MEMBER)
    with pytest.raises(DomainError) as refused:
        make(as_enterprise(company, member, role="member"), "official")
    assert refused.value.status == 403


def test_unverified_enterprise_is_refused(company):
    company.state = EnterpriseState.PENDING
    company.save()
    with pytest.raises(EnterpriseUnverified):
        make(as_enterprise(company), "official")


@pytest.mark.parametrize(("who", "seal_type"), [("person", "official"), ("enterprise", "name")])
def test_each_identity_makes_only_its_own_kinds(person, company, who, seal_type):
    identity = as_person(person) if who == "person" else as_enterprise(company)
    with pytest.raises(DomainError) as refused:
        make(identity, seal_type)
    assert refused.value.code == "seal_kind_not_allowed"


def test_persons_cannot_upload_seal_images(person):
    with pytest.raises(DomainError) as refused:
        services.do_upload_seal(
            as_person(person),
            "name",
            b"x",
            acting=identity_acting(as_person(person), "203.0.113.9"),
            risk_acknowledged=True,
        )
    assert refused.value.code == "seal_kind_not_allowed"


def test_upload_needs_the_risk_notice_acknowledged(company):
    with pytest.raises(DomainError) as refused:
        services.do_upload_seal(
            as_enterprise(company),
            "official",
            b"anything",
            acting=identity_acting(as_enterprise(company), "203.0.113.9"),
        )
    assert refused.value.code == "risk_notice_required"


def test_the_access_gate_hides_other_identities_seals(person, company):
    mine = make(as_person(person), SealType.NAME)
    theirs = make(as_enterprise(company), "official")
    assert services.seal_for(as_person(person), mine.pk) == mine
    for seal_id in (theirs.pk, 999_999, "abc"):
        with pytest.raises(DomainError) as hidden:
            services.seal_for(as_person(person), seal_id)
        assert hidden.value.status == 404 and hidden.value.code == "seal_not_found"
    # the same person acting for the enterprise sees the enterprise's seals only
    with pytest.raises(DomainError):
        services.seal_for(as_enterprise(company), mine.pk)


# --- voiding ------------------------------------------------------------------------------------


def test_void_records_the_time_and_keeps_the_usage_records(person):
    identity = as_person(person)
    seal = make(identity, SealType.NAME)
    services.record_seal_usage(seal, event_id="E1", document_name="a.pdf", platform_name="采购平台")
    before = timezone.now()
    assert services.do_void_seal(identity, seal, acting=identity_acting(identity, "203.0.113.9")) == []
    seal.refresh_from_db()
    assert seal.state == SealState.VOID and before <= seal.voided_at <= timezone.now()
    assert list(services.usages_for(person.party, void=True)) == list(SealUsage.objects.all())
    assert not services.usages_for(person.party).exists()
    assert AuditEntry.objects.filter(event="seal.void", target=f"seal:{seal.pk}").exists()
    with pytest.raises(DomainError) as again:
        services.do_void_seal(identity, seal, acting=identity_acting(identity, "203.0.113.9"))
    assert again.value.code == "seal_inactive"
    assert services.missing_types(identity) == [SealType.NAME, SealType.HANDWRITING], "the type is free again"


def test_void_warns_about_certificate_bindings(person, monkeypatch):
    monkeypatch.setattr(binding_services, "_binding_providers", [])
    services.register_seal_binding(lambda seal: [f"云证书 5F3A（{seal.get_kind_display()}）"])
    seal = make(as_person(person), SealType.NAME)
    assert services.seal_bindings(seal) == ["云证书 5F3A（人名章）"]
    assert services.do_void_seal(as_person(person), seal, acting=identity_acting(as_person(person), "203.0.113.9")) == [
        "云证书 5F3A（人名章）"
    ]
    assert AuditEntry.objects.get(event="seal.void").data["bindings"] == ["云证书 5F3A（人名章）"]


def test_members_cannot_void_enterprise_seals(company, make_person):
    seal = make(as_enterprise(company), "official")
    member = make_person(name="赵六", verified=True)
    Membership.objects.create(person=member, enterprise=company, role=Membership.Role.MEMBER)
    with pytest.raises(DomainError) as refused:
        services.do_void_seal(
            as_enterprise(company, member, role="member"),
            seal,
            acting=identity_acting(as_enterprise(company, member, role="member"), "203.0.113.9"),
        )
    assert refused.value.status == 403
    seal.refresh_from_db()
    assert seal.state == SealState.ACTIVE


# --- 待变更 ---------------------------------------------------------------------------------------


def test_renaming_the_enterprise_marks_its_name_seals_for_change(company):
    seals = make_all_enterprise_seals(company)
    company.name = "北京天威诚信电子商务服务股份有限公司"
    company.save()
    states = {s.kind: s.state for s in Seal.objects.filter(owner=company.party)}
    assert states == {
        "official": SealState.PENDING_CHANGE,
        "contract": SealState.PENDING_CHANGE,
        "finance": SealState.PENDING_CHANGE,
        "legal_representative": SealState.ACTIVE,  # carries the representative's name only
    }
    assert AuditEntry.objects.filter(event="seal.mark_for_change").count() == 3
    identity = as_enterprise(company)
    assert services.missing_types(identity) == [], "待变更 seals still hold their type: they are 变更d"
    with pytest.raises(DomainError) as refused:
        services.seal_stamp(company.party, "official")
    assert refused.value.code == "seal_inactive"
    renewed = do_make_template_seal(
        identity,
        "official",
        TemplateOptions(),
        acting=identity_acting(identity, "203.0.113.9"),
        replaces=seals["official"],
    )
    assert renewed.name == company.name and renewed.state == SealState.ACTIVE


def test_a_new_legal_representative_marks_the_legal_representative_seal(company):
    make_all_enterprise_seals(company)
    company.legal_rep_name = "李四"
    company.save(update_fields=["legal_rep_name"])
    pending = Seal.objects.filter(owner=company.party, state=SealState.PENDING_CHANGE)
    assert [s.kind for s in pending] == ["legal_representative"]


def test_unrelated_saves_change_nothing(company):
    make_all_enterprise_seals(company)
    company.state_reason = "复核"
    company.save()
    company.save(update_fields=["state_reason"])
    assert not Seal.objects.filter(state=SealState.PENDING_CHANGE).exists()


def test_mark_seals_for_change_by_kind(company):
    make_all_enterprise_seals(company)
    marked = services.mark_seals_for_change(company.party, kinds=["finance"], reason="财务章换刻")
    assert [s.kind for s in marked] == ["finance"]
    assert services.mark_seals_for_change(company.party, kinds=["finance"]) == [], "already 待变更"
    assert Seal.objects.get(kind="finance").state_reason == "财务章换刻"


# --- for the signing service -------------------------------------------------------------------


def test_seal_stamp_gives_the_active_seal_at_true_size(company, person):
    make_all_enterprise_seals(company)
    seal, stamp = services.seal_stamp(company.party, "official")
    assert seal.kind == "official" and stamp.png.startswith(b"\x89PNG")
    assert (stamp.width_mm, stamp.height_mm) == pytest.approx((42.0, 42.0), abs=0.1)
    _, square = services.seal_stamp(company.party, "legal_representative")
    assert square.width_mm == pytest.approx(20.0, abs=0.1)
    make(as_person(person), SealType.NAME, style="strip")
    seal, strip = services.seal_stamp(person.party, "name")
    assert seal.template_kind == "name_strip" and strip.height_mm == pytest.approx(10.0) and strip.width_mm > 20


def test_seal_stamp_refuses_missing_and_voided_seals(person):
    with pytest.raises(DomainError) as missing:
        services.seal_stamp(person.party, "name")
    assert missing.value.code == "seal_not_found" and missing.value.status == 404
    seal = make(as_person(person), SealType.NAME)
    services.do_void_seal(as_person(person), seal, acting=identity_acting(as_person(person), "203.0.113.9"))
    with pytest.raises(DomainError) as voided:
        services.seal_stamp(person.party, "name")
    assert voided.value.code == "seal_inactive"
    with pytest.raises(DomainError) as unknown:
        services.seal_stamp(person.party, "mystery")
    assert unknown.value.code == "seal_not_found"


def test_usage_records_are_idempotent_per_event_and_refused_for_voided_seals(person):
    seal = make(as_person(person), SealType.NAME)
    at = timezone.now() - timedelta(minutes=5)
    first = services.record_seal_usage(
        seal, event_id="EV-1", document_name="合同.pdf", platform_name="际华集团", certificate_serial="5F3A", at=at
    )
    again = services.record_seal_usage(seal, event_id="EV-1", document_name="合同.pdf", platform_name="际华集团")
    assert first.pk == again.pk and first.used_at == at and first.certificate_serial == "5F3A"
    services.do_void_seal(as_person(person), seal, acting=identity_acting(as_person(person), "203.0.113.9"))
    with pytest.raises(DomainError) as refused:
        services.record_seal_usage(seal, event_id="EV-2", document_name="b.pdf", platform_name="p")
    assert refused.value.code == "seal_inactive"
    assert SealUsage.objects.count() == 1


def test_usage_search_matches_file_platform_event_and_type(person):
    seal = make(as_person(person), SealType.NAME)
    for n, (doc, platform) in enumerate(
        [("采购合同.pdf", "际华集团"), ("投标文件.pdf", "国家电网"), ("评标报告.pdf", "际华集团")]
    ):
        services.record_seal_usage(
            seal, event_id=f"EV-{n}", document_name=doc, platform_name=platform, at=timezone.now() + timedelta(n)
        )
    usages = services.usages_for(person.party)
    assert [u.event_id for u in usages] == ["EV-2", "EV-1", "EV-0"], "newest first"
    assert [u.event_id for u in services.usages_for(person.party, search="际华")] == ["EV-2", "EV-0"]
    assert [u.event_id for u in services.usages_for(person.party, search="EV-1")] == ["EV-1"]
    assert services.usages_for(person.party, search="人名章").count() == 3
    assert not services.usages_for(person.party, search="nothing").exists()


def test_home_page_counts_usable_seals(person):
    from inkseal.portal import dashboard

    make(as_person(person), SealType.NAME)
    assert dashboard.counts(person.party)["usable_seals"] == 1


# --- demo data -------------------------------------------------------------------------------


def test_demo_step_makes_the_demo_seals_once(seal_media, tmp_path):
    first = demo.build("http://testserver", "http://portal", tmp_path / "demo.json")
    kinds = sorted((s["owner"], s["kind"]) for s in first["seals"])
    assert kinds == [
        ("乔海朋", "name"),
        ("北京示范科技有限公司", "contract"),
        ("北京示范科技有限公司", "legal_representative"),
        ("北京示范科技有限公司", "official"),
    ]
    second = demo.build("http://testserver", "http://portal", tmp_path / "demo.json")
    assert sorted(s["id"] for s in second["seals"]) == sorted(s["id"] for s in first["seals"])
    assert Seal.objects.count() == 4
