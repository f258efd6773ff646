"""Idempotent ordering, renewal, invoices, the list page and the products API."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.orders.models import Application, Invoice, Medium, Order, SubjectKind
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
def test_double_submit_creates_one_order(holder: Any, product: Any) -> None:
    user = holder()
    item = product()
    page = user.client.get(f"/applications/confirm/?product={item.pk}")
    data = {"product": item.pk, "idempotency_key": page.context["idempotency_key"], "agree": "1"}
    first = user.client.post("/applications/confirm/", data)
    second = user.client.post("/applications/confirm/", data)
    assert first.url == second.url
    assert Order.objects.count() == 1 and Application.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="a true race needs a server database; SQLite's in-memory test database refuses instead of waiting "
    "(make test runs this on PostgreSQL; the sequential double submit is tested on both)",
)
def test_concurrent_double_click_creates_one_order(holder: Any, product: Any) -> None:
    user = holder()
    item = product()
    page = user.client.get(f"/applications/confirm/?product={item.pk}")
    data = {"product": item.pk, "idempotency_key": page.context["idempotency_key"], "agree": "1"}
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def click() -> None:
        try:
            barrier.wait()
            for _attempt in range(50):
                try:
                    results.append(user.client.post("/applications/confirm/", data).status_code)
                    return
                except OperationalError as exc:
                    # SQLite's in-memory test database (shared cache) answers "table is locked" at
                    # once instead of waiting; the browser's retry is a new request. PostgreSQL waits.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.02)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302, 302]
    assert Order.objects.count() == 1 and Application.objects.count() == 1


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


@pytest.mark.django_db
def test_invoice_request_issue_and_download(holder: Any, product: Any, operator: Any, ca_hierarchy: Any) -> None:
    user = holder()
    order(user, product(price="300"))
    application = latest(user)
    user.client.post(f"/applications/{application.number}/pay/")
    bad = user.client.post(
        f"/applications/{application.number}/invoice/", {"title": "北京示范科技有限公司", "tax_number": "x"}
    )
    assert bad.status_code == 400 and "纳税人识别号" in bad.content.decode()
    user.client.post(
        f"/applications/{application.number}/invoice/",
        {"title": "北京示范科技有限公司", "tax_number": user.enterprise.uscc},
    )
    invoice = Invoice.objects.get(order=application.order)
    assert user.client.get(f"/applications/{application.number}/invoice.pdf").status_code == 404
    operator.post(f"/backoffice/orders/invoice/{invoice.pk}/issue/")
    invoice.refresh_from_db()
    assert invoice.state == "issued"
    pdf = user.client.get(f"/applications/{application.number}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    again = user.client.post(
        f"/applications/{application.number}/invoice/", {"title": "x", "tax_number": user.enterprise.uscc}
    )
    assert again.status_code == 409


@pytest.mark.django_db
def test_free_orders_need_no_invoice(holder: Any, product: Any) -> None:
    user = holder()
    order(user, product())
    application = latest(user)
    response = user.client.post(
        f"/applications/{application.number}/invoice/", {"title": "x", "tax_number": user.enterprise.uscc}
    )
    assert response.status_code == 400 and "免费订单" in response.content.decode()


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
def test_products_api_needs_a_platform_token(holder: Any, product: Any, platform: Any) -> None:
    from django.test import Client

    from inkseal.platforms.services import do_create_api_client, do_issue_token

    product(name="云企业双证书（SM2）-1年期", code="cloudca02-1Y", algorithm="sm2")
    product(code="hidden", enabled=False)
    client = Client()
    assert client.get("/api/v1/products").status_code == 401
    api_client, secret = do_create_api_client(platform, acting=Acting(Actor.system()))
    token, _lifetime = do_issue_token(api_client.client_id, secret)
    response = client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()]
    assert codes == ["cloudca02-1Y"]
    assert response.json()[0]["platform"] == platform.code


@pytest.mark.django_db
def test_subject_kind_filter_in_buy_page(holder: Any, product: Any) -> None:
    user = holder(SubjectKind.PERSONAL)
    mine, theirs = product(subject_kind=SubjectKind.PERSONAL, name="云个人证书"), product(name="云企业证书X")
    page = user.client.get("/applications/buy/").content.decode()
    assert mine.name in page and theirs.name not in page


@pytest.mark.django_db
def test_client_tool_endpoints(holder: Any, product: Any, operator: Any, ca_hierarchy: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.orders.conftest import csr_pem

    user = holder()
    order(user, product(medium=Medium.UKEY))
    application = latest(user)
    user.client.post(f"/applications/{application.number}/client-token")
    token = user.client.get(f"/applications/{application.number}/").context["client_token"]
    api = Client()
    url = f"/api/v1/applications/{application.number}"
    assert api.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    submitted = api.post(
        f"{url}/csr",
        {"csr": SimpleUploadedFile("ukey.csr", csr_pem()), "ukey_serial": "SN-42"},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "reviewing"
    operator.post(f"/backoffice/orders/application/{application.pk}/approve/")
    fetched = api.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert fetched["state"] == "to_ship" and fetched["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
