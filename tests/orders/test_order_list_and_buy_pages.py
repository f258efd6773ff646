"""The order list page (tabs, filters, pagination, newest first) and the buy page's subject-kind filter."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.orders.models import Application, Medium, SubjectKind
from tests.orders.conftest import order


@pytest.mark.django_db
def test_list_tabs_filters_and_pagination(holder: Any, product: Any) -> None:
    user = holder()
    cloud, ukey = product(), product(medium=Medium.UKEY)
    for _ in range(11):
        order(user, cloud)
    order(user, ukey)
    cancelled = Application.objects.filter(medium=Medium.CLOUD).first()
    assert cancelled is not None
    user.client.post(f"/applications/{cancelled.number}/cancel")
    active = user.client.get("/applications/")
    assert active.context["page"].paginator.count == 11 and len(active.context["rows"]) == 10
    assert "共 11 条" in active.content.decode()
    assert user.client.get("/applications/?tab=all").context["page"].paginator.count == 12
    assert user.client.get("/applications/?medium=ukey").context["page"].paginator.count == 1
    assert user.client.get("/applications/?tab=all&state=cancelled").context["page"].paginator.count == 1
    second = user.client.get("/applications/?page=2&size=10")
    assert len(second.context["rows"]) == 1
    pks = [row["application"].pk for row in active.context["rows"]]
    assert pks == sorted(pks, reverse=True)  # newest first
    home = user.client.get("/").context["in_progress"]
    assert home and home[0]["action"] == "申请"


@pytest.mark.django_db
def test_subject_kind_filter_in_buy_page(holder: Any, product: Any) -> None:
    user = holder(SubjectKind.PERSONAL)
    mine, theirs = product(subject_kind=SubjectKind.PERSONAL, name="云个人证书"), product(name="云企业证书X")
    page = user.client.get("/applications/buy/").content.decode()
    assert mine.name in page and theirs.name not in page
