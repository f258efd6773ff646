"""Demo products (the manual's 云企业双证书（SM2）-1年期 and friends) for the demo trading platform."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from inkseal.orders.models import Medium, Product, SubjectKind
from inkseal.orders.services import catalogue
from inkseal.platforms.demo import DEMO_CODE
from inkseal.platforms.models import TradingPlatform

# (code, name, medium, subject kind, algorithm, years, price). SM2 first, as in the manual: the
# enterprise SM2 products are dual certificates (签名 + 加密); RSA and ECDSA stay for documents that
# must validate in international readers.
DEMO_PRODUCTS: tuple[tuple[str, str, str, str, str, int, str], ...] = (
    ("cloudca02-1Y", "云企业双证书（SM2）-1年期", Medium.CLOUD, SubjectKind.ENTERPRISE, "sm2", 1, "0"),
    ("cloudpa02-1Y", "云个人证书（SM2）-1年期", Medium.CLOUD, SubjectKind.PERSONAL, "sm2", 1, "0"),
    ("ukeyca02-1Y", "UKEY企业双证书（SM2）-1年期", Medium.UKEY, SubjectKind.ENTERPRISE, "sm2", 1, "200"),
    ("cloudca-ec-1Y", "云企业证书（ECDSA）-1年期", Medium.CLOUD, SubjectKind.ENTERPRISE, "ecdsa-p256", 1, "0"),
    ("cloudca-rsa-2Y", "云企业证书（RSA）-2年期", Medium.CLOUD, SubjectKind.ENTERPRISE, "rsa-2048", 2, "300"),
    ("cloudpa-ec-1Y", "云个人证书（ECDSA）-1年期", Medium.CLOUD, SubjectKind.PERSONAL, "ecdsa-p256", 1, "0"),
    ("ukeyca-ec-1Y", "UKEY企业证书（ECDSA）-1年期", Medium.UKEY, SubjectKind.ENTERPRISE, "ecdsa-p256", 1, "200"),
    ("ukeypa-ec-1Y", "UKEY个人证书（ECDSA）-1年期", Medium.UKEY, SubjectKind.PERSONAL, "ecdsa-p256", 1, "100"),
)


def demo_step(document: dict[str, Any]) -> None:
    platform = TradingPlatform.objects.filter(code=DEMO_CODE).first()
    if platform is None:
        return
    for code, name, medium, subject_kind, algorithm, years, price in DEMO_PRODUCTS:
        Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "medium": medium,
                "subject_kind": subject_kind,
                "algorithm": algorithm,
                "years": years,
                "price": Decimal(price),
                "platform": platform,
                "enabled": True,
            },
        )
    document["products"] = [
        {
            "code": p.code,
            "name": p.name,
            "medium": p.medium,
            "subject_kind": p.subject_kind,
            "algorithm": p.algorithm,
            "price": str(p.price),
        }
        for p in catalogue(platform)
    ]
