"""Shared fixtures: people, enterprises, trading platforms with SSO keys, logged-in clients."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client, override_settings
from hypothesis import settings as hypothesis_settings

from inkseal.accounts import session as portal_session
from inkseal.accounts.models import Enterprise, Membership, Party, Person, VerificationState
from inkseal.accounts.services import set_id_number
from inkseal.core.acting import Acting
from inkseal.core.idnumbers import id_check_char, uscc_check_char
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import set_ticket_secret

# Tests check behaviour, benchmarks measure: no per-example deadline (a loaded machine is not a bug).
hypothesis_settings.register_profile("inkseal", deadline=None)
hypothesis_settings.load_profile("inkseal")


def make_id_number(serial: int = 1) -> str:
    first17 = f"110105198806{serial % 100:02d}0{serial % 100:02d}"[:17].ljust(17, "1")
    return first17 + id_check_char(first17)


def make_uscc(serial: int = 1) -> str:
    first17 = f"91110108MA01{serial:05d}"[:17]
    return first17 + uscc_check_char(first17)


@pytest.fixture
def make_person(db: Any) -> Callable[..., Person]:
    counter = iter(range(1, 10_000))

    def factory(phone: str | None = None, name: str = "张三", verified: bool = False, id_number: str = "") -> Person:
        n = next(counter)
        person = Person(party=Party.objects.create(kind=Party.Kind.PERSON), phone=phone or f"1380000{n:04d}", name=name)
        if id_number:
            set_id_number(person, id_number)
        if verified:
            person.verification_state = VerificationState.VERIFIED
        person.save()
        return person

    return factory


@pytest.fixture
def make_enterprise(db: Any) -> Callable[..., Enterprise]:
    counter = iter(range(1, 10_000))

    def factory(admin: Person, name: str = "示例科技有限公司", role: str = Membership.Role.ADMIN) -> Enterprise:
        n = next(counter)
        enterprise = Enterprise.objects.create(
            party=Party.objects.create(kind=Party.Kind.ENTERPRISE),
            name=f"{name}{n}",
            uscc=make_uscc(n),
            created_by=admin,
        )
        Membership.objects.create(person=admin, enterprise=enterprise, role=role)
        return enterprise

    return factory


def login_client(person: Person, identity: str = "person", *, stepped_up: bool = False) -> Client:
    """A client logged in as `person` (SMS login); `stepped_up` also performs the step-up that
    sensitive actions need (添加授权, PIN, 吊销, seal changes), through the real pages."""
    client = Client()
    session = client.session
    session[portal_session.PERSON] = person.pk
    session[portal_session.EPOCH] = person.session_epoch
    session[portal_session.IDENTITY] = identity
    session.save()
    if stepped_up:
        step_up(client, person)
    return client


def last_sms_code(phone: str, purpose: str = "stepup") -> str:
    """The code of the newest SMS of `purpose` (a prefix: "grant:") sent to `phone` (sandbox outbox)."""
    from inkseal.notify.models import SmsMessage

    message = SmsMessage.objects.filter(phone=phone, purpose__startswith=purpose).order_by("-created_at", "-id").first()
    assert message is not None, f"no {purpose} SMS to {phone}"
    match = re.search(r"验证码为(\d{6})", message.body)
    assert match is not None
    return match.group(1)


def _unlimited_sms() -> Any:
    # Fixtures step up many times per phone; the rate limits have their own tests.
    return override_settings(SMS_PHONE_INTERVAL_SECONDS=0, SMS_PER_PHONE_PER_HOUR=10_000, SMS_PER_IP_PER_HOUR=10_000)


def step_up(client: Client, person: Person) -> None:
    """The step-up as the person does it: code to their own phone, entered on the step-up page."""
    with _unlimited_sms():
        sent = client.post("/account/step-up/code")
    assert sent.status_code == 200, sent.content
    done = client.post("/account/step-up/", {"code": last_sms_code(person.phone, "stepup")})
    assert done.status_code == 302, done.content


def link_person(platform: TradingPlatform, person: Person, subject: str) -> Any:
    """A platform link proved earlier (as the demo data seeds them)."""
    from inkseal.audit.services import Actor
    from inkseal.platforms.services import do_link_platform

    return do_link_platform(platform, person, subject, method="seed", acting=Acting(Actor("system", "", "test")))


def prove_sso_link(client: Client, phone: str) -> Any:
    """Finish a first SSO: the code sent to the person's phone, entered on /sso/link."""
    response = client.post("/sso/link", {"code": last_sms_code(phone, "sso_link:")})
    assert response.status_code == 302, response.content
    return response


class TicketPlatform:
    """A trading platform registered with a ticket key, and a way to mint its tickets."""

    def __init__(self, platform: TradingPlatform, signing_key: Any):
        self.platform = platform
        self.signing_key = signing_key

    def ticket(
        self, *, key: Any = None, algorithm: str | None = None, headers: dict[str, Any] | None = None, **overrides: Any
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.platform.expected_ticket_issuer,
            "aud": "inkseal",
            "iat": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
            "sub": "u-1",
            "name": "李四",
            "phone": "13900001111",
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(
            claims,
            key if key is not None else self.signing_key,
            algorithm=algorithm or self.platform.ticket_algorithm,
            headers=headers,
        )


def _pem_public(key: Any) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def ticket_platform(db: Any) -> Callable[[str], TicketPlatform]:
    def factory(algorithm: str = "ES256", code: str = "portal") -> TicketPlatform:
        platform = TradingPlatform(name="测试交易平台", code=code, ticket_algorithm=algorithm)
        key: Any
        if algorithm == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
            platform.ticket_public_key = _pem_public(key)
        elif algorithm == "RS256":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            platform.ticket_public_key = _pem_public(key)
        else:
            key = "a-shared-secret-of-at-least-32-bytes!!"
            set_ticket_secret(platform, key)
        platform.save()
        return TicketPlatform(platform, key)

    return factory


@pytest.fixture(scope="session")
def demo_portal(tmp_path_factory: Any, django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo portal, running, with users seeded from a demo.json built against the test DB.

    Yields (portal_url, demo_json_path). Tests rebuild demo.json with `build_demo` so that the
    Inkseal side (platform row, people) exists in their own transaction; secrets are files under
    the test var dir, so both builds agree on them.
    """
    from django.db import transaction

    from inkseal.core import demo
    from tests.demo_portal import free_port, portal_process

    workdir = tmp_path_factory.mktemp("portal")
    demo_json = workdir / "demo.json"
    placeholder = f"http://127.0.0.1:{free_port()}"

    class Rollback(Exception):
        pass

    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                demo.build("http://testserver", placeholder, demo_json)
                raise Rollback
        except Rollback:
            pass
    with portal_process(workdir, demo_json) as url:
        yield url, demo_json


@pytest.fixture
def build_demo(demo_portal: Any) -> Callable[[str], dict[str, Any]]:
    from inkseal.core import demo

    portal_url, demo_json = demo_portal

    def build(base_url: str = "http://testserver") -> dict[str, Any]:
        return demo.build(base_url, portal_url, demo_json)

    return build


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Browser journeys last: Playwright's sync API keeps an event loop open for the session,
    which would break plain tests that call asyncio.run() after it."""
    items.sort(key=lambda item: "tests/e2e/" in str(item.fspath))


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings: Any, tmp_path: Any) -> None:
    """Each test keeps its audit anchors (the copy outside the database) in a file of its own."""
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchors.jsonl")


@pytest.fixture(autouse=True)
def _empty_job_queue() -> Any:
    """Each test starts with an empty job queue (in memory, settings.HUEY) and leaves none behind."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    yield
    HUEY.immediate = False
    HUEY.flush()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the default language: a request in another language (LocaleMiddleware)
    leaves it active in the thread, and tests that read translated text would depend on order."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)
