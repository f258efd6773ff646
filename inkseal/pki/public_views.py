"""What relying parties fetch, without login: CA certificates, CRLs, OCSP (RFC 6960 over HTTP,
RFC 5019 GET form) and time stamps (RFC 3161 over HTTP).

Bodies are bounded before they are read; unreadable requests get the protocol's own error
answer (OCSP malformedRequest, TSA rejection) and wrong methods, media types or sizes a 4xx.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from inkseal.pki import ocsp, tsa
from inkseal.pki.algorithms import SM2
from inkseal.pki.authorities import TSA_ALGORITHM, TSA_ALGORITHMS, policy_oids, public_urls
from inkseal.pki.crl_publishing import published_crl
from inkseal.pki.models import CertificateAuthority
from inkseal.pki.pem import armor
from inkseal.pki.responders import ocsp_responder, time_stamp_authority

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
TSA_QUERY = "application/timestamp-query"
TSA_REPLY = "application/timestamp-reply"
Role = CertificateAuthority.Role


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)


def _bounded_body(request: HttpRequest, limit: int) -> bytes | HttpResponse:
    """The request body, or a 411/413 answer when it is missing or larger than `limit`."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        declared = -1
    if declared > limit:
        return _text(_("请求过大（不超过 %(limit)d 字节）。") % {"limit": limit}, 413)
    body = request.read(limit + 1)
    if len(body) > limit:
        return _text(_("请求过大（不超过 %(limit)d 字节）。") % {"limit": limit}, 413)
    return body


def _media_type(request: HttpRequest) -> str:
    return request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()


def tsa_url(family: str) -> str:
    """Where the TSA of `family` answers: /pki/tsa (tsa-ecdsa) or /pki/tsa/<family> (tsa-sm2)."""
    path = reverse("pki:tsa") if family == TSA_ALGORITHM.family else reverse("pki:tsa_family", args=[family])
    return f"{public_urls().base_url}{path}"


def _ca_entry(ca: CertificateAuthority) -> dict[str, Any]:
    urls = public_urls()
    entry: dict[str, Any] = {
        "id": ca.ca_id,
        "role": ca.role,
        "name": ca.name,
        "organization": ca.organization,
        "algorithm": ca.algorithm,
        "parent": ca.parent.ca_id if ca.parent else None,
        "serial": ca.serial,
        "sha256": ca.fingerprint,
        "not_before": ca.not_before.isoformat(),
        "not_after": ca.not_after.isoformat(),
        "certificate": urls.ca_certificate(ca.ca_id),
        "certificate_pem": urls.ca_certificate(ca.ca_id).removesuffix(".crt") + ".pem",
    }
    if ca.role in (Role.ROOT, Role.ISSUING):
        entry["crl"] = urls.crl(ca.ca_id)
        entry["crl_next_update"] = ca.crl_next_update.isoformat() if ca.crl_next_update else None
    if ca.role == Role.TSA:
        entry["tsa"] = tsa_url(ca.family)
        entry["policy"] = policy_oids().time_stamping
    return entry


@require_safe
def ca_list(request: HttpRequest) -> JsonResponse:
    cas = list(CertificateAuthority.objects.filter(active=True).select_related("parent"))
    body: dict[str, Any] = {
        "certificate_authorities": [_ca_entry(ca) for ca in cas],
        "ocsp": public_urls().ocsp(),
        "tsa": tsa_url(TSA_ALGORITHM.family),  # RSA and ECDSA signatures
    }
    if any(ca.role == Role.TSA and ca.family == SM2.family for ca in cas):
        body["tsa_sm2"] = tsa_url(SM2.family)  # SM2 (国密) signatures: SM3withSM2 under root-sm2
    # the certificate and time-stamp policy OIDs in force; placeholder: the default arc, not the operator's
    body["policies"] = policy_oids().as_dict()
    return JsonResponse(
        body,
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def ca_certificate(request: HttpRequest, ca_id: str, encoding: str) -> HttpResponse:
    ca = CertificateAuthority.objects.filter(ca_id=ca_id).first()
    if ca is None:
        return _text(_("CA不存在。"), 404)
    der = bytes(ca.certificate_der)
    if encoding == "pem":
        response = HttpResponse(armor(der, "CERTIFICATE"), content_type="application/x-pem-file")
    else:
        response = HttpResponse(der, content_type="application/pkix-cert")
    response["Content-Disposition"] = f'attachment; filename="{ca.ca_id}.{"pem" if encoding == "pem" else "crt"}"'
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def crl(request: HttpRequest, ca_id: str) -> HttpResponse:
    der = published_crl(ca_id)
    if der is None:
        return _text(_("CRL不存在。"), 404)
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Cache-Control"] = "public, max-age=600"
    return response


def _ocsp_response(der: bytes, *, cacheable: bool = False) -> HttpResponse:
    response = HttpResponse(der, content_type=OCSP_RESPONSE)
    response["Cache-Control"] = "public, max-age=300" if cacheable else "no-store"
    return response


@csrf_exempt
@require_POST
def ocsp_post(request: HttpRequest) -> HttpResponse:
    if _media_type(request) != OCSP_REQUEST:
        return _text(_("请求类型须为 %(type)s。") % {"type": OCSP_REQUEST}, 415)
    body = _bounded_body(request, ocsp.MAX_REQUEST_SIZE)
    if isinstance(body, HttpResponse):
        return body
    return _ocsp_response(ocsp_responder().respond(body))


@require_safe
def ocsp_get(request: HttpRequest, encoded: str) -> HttpResponse:
    # RFC 5019: GET answers may be cached by HTTP proxies; they carry no nonce.
    return _ocsp_response(ocsp_responder().respond_to_get(encoded), cacheable=True)


@csrf_exempt
@require_http_methods(["POST"])
def time_stamp(request: HttpRequest, family: str = TSA_ALGORITHM.family) -> HttpResponse:
    if family not in {algorithm.family for algorithm in TSA_ALGORITHMS.values()}:
        return _text(_("没有该算法的时间戳服务。"), 404)
    if _media_type(request) != TSA_QUERY:
        return _text(_("请求类型须为 %(type)s。") % {"type": TSA_QUERY}, 415)
    body = _bounded_body(request, tsa.MAX_REQUEST_SIZE)
    if isinstance(body, HttpResponse):
        return body
    authority = time_stamp_authority(family)
    if authority is None:
        return _text(_("时间戳服务尚未初始化。"), 503)
    response = HttpResponse(authority.respond(body), content_type=TSA_REPLY)
    response["Cache-Control"] = "no-store"
    return response
