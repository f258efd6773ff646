"""The catalogue: which products users and the API may see and buy."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, QuerySet, Value, When
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.orders.errors import ProductUnavailable
from inkseal.orders.models import Product, SubjectKind
from inkseal.pki.models import Certificate
from inkseal.platforms.models import TradingPlatform


def subject_kind_of(identity: CurrentIdentity) -> str:
    return SubjectKind.ENTERPRISE if identity.is_enterprise else SubjectKind.PERSONAL


def catalogue(platform: TradingPlatform | None = None) -> QuerySet[Product]:
    """Enabled products of enabled platforms (what users and the API may see), SM2 first within
    each medium and subject kind: the first product listed is the one pre-selected when buying."""
    products = Product.objects.filter(enabled=True, platform__enabled=True).select_related("platform")
    if platform is not None:
        products = products.filter(platform=platform)
    sm2_first = Case(When(algorithm=Product.Algorithm.SM2, then=Value(0)), default=Value(1))
    return products.order_by("platform__name", "platform_id", "medium", "subject_kind", sm2_first, "years", "code")


def platforms_with_products() -> QuerySet[TradingPlatform]:
    return TradingPlatform.objects.filter(enabled=True, products__enabled=True).distinct().order_by("name")


def product_for(identity: CurrentIdentity, product_id: Any) -> Product:
    """An enabled product this identity may buy (personal products for a person, enterprise ones
    for an enterprise identity); ProductUnavailable otherwise."""
    try:
        pk = int(product_id)
    except (TypeError, ValueError):
        pk = 0
    product = catalogue().filter(pk=pk, subject_kind=subject_kind_of(identity)).first()
    if product is None:
        raise ProductUnavailable(_("商品不存在或已下架，请重新选择。"))
    return product


def renewal_products(certificate: Certificate) -> QuerySet[Product]:
    return catalogue().filter(
        medium=certificate.medium, subject_kind=certificate.subject_kind, algorithm=certificate.algorithm
    )
