"""The whole path through HTTP: buy → (pay) → apply with seals → operator review → issuance."""

from __future__ import annotations

import io
from typing import Any

import pytest

from inkseal.notify.models import SmsMessage
from inkseal.orders.models import Application, Medium, Order, Payment, SubjectKind
from inkseal.pki.models import Certificate
from inkseal.seals.models import SealBinding
from tests.orders.conftest import csr_pem, latest, order

pytestmark = pytest.mark.django_db


def _apply(holder: Any, application: Application, **extra: Any) -> Any:
    data: dict[str, Any] = {"seals": [seal.pk for seal in holder.seals], **extra}
    return holder.client.post(f"/applications/{application.number}/apply/", data)


@pytest.mark.parametrize("medium", [Medium.CLOUD, Medium.UKEY])
@pytest.mark.parametrize("subject_kind", [SubjectKind.ENTERPRISE, SubjectKind.PERSONAL])
def test_purchase_to_issuance(
    medium: str,
    subject_kind: str,
    holder: Any,
    product: Any,
    operator: Any,
    ca_hierarchy: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = holder(subject_kind)
    item = product(medium=medium, subject_kind=subject_kind, price="0" if medium == Medium.CLOUD else "200")

    buy = user.client.get(f"/applications/buy/?medium={medium}")
    assert item.name in buy.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = order(user, item)
    application = latest(user)
    if medium == Medium.UKEY:  # paid product: the sandbox cashier
        assert response.url == f"/applications/{application.number}/pay/"
        pay_page = user.client.get(response.url)
        assert "沙箱" in pay_page.content.decode()
        user.client.post(response.url)
        assert Payment.objects.get(order=application.order).state == Payment.State.SUCCEEDED
        assert application.order.ship_address.startswith("北京")
    else:
        assert response.url == f"/applications/{application.number}/apply/"
    application.refresh_from_db()
    assert application.state == "draft"

    listing = user.client.get("/applications/").content.decode()
    assert application.number in listing and "申请" in listing

    extra: dict[str, Any] = {}
    if medium == Medium.UKEY:
        extra = {"csr": io.BytesIO(csr_pem()), "ukey_serial": "TW-UKEY-0001"}
    assert _apply(user, application, **extra).status_code == 302
    application.refresh_from_db()
    assert application.state == "reviewing"

    home_before = user.client.get("/").context["counts"]
    queue = operator.get("/backoffice/orders/application/?state__exact=reviewing")
    assert application.number in queue.content.decode()
    review = operator.get(f"/backoffice/orders/application/{application.pk}/change/")
    assert "实名认证记录" in review.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        operator.post(f"/backoffice/orders/application/{application.pk}/approve/")
    application.refresh_from_db()
    certificate = application.certificate
    assert certificate is not None and certificate.holder_id == user.party.pk
    assert certificate.medium == medium
    assert set(SealBinding.objects.filter(certificate=certificate).values_list("seal_id", flat=True)) == {
        s.pk for s in user.seals
    }
    counts = user.client.get("/").context["counts"]
    key = "cloud_certificates" if medium == Medium.CLOUD else "ukey_certificates"
    assert counts[key] == home_before[key] + 1

    if medium == Medium.CLOUD:
        assert application.state == "completed"
    else:
        assert application.state == "to_ship"
        assert certificate.ukey_serial == "TW-UKEY-0001"
        operator.post(
            f"/backoffice/orders/application/{application.pk}/ship/",
            {"courier": "顺丰速运", "tracking_number": "SF1234567890"},
        )
        application.refresh_from_db()
        assert application.state == "shipped"
        assert "SF1234567890" in user.client.get(f"/applications/{application.number}/").content.decode()
        user.client.post(f"/applications/{application.number}/receive")
        application.refresh_from_db()
        assert application.state == "completed"
    texts = list(SmsMessage.objects.filter(phone=user.person.phone).values_list("body", flat=True))
    assert any("已提交" in t for t in texts) and any("审核通过" in t for t in texts)


def test_reject_and_resubmit(holder: Any, product: Any, operator: Any, ca_hierarchy: Any) -> None:
    user = holder()
    order(user, product())
    application = latest(user)
    _apply(user, application)
    operator.post(f"/backoffice/orders/application/{application.pk}/reject/", {"reason": "印章选择有误"})
    application.refresh_from_db()
    assert application.state == "rejected"
    detail = user.client.get(f"/applications/{application.number}/").content.decode()
    assert "印章选择有误" in detail
    _apply(user, application)
    application.refresh_from_db()
    assert application.state == "reviewing" and application.reject_reason == ""
    operator.post(f"/backoffice/orders/application/{application.pk}/approve/")
    application.refresh_from_db()
    assert application.state == "completed"


def test_reject_needs_a_reason(holder: Any, product: Any, operator: Any) -> None:
    user = holder()
    order(user, product())
    application = latest(user)
    _apply(user, application)
    operator.post(f"/backoffice/orders/application/{application.pk}/reject/", {"reason": " "})
    application.refresh_from_db()
    assert application.state == "reviewing"


def test_agreement_and_address_required(holder: Any, product: Any) -> None:
    user = holder()
    item = product(medium=Medium.UKEY, price="100")
    page = user.client.get(f"/applications/confirm/?product={item.pk}")
    key = page.context["idempotency_key"]
    refused = user.client.post("/applications/confirm/", {"product": item.pk, "idempotency_key": key, "address": 1})
    assert refused.status_code == 400 and "请阅读并同意" in refused.content.decode()
    refused = user.client.post("/applications/confirm/", {"product": item.pk, "idempotency_key": key, "agree": "1"})
    assert refused.status_code == 400 and "收货地址" in refused.content.decode()
    assert not Order.objects.exists()


def test_ukey_application_needs_a_valid_csr(holder: Any, product: Any) -> None:
    user = holder()
    order(user, product(medium=Medium.UKEY))
    application = latest(user)
    missing = _apply(user, application, ukey_serial="SN1")
    assert missing.status_code == 400 and "PKCS#10" in missing.content.decode()
    garbage = _apply(user, application, csr=io.BytesIO(b"not a csr"), ukey_serial="SN1")
    assert garbage.status_code == 400
    application.refresh_from_db()
    assert application.state == "draft"


def test_cancel_refunds_and_is_final(holder: Any, product: Any) -> None:
    user = holder()
    order(user, product(price="300"))
    application = latest(user)
    user.client.post(f"/applications/{application.number}/pay/")
    user.client.post(f"/applications/{application.number}/cancel")
    application.refresh_from_db()
    assert application.state == "cancelled"
    assert Payment.objects.get(order=application.order).state == Payment.State.REFUNDED
    again = user.client.post(f"/applications/{application.number}/cancel")
    assert again.status_code == 409 and "已取消" in again.content.decode()


def test_illegal_transitions_are_refused(holder: Any, product: Any, operator: Any) -> None:
    user = holder()
    order(user, product())
    application = latest(user)
    # Not submitted yet: nothing to approve, ship or receive.
    operator.post(f"/backoffice/orders/application/{application.pk}/approve/")
    operator.post(
        f"/backoffice/orders/application/{application.pk}/ship/", {"courier": "顺丰", "tracking_number": "SF123456"}
    )
    refused = user.client.post(f"/applications/{application.number}/receive")
    assert refused.status_code == 409
    application.refresh_from_db()
    assert application.state == "draft" and application.certificate is None
    assert not Certificate.objects.exists()
    paid = user.client.post(f"/applications/{application.number}/pay/")
    assert paid.status_code == 302  # nothing to pay: back to the detail page
    assert not Payment.objects.exists()


def test_another_identitys_application_is_404(holder: Any, product: Any) -> None:
    owner, stranger = holder(), holder(SubjectKind.PERSONAL, name="乔海朋")
    order(owner, product())
    application = latest(owner)
    for url in ("/", "apply/", "invoice/", "invoice.pdf"):
        assert stranger.client.get(f"/applications/{application.number}/{url}".replace("//", "/")).status_code == 404
    assert stranger.client.post(f"/applications/{application.number}/cancel").status_code == 404
    assert application.number not in stranger.client.get("/applications/?tab=all").content.decode()
    # The person's own identity does not see the enterprise's applications either.
    from tests.conftest import login_client

    assert application.number not in login_client(owner.person).get("/applications/?tab=all").content.decode()


def test_personal_identity_cannot_buy_enterprise_products(holder: Any, product: Any) -> None:
    user = holder(SubjectKind.PERSONAL)
    item = product(subject_kind=SubjectKind.ENTERPRISE)
    assert user.client.get(f"/applications/confirm/?product={item.pk}").status_code == 400


def test_unverified_person_cannot_order(make_person: Any, product: Any) -> None:
    from tests.conftest import login_client

    person = make_person(name="王五")
    client = login_client(person)
    item = product(subject_kind=SubjectKind.PERSONAL)
    page = client.get(f"/applications/confirm/?product={item.pk}")
    response = client.post(
        "/applications/confirm/", {"product": item.pk, "idempotency_key": page.context["idempotency_key"], "agree": "1"}
    )
    # IdentityUnverified is a PermissionDenied: the person is known, but may not order before 实名认证
    assert response.status_code == 403, response.status_code
    assert not Order.objects.exists()


def test_binding_seals_needs_a_fresh_step_up(holder: Any, product: Any, ca_hierarchy: Any) -> None:
    from tests.conftest import login_client

    user = holder()
    item = product()
    order(user, item)
    application = latest(user)
    fresh = login_client(user.person, f"enterprise:{user.enterprise.pk}")  # logged in, no step-up
    refused = fresh.post(f"/applications/{application.number}/apply/", {"seals": [s.pk for s in user.seals]})
    assert refused.status_code == 403 and 'id="step-up"' in refused.content.decode()
    application.refresh_from_db()
    assert application.state == "draft" and not application.chosen_seals.exists()
    assert _apply(user, application).status_code == 302  # the holder's client stepped up
