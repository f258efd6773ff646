"""Renewing a certificate: a new one that keeps its seals and authorisations; none before it is due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from inkseal.orders.models import Application
from inkseal.pki.models import Certificate
from inkseal.platforms.models import CertificateAuthorization
from inkseal.seals.models import SealBinding
from tests.orders.conftest import latest, order


def _issued(user: Any, product: Any, operator: Any, **extra: Any) -> Application:
    order(user, product(**extra))
    application = latest(user)
    user.client.post(f"/applications/{application.number}/apply/", {"seals": [s.pk for s in user.seals]})
    operator.post(f"/backoffice/orders/application/{application.pk}/approve/")
    application.refresh_from_db()
    return application


@pytest.mark.django_db
def test_renewal_issues_new_certificate_with_seals_and_authorisations(
    holder: Any, product: Any, operator: Any, platform: Any, ca_hierarchy: Any
) -> None:
    user = holder()
    first = _issued(user, product, operator)
    old = first.certificate
    assert old is not None
    # Make it 待续期: inside the renewal window.
    Certificate.objects.filter(pk=old.pk).update(not_after=timezone.now() + timedelta(days=10))
    now = timezone.now()
    CertificateAuthorization.objects.create(
        certificate=old,
        platform=platform,
        grantee_name="刘婧妍",
        grantee_phone="13800001111",
        valid_from=now,
        valid_until=now + timedelta(days=9),
    )
    renew_page = user.client.get(f"/applications/renew/{old.pk}/")
    assert renew_page.status_code == 200
    renewal_product = renew_page.context["products"][0]
    page = user.client.get(f"/applications/confirm/?product={renewal_product.pk}&renews={old.pk}")
    assert "续期证书" in page.content.decode()
    user.client.post(
        "/applications/confirm/",
        {
            "product": renewal_product.pk,
            "renews": old.pk,
            "idempotency_key": page.context["idempotency_key"],
            "agree": "1",
        },
    )
    renewal = latest(user)
    assert renewal.kind == "renewal" and renewal.renews_id == old.pk
    assert set(renewal.chosen_seals.values_list("seal_id", flat=True)) == {s.pk for s in user.seals}
    user.client.post(f"/applications/{renewal.number}/apply/", {"seals": [s.pk for s in user.seals]})
    operator.post(f"/backoffice/orders/application/{renewal.pk}/approve/")
    renewal.refresh_from_db()
    new = renewal.certificate
    assert renewal.state == "completed" and new is not None and new.renews_id == old.pk
    assert new.fingerprint != old.fingerprint
    assert SealBinding.objects.filter(certificate=new).count() == len(user.seals)
    assert CertificateAuthorization.objects.filter(certificate=new, grantee_name="刘婧妍").exists()


@pytest.mark.django_db
def test_renewal_of_a_certificate_not_due_is_refused(
    holder: Any, product: Any, operator: Any, ca_hierarchy: Any
) -> None:
    user = holder()
    issued = _issued(user, product, operator)
    item = Application.objects.get(pk=issued.pk).order.product
    page = user.client.get(f"/applications/confirm/?product={item.pk}&renews={issued.certificate_id}")
    response = user.client.post(
        "/applications/confirm/",
        {
            "product": item.pk,
            "renews": issued.certificate_id,
            "idempotency_key": page.context["idempotency_key"],
            "agree": "1",
        },
    )
    assert response.status_code == 409 and "天内方可续期" in response.content.decode()
    assert Application.objects.filter(kind="renewal").count() == 0
