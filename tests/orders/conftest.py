"""Orders fixtures: a verified person / enterprise with active seals, products, an operator."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client

from inkseal.accounts.models import Address, Enterprise, EnterpriseState, Person
from inkseal.orders.models import Application, Medium, Product, SubjectKind
from inkseal.platforms.models import TradingPlatform
from inkseal.seals.models import Seal, SealSource, SealState, SealType
from tests.conftest import login_client, make_id_number
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }


@pytest.fixture
def platform(db: Any) -> TradingPlatform:
    return TradingPlatform.objects.create(name="际华集团交易平台", code="jihua-test")


@pytest.fixture
def product(platform: TradingPlatform) -> Callable[..., Product]:
    def factory(
        medium: str = Medium.CLOUD, subject_kind: str = SubjectKind.ENTERPRISE, price: str = "0", **extra: Any
    ) -> Product:
        code = extra.pop("code", f"p-{uuid.uuid4().hex[:8]}")
        return Product.objects.create(
            name=extra.pop("name", f"{medium}-{subject_kind}-{price}"),
            code=code,
            medium=medium,
            subject_kind=subject_kind,
            algorithm=extra.pop("algorithm", "ecdsa-p256"),
            years=1,
            price=Decimal(price),
            platform=platform,
            **extra,
        )

    return factory


def make_seal(party: Any, person: Person, kind: str) -> Seal:
    """An active seal whose image file exists (binding to an SM2 certificate reads it to make the
    GB/T 38540 electronic seal)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages
    from PIL import Image

    if not storages["default"].exists("seals/test.png"):
        picture = io.BytesIO()
        Image.new("RGBA", (64, 64), (200, 0, 0, 255)).save(picture, "PNG")
        storages["default"].save("seals/test.png", ContentFile(picture.getvalue()))
    return Seal.objects.create(
        owner=party,
        kind=kind,
        source=SealSource.TEMPLATE,
        name=str(party),
        image="seals/test.png",
        image_sha256="0" * 64,
        width_mm=40,
        height_mm=40,
        state=SealState.ACTIVE,
        created_by=person,
    )


@dataclass
class Holder:
    person: Person
    enterprise: Enterprise | None
    client: Client
    seals: list[Seal]

    @property
    def party(self) -> Any:
        return self.enterprise.party if self.enterprise else self.person.party


_serials = iter(range(100, 10_000))


@pytest.fixture
def holder(make_person: Any, make_enterprise: Any) -> Callable[..., Holder]:
    def factory(kind: str = SubjectKind.ENTERPRISE, name: str = "刘婧妍") -> Holder:
        person = make_person(name=name, verified=True, id_number=make_id_number(next(_serials)))
        Address.objects.create(
            person=person, recipient=name, phone="18500005312", region="北京 北京市 昌平区", detail="测试路1号"
        )
        if kind == SubjectKind.ENTERPRISE:
            enterprise = make_enterprise(person, name="北京示范科技有限公司")
            enterprise.state = EnterpriseState.VERIFIED
            enterprise.save(update_fields=["state"])
            seals = [
                make_seal(enterprise.party, person, SealType.OFFICIAL),
                make_seal(enterprise.party, person, SealType.LEGAL_REPRESENTATIVE),
            ]
            client = login_client(person, f"enterprise:{enterprise.pk}", stepped_up=True)
            return Holder(person, enterprise, client, seals)
        seals = [make_seal(person.party, person, SealType.NAME)]
        return Holder(person, None, login_client(person, stepped_up=True), seals)

    return factory


@pytest.fixture
def operator(db: Any) -> Client:
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("reviewer", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="orders"))
    client = Client()
    client.force_login(user)
    return client


def csr_pem(common_name: str = "ignored") -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM)


def order(holder: Holder, product: Product, **extra: Any) -> Any:
    """GET the confirmation page, then post it with its idempotency key."""
    page = holder.client.get(f"/applications/confirm/?product={product.pk}")
    assert page.status_code == 200, page.content.decode()[:500]
    key = page.context["idempotency_key"]
    data = {"product": product.pk, "idempotency_key": key, "agree": "1", **extra}
    if product.medium == Medium.UKEY and "address" not in extra:
        data["address"] = holder.person.addresses.first().pk  # type: ignore[union-attr]
    return holder.client.post("/applications/confirm/", data)


def latest(holder: Holder) -> Application:
    return Application.objects.filter(party=holder.party).latest("pk")
