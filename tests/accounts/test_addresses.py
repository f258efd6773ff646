"""地址管理: add, make default, delete; only one's own addresses."""

from __future__ import annotations

import pytest

from inkseal.accounts.models import Address
from tests.conftest import login_client

pytestmark = pytest.mark.django_db
VALID = {"recipient": "刘婧妍", "phone": "18600000996", "region": "北京市海淀区", "detail": "上地八街7号院4号楼4层"}


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
