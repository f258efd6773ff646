"""The operator's review page (back office › 办理单) shows what the certificate will carry: the seal
images to bind, and the subject as labelled fields rather than raw JSON."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.orders.models import Application, Medium, SubjectKind
from tests.orders.conftest import latest, order

pytestmark = pytest.mark.django_db


def _reviewing(holder: Any, product: Any) -> tuple[Any, Application]:
    user = holder(SubjectKind.ENTERPRISE)
    item = product(medium=Medium.CLOUD, subject_kind=SubjectKind.ENTERPRISE, price="0")
    order(user, item)
    application = latest(user)
    data = {"seals": [seal.pk for seal in user.seals]}
    assert user.client.post(f"/applications/{application.number}/apply/", data).status_code == 302
    application.refresh_from_db()
    assert application.state == "reviewing"
    return user, application


def test_review_shows_seal_images_and_subject_fields(holder: Any, product: Any, operator: Any) -> None:
    user, application = _reviewing(holder, product)
    html = operator.get(f"/backoffice/orders/application/{application.pk}/change/").content.decode()
    assert "&quot;uscc&quot;" not in html and "uscc=" not in html  # no raw JSON, no key=value
    for label in ("名称", "统一社会信用代码", "通用名称（CN）"):
        assert f'<th scope="row">{label}</th>' in html, label
    assert f'<td style="word-break:break-all">{user.enterprise.uscc}</td>' in html
    for seal in user.seals:
        url = f"/backoffice/orders/application/{application.pk}/seals/{seal.pk}.png"
        assert f'src="{url}"' in html
        image = operator.get(url)
        assert image.status_code == 200 and image["Content-Type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")


def test_only_the_applications_own_seals_are_served(holder: Any, product: Any, operator: Any) -> None:
    _user, application = _reviewing(holder, product)
    other, _ = _reviewing(holder, product)
    foreign = other.seals[0]
    response = operator.get(f"/backoffice/orders/application/{application.pk}/seals/{foreign.pk}.png")
    assert response.status_code == 404
