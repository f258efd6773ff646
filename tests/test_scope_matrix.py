"""Cross-identity scope matrix: every URL pattern that takes an identifier is either checked here
against another identity, or listed in an allow-list with the reason it needs no owner check.

The owner (A) has an enterprise with a cloud certificate, seals, an authorisation to its trading
platform, a signed task and its record, applications, an address, a platform link, a self-service
draft and a second enterprise in bank-card verification; a person still to verify has a face
attempt. All are made through the same helpers and pages the other tests use. The stranger (B)
has the same of its own, and asks for each of A's objects as B's enterprise, as B the person, and
(API routes) with B's platform or client token; A's personal identity asks for A's enterprise's
objects too. The answer must be the refusal the route is built to give (404 from the access
gates, which never say whether another identity's object exists), never 200, a redirect or a 500.

A new route with an identifier fails `test_every_route_with_an_identifier_is_in_the_matrix` until
it is added to CASES (with the stranger's expected refusal) or to ALLOWED (with the reason), so a
new page cannot forget its scope check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path

from inkseal.accounts.models import Address, Enterprise, Membership
from inkseal.identity.models import VerificationAttempt
from inkseal.orders.models import Application, Medium, Product, SubjectKind
from inkseal.pki.models import Certificate
from inkseal.platforms.models import CertificateAuthorization
from inkseal.seals.models import Seal, SealApproval, SealBinding, SealState
from inkseal.signing.models import SigningRecord, SignTask
from tests.conftest import link_person, login_client
from tests.identity.conftest import NoOcr, id_number
from tests.orders.conftest import Holder, csr_pem, latest, order
from tests.signing.api_support import *  # noqa: F403 - the signing fixtures (CA hierarchy, media)
from tests.signing.api_support import CONFIRMER_PHONE, Signing, make_signing, sign_through_api, text_pdf
from tests.signing.flow_support import create_flow

# --- the routes --------------------------------------------------------------------------------

_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def routes_with_identifiers() -> set[str]:
    """Every route (Django and django-ninja alike, as the resolver sees them) with a parameter."""
    return {route for route in _walk(get_resolver().url_patterns) if _PARAMETER.search(route)}


def fill(route: str, values: dict[str, Any]) -> str:
    """The path of `route` with its parameters replaced by `values`."""

    def value(match: re.Match[str]) -> str:
        return str(values[match.group(1) or match.group(2)])

    return "/" + _PARAMETER.sub(value, route).replace("^", "").replace("$", "")


BACKOFFICE = "backoffice/"  # the staff-only admin site: checked as a whole by test_backoffice_...

# Routes whose identifier is not another identity's object, each with the reason.
ALLOWED: dict[str, str] = {
    # public login entry: the code names a configured identity provider, not anyone's data
    "sso/oidc/<slug:code>/start": "identity provider code",
    "sso/oidc/<slug:code>/callback": "identity provider code; the state parameter binds the session",
    # public PKI endpoints that relying parties fetch without login (RFC 5280 / 6960 / 3161)
    "pki/ca/<slug:ca_id>.crt": "public CA certificate",
    "pki/ca/<slug:ca_id>.pem": "public CA certificate",
    "pki/crl/<slug:ca_id>.crl": "public CRL",
    "pki/ocsp/<path:encoded>": "public OCSP responder (GET form)",
    "pki/tsa/<slug:family>": "public time-stamping authority",
    "identity/agreements/<slug:slug>": "public agreement texts",
    # the public transparency log (docs/evidence.md): checkpoints and leaves are published for anyone
    "api/v1/log/checkpoints/<size>": "public transparency-log checkpoint by tree size",
    "api/v1/log/leaves/<index>": "public transparency-log leaf (personal data masked and hashed)",
    # token-scoped links: the random token is the capability (the signer, grantee or phone has no
    # login); tokens are hashed at rest, bound to one object and expire
    "sign/confirm/<str:token>": "confirm link token",
    "sign/confirm/<str:token>/documents/<int:number>/pages/<int:page>.png": "confirm link token",
    "sign/confirm/<str:token>/seals/<slug:seal_type>.png": "confirm link token",
    "api/v1/confirm/<token>/code": "confirm link token",
    "api/v1/confirm/<token>": "confirm link token",
    "api/v1/confirm/<token>/progress": "confirm link token",
    "sign/flow/<str:token>": "flow signer's link token",
    "sign/flow/<str:token>/documents/<int:number>/pages/<int:page>.png": "flow signer's link token",
    "sign/flow/<str:token>/seals/<slug:seal_type>.png": "flow signer's link token",
    "api/v1/flow-confirm/<token>/code": "flow signer's link token",
    "api/v1/flow-confirm/<token>": "flow signer's link token",
    "api/v1/flow-confirm/<token>/refuse": "flow signer's link token",
    "authorisations/confirm/<str:token>": "authorisation confirm link token (the grantee's phone)",
    "authorisations/confirm/<str:token>/code": "authorisation confirm link token",
    "h5/face/<str:token>": "face verification phone link token",
    "h5/face/<str:token>/video": "face verification phone link token",
    "h5/face/<str:token>/refuse": "face verification phone link token",
}


# --- the owner's objects -----------------------------------------------------------------------


@dataclass
class Side:
    """One identity's objects, and clients acting for it."""

    signing: Signing
    enterprise: Enterprise
    as_enterprise: Client
    as_person: Client
    api_token: str  # its trading platform's bearer token
    application: Application  # a cloud certificate order
    ukey_application: Application
    client_token: str  # the UKEY client tool's token for ukey_application
    address: Address
    link_id: int
    record: SigningRecord | None  # the signed task's record and the self-service draft: the owner's only
    task: SignTask | None
    draft_id: str
    flow_id: str = ""  # a sign flow of the owner's platform (one signer, not yet signed)


def _side(
    make: Callable[..., Signing], company: str, code: str, product: Callable[..., Product], *, owner: bool
) -> Side:
    signing = make(company=company, platform_name=f"{company}交易平台", platform_code=code)
    enterprise = signing.certificate.holder.enterprise
    person = signing.admin
    as_enterprise = login_client(person, f"enterprise:{enterprise.pk}", stepped_up=True)
    address = Address.objects.create(
        person=person, recipient=person.name, phone=person.phone, region="北京 北京市 昌平区", detail="测试路1号"
    )
    holder = Holder(person, enterprise, as_enterprise, list(signing.seals.values()))
    order(holder, product(platform=signing.platform))
    application = latest(holder)
    order(holder, product(platform=signing.platform, medium=Medium.UKEY), address=address.pk)
    ukey_application = latest(holder)
    as_enterprise.post(f"/applications/{ukey_application.number}/client-token")
    client_token = as_enterprise.get(f"/applications/{ukey_application.number}/").context["client_token"]
    task, draft_id, flow_id = None, "", ""
    if owner:
        flow_id = _flow_of(signing)
        sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
        task = SignTask.objects.filter(platform=signing.platform).latest("pk")
        upload = SimpleUploadedFile("合同.pdf", text_pdf(), content_type="application/pdf")
        drafted = as_enterprise.post("/sign/self/", {"certificate": signing.certificate.pk, "file": upload})
        assert drafted.status_code == 302, drafted.content
        draft_id = str(drafted["Location"]).rstrip("/").rsplit("/", 1)[-1]
    return Side(
        signing=signing,
        enterprise=enterprise,
        as_enterprise=as_enterprise,
        as_person=login_client(person, stepped_up=True),
        api_token=signing.token(),
        application=application,
        ukey_application=ukey_application,
        client_token=client_token,
        address=address,
        link_id=link_person(signing.platform, person, f"{code}-subject").pk,
        record=SigningRecord.objects.get(task=task) if task else None,
        task=task,
        draft_id=draft_id,
        flow_id=flow_id,
    )


def _flow_of(signing: Signing) -> str:
    spec = {
        "signers": [
            {
                "signer": {"certificate_serial": signing.certificate.serial},
                "confirmer": {"phone": CONFIRMER_PHONE},
                "placements": [{"seal_type": "official", "page": 1, "x": 300, "y": 200}],
            }
        ]
    }
    created = create_flow(signing, spec)
    assert created.status_code == 201, created.content
    return str(created.json()["id"])


@dataclass
class World:
    owner: Side
    stranger: Side
    face_attempt: VerificationAttempt  # of a third person: face verification is for the unverified
    deposit_attempt: VerificationAttempt  # A's bank-card verification of a second enterprise
    pending_enterprise: Enterprise


@pytest.fixture
def world(
    ca_hierarchy: Any,
    verified_person: Any,
    verified_enterprise: Any,
    signing_media: Any,
    make_person: Any,
    make_enterprise: Any,
    settings: Any,
) -> World:
    from tests.identity.test_enterprise import start_bank_card
    from tests.identity.test_face import begin

    settings.IDENTITY_OCR_PROVIDER = f"{NoOcr.__module__}.{NoOcr.__qualname__}"
    serial = iter(range(1, 100))

    def product(**extra: Any) -> Product:
        n = next(serial)
        return Product.objects.create(
            name=f"云证书{n}", code=f"scope-{n}", medium=extra.pop("medium", Medium.CLOUD),
            subject_kind=SubjectKind.ENTERPRISE, algorithm="ecdsa-p256", years=1, price=0, **extra,
        )  # fmt: skip

    def make(**kwargs: Any) -> Signing:
        return make_signing(verified_person, verified_enterprise, **kwargs)

    owner = _side(make, "北京示范科技有限公司", "owner-platform", product, owner=True)
    stranger = _side(make, "上海另一科技有限公司", "stranger-platform", product, owner=False)
    face_attempt, _link = begin(login_client(make_person(name="刘婧妍")), id_number(31))
    pending = make_enterprise(owner.signing.admin, name="北京待认证科技有限公司")
    started = start_bank_card(login_client(owner.signing.admin), pending)
    assert started.status_code == 302, started.content
    deposit = VerificationAttempt.objects.filter(enterprise=pending).get()
    return World(owner, stranger, face_attempt, deposit, pending)


# --- the matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """How to name the owner's object in a route, and what the stranger gets."""

    values: Callable[[World], dict[str, Any]]
    refusal: int = 404
    api: str = ""  # "platform": B's platform bearer token; "client": B's UKEY client token
    owner_sees: bool = True  # the owner's GET answers 200 (the control that the path is right)
    body: Callable[[], dict[str, Any]] | None = None  # POST this (a valid request) instead of asking empty
    personal: bool = False  # the person's own object (address, link, face attempt, membership)


def _task_id(w: World) -> str:
    assert w.owner.task is not None
    return str(w.owner.task.public_id)


def _event_id(w: World) -> str:
    assert w.owner.record is not None
    return str(w.owner.record.event_id)


def _cert(w: World) -> dict[str, Any]:
    return {"pk": w.owner.signing.certificate.pk}


def _number(w: World) -> dict[str, Any]:
    return {"number": w.owner.application.number}


def _seal(w: World) -> dict[str, Any]:
    return {"seal_id": next(iter(w.owner.signing.seals.values())).pk}


def _authorisation(w: World) -> dict[str, Any]:
    certificate = w.owner.signing.certificate
    return {"pk": certificate.pk, "authorization_id": CertificateAuthorization.objects.get(certificate=certificate).pk}


def _approval(w: World) -> dict[str, Any]:
    seal = next(iter(w.owner.signing.seals.values()))
    approval, _new = SealApproval.objects.get_or_create(seal=seal, document_sha256="0" * 64, placements_digest="1" * 64)
    return {"public_id": approval.public_id}


def _member(w: World) -> dict[str, Any]:
    return {"pk": w.owner.enterprise.pk, "member_pk": Membership.objects.filter(enterprise=w.owner.enterprise)[0].pk}


CASES: dict[str, Case] = {
    "account/platforms/<int:link_id>/unlink": Case(
        lambda w: {"link_id": w.owner.link_id}, owner_sees=False, personal=True
    ),
    "account/addresses/<int:address_id>/<slug:action>": Case(
        lambda w: {"address_id": w.owner.address.pk, "action": "default"}, owner_sees=False, personal=True
    ),
    "certificates/<int:pk>/": Case(_cert),
    "certificates/<int:pk>/revoke": Case(_cert),
    "certificates/<int:pk>/renew": Case(_cert, owner_sees=False),  # not due: the owner is refused too
    "certificates/<int:pk>/pin": Case(_cert),
    "certificates/<int:pk>/pin/unlock": Case(_cert, owner_sees=False),
    "certificates/<int:pk>/download/<slug:encoding>": Case(lambda w: {**_cert(w), "encoding": "pem"}),
    "certificates/<int:pk>/authorisations/": Case(_cert),
    "certificates/<int:pk>/authorisations/<int:authorization_id>/revoke": Case(_authorisation, owner_sees=False),
    "certificates/<int:pk>/authorisations/<int:authorization_id>/resend": Case(_authorisation, owner_sees=False),
    "seals/<int:seal_id>/": Case(_seal),
    "seals/<int:seal_id>/image.png": Case(_seal),
    "seals/certificates/<int:certificate_id>/bind": Case(
        lambda w: {"certificate_id": w.owner.signing.certificate.pk}, owner_sees=False
    ),
    "seals/certificates/<int:certificate_id>/unbind": Case(
        lambda w: {"certificate_id": w.owner.signing.certificate.pk}, owner_sees=False
    ),
    "applications/renew/<int:certificate_id>/": Case(
        lambda w: {"certificate_id": w.owner.signing.certificate.pk}, owner_sees=False
    ),
    "applications/<str:number>/": Case(_number),
    "applications/<str:number>/apply/": Case(_number, owner_sees=False),
    "applications/<str:number>/pay/": Case(_number, owner_sees=False),
    "applications/<str:number>/cancel": Case(_number, owner_sees=False),
    "applications/<str:number>/receive": Case(_number, owner_sees=False),
    "applications/<str:number>/invoice/": Case(_number, owner_sees=False),
    "applications/<str:number>/invoice.pdf": Case(_number, owner_sees=False),
    "applications/<str:number>/client-token": Case(_number, owner_sees=False),
    "sign/self/<str:draft_id>/": Case(lambda w: {"draft_id": w.owner.draft_id}),
    "sign/self/<str:draft_id>/pages/<int:page>.png": Case(lambda w: {"draft_id": w.owner.draft_id, "page": 1}),
    # an API task: self-service downloads are for the identity that created the task
    "sign/self/tasks/<str:public_id>/documents/<int:number>": Case(
        lambda w: {"public_id": _task_id(w), "number": 1}, owner_sees=False
    ),
    "records/<str:event_id>/": Case(lambda w: {"event_id": _event_id(w)}),
    # 签署报告: POST only (the owner's download: tests/evidence/test_report_access.py)
    "records/<str:event_id>/report": Case(lambda w: {"event_id": _event_id(w)}, owner_sees=False),
    # an RSA certificate's record has no GB/T 38540 signature: the owner gets 404 as well
    "records/<str:event_id>/ses-signature": Case(lambda w: {"event_id": _event_id(w)}, owner_sees=False),
    "records/<str:event_id>/ses-signature/<str:es_id>": Case(
        lambda w: {"event_id": _event_id(w), "es_id": "1"}, owner_sees=False
    ),
    "identity/face/<int:pk>": Case(lambda w: {"pk": w.face_attempt.pk}, owner_sees=False, personal=True),
    "identity/face/<int:pk>/qrcode": Case(lambda w: {"pk": w.face_attempt.pk}, owner_sees=False, personal=True),
    "identity/face/<int:pk>/status": Case(lambda w: {"pk": w.face_attempt.pk}, owner_sees=False, personal=True),
    "account/enterprises/<int:pk>/": Case(lambda w: {"pk": w.owner.enterprise.pk}, personal=True),
    "account/enterprises/<int:pk>/members/<int:member_pk>/duties": Case(_member, owner_sees=False, personal=True),
    "account/enterprises/<int:pk>/separation": Case(
        lambda w: {"pk": w.owner.enterprise.pk}, owner_sees=False, personal=True
    ),
    "seals/approvals/<uuid:public_id>/decide": Case(_approval, owner_sees=False),
    # 用印审批 detail (only a named approver sees it: the owner's administrator gets 403)
    "sign/approvals/<uuid:public_id>/": Case(_approval, owner_sees=False),
    "sign/approvals/<uuid:public_id>/documents/<int:number>/pages/<int:page>.png": Case(
        lambda w: {**_approval(w), "number": 1, "page": 1}, owner_sees=False
    ),
    "sign/approvals/<uuid:public_id>/seals/<slug:seal_type>.png": Case(
        lambda w: {**_approval(w), "seal_type": "official"}, owner_sees=False
    ),
    "account/enterprises/<int:pk>/verify": Case(
        lambda w: {"pk": w.pending_enterprise.pk}, owner_sees=False, personal=True
    ),
    "account/enterprises/<int:pk>/verify/code": Case(
        lambda w: {"pk": w.pending_enterprise.pk}, owner_sees=False, personal=True
    ),
    "account/enterprises/<int:pk>/deposit/<int:attempt_pk>": Case(
        lambda w: {"pk": w.pending_enterprise.pk, "attempt_pk": w.deposit_attempt.pk}, owner_sees=False, personal=True
    ),
    # API: another platform's token; a task of another platform does not exist for it
    "api/v1/sign-tasks/<task_id>": Case(lambda w: {"task_id": _task_id(w)}, api="platform"),
    "api/v1/sign-tasks/<task_id>/documents/<n>": Case(lambda w: {"task_id": _task_id(w), "n": 1}, api="platform"),
    "api/v1/sign-flows/<flow_id>": Case(lambda w: {"flow_id": w.owner.flow_id}, api="platform"),
    "api/v1/sign-flows/<flow_id>/documents/<n>": Case(lambda w: {"flow_id": w.owner.flow_id, "n": 1}, api="platform"),
    "api/v1/sign-flows/<flow_id>/cancel": Case(
        lambda w: {"flow_id": w.owner.flow_id}, api="platform", owner_sees=False, body=lambda: {"reason": "x"}
    ),
    "api/v1/sign-flows/<flow_id>/signers/<n>/remind": Case(
        lambda w: {"flow_id": w.owner.flow_id, "n": 1}, api="platform", owner_sees=False
    ),
    "api/v1/sign-tasks/<task_id>/evidence-report": Case(lambda w: {"task_id": _task_id(w)}, api="platform"),
    # API: the client tool's token names its own application; any other number is refused with
    # 403 ("客户端令牌与办理单不符") whether or not it exists, so the answer reveals nothing
    "api/v1/applications/<number>": Case(
        lambda w: {"number": w.owner.ukey_application.number}, refusal=403, api="client", owner_sees=False
    ),
    "api/v1/applications/<number>/encryption-key": Case(
        lambda w: {"number": w.owner.ukey_application.number}, refusal=403, api="client", owner_sees=False
    ),
    "api/v1/applications/<number>/csr": Case(
        lambda w: {"number": w.owner.ukey_application.number},
        refusal=403,
        api="client",
        owner_sees=False,
        body=lambda: {"csr": SimpleUploadedFile("ukey.csr", csr_pem()), "ukey_serial": "SN-1"},
    ),
}


def _ask(client: Client, path: str, headers: dict[str, str], case: Case) -> Any:
    """GET the route, or POST it (empty form) when the route only takes POST; a case with a body
    POSTs it, so that input validation cannot answer before the scope check does."""
    if case.body:
        return client.post(path, case.body(), **headers)
    response = client.get(path, **headers)
    if response.status_code == 405:
        response = client.post(path, **headers)
    return response


def unclassified_routes() -> set[str]:
    """Routes with an identifier that are neither in CASES nor in ALLOWED (nor the back office)."""
    routes = {r for r in routes_with_identifiers() if not r.startswith(BACKOFFICE)}
    return routes - set(CASES) - set(ALLOWED)


def test_every_route_with_an_identifier_is_in_the_matrix() -> None:
    unclassified = unclassified_routes()
    assert not unclassified, f"routes with an identifier neither in CASES nor in ALLOWED: {sorted(unclassified)}"
    routes = {r for r in routes_with_identifiers() if not r.startswith(BACKOFFICE)}
    stale = (set(CASES) | set(ALLOWED)) - routes
    assert not stale, f"CASES/ALLOWED name routes that no longer exist: {sorted(stale)}"
    assert not set(CASES) & set(ALLOWED)


def _a_new_page(request: Any, pk: int) -> Any:
    raise AssertionError("never called: the resolver is only read")


# the project's routes and one new page with an identifier that nobody classified
urlpatterns = [*import_module(django_settings.ROOT_URLCONF).urlpatterns, path("widgets/<int:pk>/", _a_new_page)]


def test_a_new_route_with_an_identifier_is_caught(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    assert unclassified_routes() == {"widgets/<int:pk>/"}


@pytest.mark.django_db
def test_another_identity_is_refused_every_object_route(world: World) -> None:
    owner, stranger = world.owner, world.stranger
    found: dict[tuple[str, str], int] = {}
    expected: dict[tuple[str, str], int] = {}
    for route, case in CASES.items():
        path = fill(route, case.values(world))
        if case.api:
            token = stranger.api_token if case.api == "platform" else stranger.client_token
            askers = {"api": (Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"})}
        else:
            askers = {"enterprise": (stranger.as_enterprise, {}), "person": (stranger.as_person, {})}
            if not case.personal:  # the enterprise's object is not its administrator's personal one
                askers["owner as a person"] = (owner.as_person, {})
        for who, (client, headers) in askers.items():
            found[route, who] = _ask(client, path, headers, case).status_code
            expected[route, who] = case.refusal
    assert found == expected

    # the control: the same paths work for the owner, so the refusals above are the scope check's
    for route, case in CASES.items():
        if case.owner_sees:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {owner.api_token}"} if case.api == "platform" else {}
            client = Client() if case.api else owner.as_enterprise
            response = client.get(fill(route, case.values(world)), **headers)
            assert response.status_code == 200, (route, response.status_code)

    # and nothing of the owner's changed
    certificate = Certificate.objects.get(pk=owner.signing.certificate.pk)
    assert certificate.revoked_at is None
    assert CertificateAuthorization.objects.get(certificate=certificate).revoked_at is None
    assert all(seal.state == SealState.ACTIVE for seal in Seal.objects.filter(owner=certificate.holder))
    assert Application.objects.get(pk=owner.application.pk).state == owner.application.state
    assert Address.objects.filter(pk=owner.address.pk).exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in_on_every_object_route(world: World) -> None:
    """Without a session, a page sends the visitor to log in and the API asks for credentials."""
    found, expected = {}, {}
    for route, case in CASES.items():
        response = _ask(Client(), fill(route, case.values(world)), {}, case)
        found[route] = (response.status_code, response.get("Location", "").split("?")[0])
        expected[route] = (401, "") if case.api else (302, django_settings.LOGIN_URL)
    assert found == expected


@pytest.mark.django_db
def test_backoffice_routes_with_an_identifier_turn_portal_people_away(make_person: Any) -> None:
    """The back office is for operators: a person signed in to the portal meets its login page on
    every route with an identifier (custom admin views included), never an object."""
    portal_person = login_client(make_person(verified=True))
    values: dict[str, Any] = {"app_label": "orders", "url": "x"}
    turned_away = {}
    for route in sorted(r for r in routes_with_identifiers() if r.startswith(BACKOFFICE)):
        path = fill(route, {**values, **{name: 1 for name in ("object_id", "pk", "id", "seal_id", "content_type_id")}})
        response = portal_person.get(path)
        turned_away[route] = (response.status_code, response.get("Location", "").split("?")[0])
    assert set(turned_away.values()) == {(302, "/backoffice/login/")}, turned_away


# --- identifiers in request bodies ---------------------------------------------------------------
# The resolver cannot list these, so they are named here one by one: each form or API field that
# takes an object's identifier, sent by the stranger for its own object in the URL but with the
# owner's object in the body. Each is refused as if the identifier did not exist.


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("合同.pdf", text_pdf(), content_type="application/pdf")


@pytest.mark.django_db
def test_another_identitys_identifiers_in_a_request_body_are_refused(world: World) -> None:
    owner, stranger = world.owner, world.stranger
    theirs = stranger.as_enterprise
    seal = next(iter(owner.signing.seals.values())).pk
    certificate = stranger.signing.certificate
    ukey = Product.objects.filter(medium=Medium.UKEY, platform=stranger.signing.platform).get()
    cloud = Product.objects.filter(medium=Medium.CLOUD, platform=stranger.signing.platform).get()

    def order_to(address: int) -> int:
        page = theirs.get(f"/applications/confirm/?product={ukey.pk}")
        form = {"product": ukey.pk, "idempotency_key": page.context["idempotency_key"], "agree": "1"}
        return int(theirs.post("/applications/confirm/", {**form, "address": address}).status_code)

    client_tool = Client(HTTP_AUTHORIZATION=f"Bearer {stranger.client_token}")
    csr = {"csr": SimpleUploadedFile("ukey.csr", csr_pem()), "ukey_serial": "SN-9", "seals": str(seal)}
    foreign_signer = stranger.signing.spec(signer={"certificate_serial": owner.signing.certificate.serial})
    found = {
        "bind the owner's seal": theirs.post(f"/seals/certificates/{certificate.pk}/bind", {"seal": seal}),
        "unbind the owner's seal": theirs.post(f"/seals/certificates/{certificate.pk}/unbind", {"seal": seal}),
        "apply with the owner's seal": theirs.post(
            f"/applications/{stranger.application.number}/apply/", {"seals": [seal]}
        ),
        "self-sign with the owner's certificate": theirs.post(
            "/sign/self/", {"certificate": owner.signing.certificate.pk, "file": _pdf()}
        ),
        "renew the owner's certificate": theirs.get(
            f"/applications/confirm/?product={cloud.pk}&renews={owner.signing.certificate.pk}"
        ),
        "client tool binds the owner's seal": client_tool.post(
            f"/api/v1/applications/{stranger.ukey_application.number}/csr", csr
        ),
        # the same refusal whether or not the serial exists (platforms.services.authorization_by_serial)
        "API task signs with the owner's certificate": stranger.signing.create(spec=foreign_signer),
    }
    assert {what: response.status_code for what, response in found.items()} == {
        "bind the owner's seal": 404,
        "unbind the owner's seal": 404,
        "apply with the owner's seal": 404,
        "self-sign with the owner's certificate": 404,
        "renew the owner's certificate": 404,
        "client tool binds the owner's seal": 404,
        "API task signs with the owner's certificate": 403,
    }
    assert found["API task signs with the owner's certificate"].json()["error"] == "certificate_not_authorized"
    # a UKEY order to the owner's address is refused like one to an address that does not exist
    applications = Application.objects.count()
    nowhere = Address.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    assert order_to(owner.address.pk) == order_to(nowhere) == 400
    assert Application.objects.count() == applications
    assert not SealBinding.objects.filter(seal_id=seal).exclude(certificate=owner.signing.certificate).exists()

    # the control: with the stranger's own seal and certificate the same requests go through
    own_seal = next(iter(stranger.signing.seals.values())).pk
    assert theirs.post(f"/seals/certificates/{certificate.pk}/unbind", {"seal": own_seal}).status_code == 302
    assert not SealBinding.objects.filter(seal_id=own_seal, certificate=certificate).exists()
    assert theirs.post("/sign/self/", {"certificate": certificate.pk, "file": _pdf()}).status_code == 302
