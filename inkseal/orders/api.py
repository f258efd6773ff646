"""API: the product catalogue for trading platforms (OAuth client-credentials bearer token) and
the UKEY client tool's endpoints (the application's own client token): submit the token's
request, fetch the issued certificates and, for an SM2 dual certificate, the encryption key as
an SM2EnvelopedKey sealed to the token's signing key."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.security import HttpBearer

from inkseal.accounts.services import identity_acting
from inkseal.core.acting import Acting
from inkseal.core.http import client_ip
from inkseal.orders import services
from inkseal.orders.errors import ApplicationInvalid
from inkseal.orders.models import Application
from inkseal.pki.services import certificate_pem, chain_pem
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import platform_for_token

router = Router(tags=["orders"])


class PlatformToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> TradingPlatform:
        return platform_for_token(token)


class ClientToken(HttpBearer):
    """`<application number>.<secret>` from the application page (生成客户端令牌)."""

    def authenticate(self, request: HttpRequest, token: str) -> Application:
        return services.application_for_client_token(token.split(".", 1)[0], token)


class ProductOut(Schema):
    code: str
    name: str
    medium: str
    subject_kind: str
    algorithm: str
    years: int
    ca_name: str
    price: Decimal
    platform: str


@router.get("/products", response=list[ProductOut], auth=PlatformToken(), summary="可购买的证书商品")
def products(request: HttpRequest, medium: str = "", subject_kind: str = "") -> list[dict[str, Any]]:
    """The enabled catalogue of the calling platform (its token decides which), optionally filtered."""
    platform: TradingPlatform = request.auth  # type: ignore[attr-defined]
    items = services.catalogue(platform)
    if medium:
        items = items.filter(medium=medium)
    if subject_kind:
        items = items.filter(subject_kind=subject_kind)
    return [
        {
            "code": p.code,
            "name": p.name,
            "medium": p.medium,
            "subject_kind": p.subject_kind,
            "algorithm": p.algorithm,
            "years": p.years,
            "ca_name": p.ca_name,
            "price": p.price,
            "platform": platform.code,
        }
        for p in items
    ]


class ApplicationOut(Schema):
    number: str
    state: str
    medium: str
    algorithm: str
    certificate_pem: str = ""
    chain_pem: str = ""
    encryption_certificate_pem: str = ""


def _out(application: Application) -> dict[str, Any]:
    certificate = application.certificate
    encryption = certificate.pair() if certificate else None
    return {
        "number": application.number,
        "state": application.state,
        "medium": application.medium,
        "algorithm": application.order.product.algorithm,
        "certificate_pem": certificate_pem(certificate) if certificate else "",
        "chain_pem": chain_pem(certificate) if certificate else "",
        "encryption_certificate_pem": certificate_pem(encryption) if encryption else "",
    }


def _client_application(request: HttpRequest, number: str) -> Application:
    application: Application = request.auth  # type: ignore[attr-defined]
    if application.number != number:
        raise ApplicationInvalid("客户端令牌与办理单不符。", status=403)
    application.refresh_from_db()
    return application


@router.get("/applications/{number}", response=ApplicationOut, auth=ClientToken(), summary="办理单状态与签发的证书")
def application_status(request: HttpRequest, number: str) -> dict[str, Any]:
    return _out(_client_application(request, number))


class EncryptionKeyOut(Schema):
    number: str
    encryption_certificate_pem: str
    enveloped_key: str  # base64 of the SM2EnvelopedKey DER (GM/T 0009 / GB/T 35276)
    sealed_to: str  # serial of the signing certificate whose key opens it


@router.post(
    "/applications/{number}/encryption-key",
    response=EncryptionKeyOut,
    auth=ClientToken(),
    summary="双证书：以 SM2 数字信封下载加密密钥",
)
def encryption_key(request: HttpRequest, number: str) -> dict[str, Any]:
    """The encryption key of the issued SM2 dual certificate, sealed to the token's signing key
    (only the token opens it). Each call makes a fresh envelope and an audit entry."""
    application = _client_application(request, number)
    delivery = services.deliver_encryption_key(application, acting=Acting.anonymous(client_ip(request)))
    assert application.certificate is not None
    return {
        "number": application.number,
        "encryption_certificate_pem": certificate_pem(delivery.encryption_certificate),
        "enveloped_key": base64.b64encode(delivery.envelope).decode(),
        "sealed_to": application.certificate.serial,
    }


@router.post("/applications/{number}/csr", response=ApplicationOut, auth=ClientToken(), summary="提交 UKEY 证书请求")
def submit_csr(
    request: HttpRequest,
    number: str,
    csr: File[UploadedFile],
    ukey_serial: Form[str],
    seals: Form[str] = "",
) -> dict[str, Any]:
    """The client tool submits the token's PKCS#10 and serial; seals (comma-separated ids) default
    to those already chosen, else every active seal of the holder."""
    application: Application = request.auth  # type: ignore[attr-defined]
    if application.number != number:
        raise ApplicationInvalid("客户端令牌与办理单不符。", status=403)
    identity = services.client_identity(application)
    seal_ids: list[Any] = [s for s in seals.split(",") if s.strip()]
    if not seal_ids:
        seal_ids = [c.seal_id for c in application.chosen_seals.all()] or [
            s.pk for s in services.selectable_seals(identity)
        ]
    submitted = services.do_submit_application(
        identity,
        application,
        seal_ids=seal_ids,
        csr=csr.read(16 * 1024 + 1),
        ukey_serial=ukey_serial,
        acting=identity_acting(identity, client_ip(request)),
    )
    return _out(submitted)
