"""印章管理, 新增印章 and 印章详情 pages: what each identity sees."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from inkseal.accounts.models import Membership
from inkseal.accounts.services import identity_acting
from inkseal.seals import services
from inkseal.seals.models import Seal
from inkseal.seals.services import TemplateOptions, do_make_template_seal
from inkseal.seals.services import bindings as binding_services
from tests.conftest import login_client
from tests.seals.conftest import COMPANY, admin_of, as_enterprise, as_person

pytestmark = pytest.mark.django_db


def make(identity, seal_type, **options) -> Seal:
    return do_make_template_seal(identity, seal_type, TemplateOptions(**options), acting=identity_acting(identity))


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_empty_seal_page_offers_new_seal(person):
    page = text(login_client(person).get("/seals/"))
    assert "印章管理" in page and "可用印章" in page and "作废印章记录" in page and "印章使用记录" in page
    assert 'id="add-seal" href="/seals/new/"' in page
    assert "暂无可用印章" in page and "暂无使用记录" in page
    assert 'id="state-help"' in page and "待变更" in page, "the help on seal states"


def test_live_seals_show_image_state_type_and_change_button(company):
    official = make(as_enterprise(company), "official")
    company.name = COMPANY + "北京分公司"
    company.save()  # the official seal is now 待变更
    contract = make(as_enterprise(company), "contract")
    page = text(login_client(admin_of(company), f"enterprise:{company.pk}").get("/seals/"))
    for seal in (official, contract):
        assert f'src="/seals/{seal.pk}/image.png"' in page
        assert f'href="/seals/new/?replace={seal.pk}"' in page
    assert "待变更" in page and ">变更</a>" in page and ">修改</a>" in page
    assert "公章" in page and "合同专用章" in page
    assert 'id="void-modal"' in page


def test_new_is_disabled_when_every_type_has_a_seal(person):
    identity = as_person(person)
    make(identity, "name")
    client = login_client(person)
    assert 'id="add-seal" href="/seals/new/"' in text(client.get("/seals/"))
    # a handwritten signature, stored directly: the page is what is tested here, not OCR
    Seal.objects.create(
        owner=person.party,
        kind="handwriting",
        source="handwriting",
        name=person.name,
        image=Seal.objects.get().image.name,
        width_mm=30,
        height_mm=15,
        created_by=person,
    )
    page = text(client.get("/seals/"))
    assert re.search(r'<button class="btn btn-danger" id="add-seal" disabled>', page)
    assert "全部印章类型下均有有效印章" in text(client.get("/seals/new/"))


def test_void_tab_lists_void_seals_with_their_time_and_past_usage(person):
    identity = as_person(person)
    seal = make(identity, "name")
    services.record_seal_usage(seal, event_id="EV-OLD", document_name="旧合同.pdf", platform_name="际华集团")
    services.do_void_seal(identity, seal, acting=identity_acting(identity))
    client = login_client(person)
    live = text(client.get("/seals/"))
    assert "EV-OLD" not in live
    page = text(client.get("/seals/?tab=void"))
    seal.refresh_from_db()
    assert timezone.localtime(seal.voided_at).strftime("%Y-%m-%d %H:%M:%S") in page
    assert "过往印章使用记录" in page and "EV-OLD" in page and "旧合同.pdf" in page
    assert 'href="/records/EV-OLD/"' in page


def test_usage_records_newest_first_searchable_and_paginated(person):
    seal = make(as_person(person), "name")
    start = timezone.now() - timedelta(days=30)
    for n in range(23):
        services.record_seal_usage(
            seal,
            event_id=f"EV-{n:03d}",
            document_name=f"文件{n}.pdf",
            platform_name="国家电网" if n % 2 else "际华集团",
            at=start + timedelta(hours=n),
        )
    client = login_client(person)
    first = text(client.get("/seals/"))
    events = re.findall(r'href="/records/(EV-\d+)/"', first)
    assert events == [f"EV-{n:03d}" for n in range(22, 12, -1)], "10 per page, newest first"
    assert "共 23 条" in first
    third = text(client.get("/seals/?page=3"))
    assert re.findall(r'href="/records/(EV-\d+)/"', third) == ["EV-002", "EV-001", "EV-000"]
    found = text(client.get("/seals/?q=国家电网&page=2"))
    assert re.findall(r'href="/records/(EV-\d+)/"', found) == ["EV-001"]
    assert "q=%E5%9B%BD%E5%AE%B6%E7%94%B5%E7%BD%91&amp;page=1" in found, "pages keep the search"
    assert "没有符合条件的使用记录" in text(client.get("/seals/?q=不存在"))


def test_detail_page_for_live_and_void_seals(person):
    identity = as_person(person)
    seal = make(identity, "name", style="strip", color="blue")
    services.record_seal_usage(seal, event_id="EV-9", document_name="投标书.pdf", platform_name="际华集团")
    client = login_client(person)
    page = text(client.get(f"/seals/{seal.pk}/"))
    assert "人名章" in page and "条形章" in page and "蓝色" in page and "可用" in page and "EV-9" in page
    assert 'data-bs-target="#void-modal"' in page and "未绑定" in page
    services.do_void_seal(identity, seal, acting=identity_acting(identity))
    page = text(client.get(f"/seals/{seal.pk}/"))
    assert "作废时间" in page and 'id="void-modal"' not in page and "EV-9" in page


def test_detail_page_shows_certificate_bindings(person, monkeypatch):
    monkeypatch.setattr(binding_services, "_binding_providers", [lambda seal: ["云证书 5F3A"]])
    seal = make(as_person(person), "name")
    page = text(login_client(person).get(f"/seals/{seal.pk}/"))
    assert "云证书 5F3A" in page and "该印章已绑定证书" in page


def test_new_seal_page_for_a_person(person):
    page = text(login_client(person).get("/seals/new/"))
    assert "新增印章" in page and "人名章" in page and "手写签名" in page
    assert "方形章" in page and "条形章" in page
    assert 'id="signature-canvas"' in page and "撤销" in page and "清除" in page
    assert 'value="black"' in page and 'id="ink-black" value="black" checked' in page
    assert 'name="method"' in page and 'id="method-upload"' not in page, "persons do not upload seals"


def test_new_seal_page_for_an_enterprise(company):
    page = text(login_client(admin_of(company), f"enterprise:{company.pk}").get("/seals/new/"))
    for label in (
        "公章",
        "法定代表人章",
        "合同专用章",
        "财务专用章",
        "模板制作",
        "上传图章",
        "带下弦文",
        "红色",
        "蓝色",
        "黑色",
    ):
        assert label in page
    assert COMPANY in page and company.uscc in page and company.legal_rep_name in page
    assert "图片应居中、无遮挡、无变形" in page and "不超过2M" in page
    assert 'id="color-red" value="red" checked' in page
    assert 'data-preview-url="/api/v1/seals/preview"' in page


def test_members_see_seals_but_no_management_buttons(company, make_person):
    make(as_enterprise(company), "official")
    member = make_person(name="赵六", verified=True)
    Membership.objects.create(person=member, enterprise=company, role=Membership.Role.MEMBER)
    page = text(login_client(member, f"enterprise:{company.pk}").get("/seals/"))
    assert "公章" in page and 'id="add-seal"' not in page and 'id="void-modal"' not in page


def test_home_page_counts_the_usable_seals(person):
    make(as_person(person), "name")
    assert 'data-count="usable_seals">1<' in text(login_client(person).get("/"))


def test_seal_pages_in_english(person):
    seal = make(as_person(person), "name")
    client = login_client(person)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    expected = {
        "/seals/": ["Add seal", "Available seals", "Void seals", "Seal usage records", "Name seal", "Usable"],
        "/seals/new/": ["Seal type", "Handwritten signature", "Strip seal", "Undo", "Clear", "Save"],
        f"/seals/{seal.pk}/": ["Seal details", "Size on paper", "Bound certificates", "Download the seal image"],
    }
    for url, phrases in expected.items():
        page = text(client.get(url))
        assert "印章管理" not in page and "新增印章" not in page
        for phrase in phrases:
            assert phrase in page, (url, phrase)


def test_change_page_is_titled_for_what_it_does(company):
    official = make(as_enterprise(company), "official")
    client = login_client(admin_of(company), f"enterprise:{company.pk}")
    changing = text(client.get(f"/seals/new/?replace={official.pk}"))
    title = re.search(r"<title>(.*?)</title>", changing, re.S).group(1)
    assert "修改/变更印章" in title and "新增印章" not in title
    adding = text(client.get("/seals/new/"))
    assert "新增印章" in re.search(r"<title>(.*?)</title>", adding, re.S).group(1)
