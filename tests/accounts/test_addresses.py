"""地址管理: add, make default, delete; only one's own addresses."""

from __future__ import annotations

import pytest

from inkseal.accounts.models import Address
from tests.conftest import login_client

pytestmark = pytest.mark.django_db
VALID = {
    "recipient": "刘婧妍",
    "phone": "18600000996",
    "province": "北京市",
    "city": "市辖区",
    "district": "海淀区",
    "detail": "上地八街7号院4号楼4层",
}


def test_first_address_becomes_the_default(make_person):
    person = make_person()
    client = login_client(person)
    assert client.post("/account/addresses/", VALID).status_code == 302
    assert client.post("/account/addresses/", dict(VALID, recipient="乔海朋")).status_code == 302
    assert list(person.addresses.values_list("recipient", "is_default")) == [("刘婧妍", True), ("乔海朋", False)]
    page = client.get("/account/addresses/").content.decode()
    assert "上地八街7号院4号楼4层" in page


def test_default_moves_and_survives_deletion(make_person):
    person = make_person()
    client = login_client(person)
    client.post("/account/addresses/", VALID)
    client.post("/account/addresses/", dict(VALID, recipient="乔海朋"))
    second = person.addresses.get(recipient="乔海朋")
    client.post(f"/account/addresses/{second.pk}/default")
    assert person.addresses.get(is_default=True) == second
    client.post(f"/account/addresses/{second.pk}/delete")
    assert person.addresses.get().is_default


def test_bad_address_is_refused(make_person):
    client = login_client(make_person())
    response = client.post("/account/addresses/", dict(VALID, phone="123"))
    assert response.status_code == 400
    assert not Address.objects.exists()


def test_someone_elses_address_is_a_404(make_person):
    owner, other = make_person(), make_person()
    login_client(owner).post("/account/addresses/", VALID)
    address = owner.addresses.get()
    response = login_client(other).post(f"/account/addresses/{address.pk}/delete")
    assert response.status_code == 404
    assert Address.objects.filter(pk=address.pk).exists()


def test_the_region_is_chosen_from_the_division_list(make_person):
    person = make_person()
    client = login_client(person)
    page = client.get("/account/addresses/").content.decode()
    assert '<select name="province"' in page and '<option value="浙江省">' in page
    assert "accounts/region_select.js" in page
    assert (
        client.post("/account/addresses/", dict(VALID, province="浙江省", city="杭州市", district="西湖区")).status_code
        == 302
    )
    assert person.addresses.get().region == "浙江省杭州市西湖区"


def test_a_region_not_in_the_list_is_refused(make_person):
    client = login_client(make_person())
    for bad in ({"district": "不存在区"}, {"city": "杭州市"}, {"province": "", "city": "", "district": ""}):
        response = client.post("/account/addresses/", dict(VALID, **bad))
        assert response.status_code == 400
    assert (
        "请从列表中选择省份、城市和区县"
        in client.post("/account/addresses/", dict(VALID, city="杭州市")).content.decode()
    )
    assert not Address.objects.exists()


def test_a_bound_form_offers_the_cities_and_districts_of_its_choice(make_person):
    client = login_client(make_person())
    page = client.post("/account/addresses/", dict(VALID, recipient="")).content.decode()
    assert '<option value="海淀区" selected>' in page and '<option value="市辖区" selected>' in page


def test_existing_free_text_addresses_stay_valid(make_person):
    person = make_person()
    Address.objects.create(
        person=person,
        recipient="刘婧妍",
        phone="18600000996",
        region="北京 北京市 昌平区",
        detail="测试路1号",
        is_default=True,
    )
    client = login_client(person)
    page = client.get("/account/addresses/").content.decode()
    assert "北京 北京市 昌平区" in page
    client.post("/account/addresses/", VALID)
    assert person.addresses.count() == 2 and person.addresses.get(is_default=True).region == "北京 北京市 昌平区"
