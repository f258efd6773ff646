"""One acting context: every state-changing service learns who acts, from where and as which
identity from one `acting: Acting` keyword argument, and writes it to the audit log."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

import inkseal
from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.services import identity_acting, person_actor
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting, Actor
from inkseal.platforms.models import TradingPlatform
from inkseal.platforms.services import do_create_api_client, do_rotate_client_secret

SOURCE = Path(inkseal.__file__).parent
# Services that take the request itself (step-up lives in the session) or authenticate their
# caller by their own arguments (OAuth client credentials).
OWN_SHAPE = {"do_step_up_sms", "do_step_up_pin", "do_issue_token"}
OLD_SHAPES = {"ctx", "ip", "actor", "identity_key"}


def _functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                found.append((str(path.relative_to(SOURCE)), node))
    return found


def test_every_do_service_takes_acting_as_a_keyword():
    missing = []
    for where, function in _functions():
        if function.name.startswith("do_") and function.name not in OWN_SHAPE:
            keywords = {arg.arg: arg for arg in function.args.kwonlyargs}
            acting = keywords.get("acting")
            if acting is None or "Acting" not in ast.unparse(acting.annotation or ast.Constant("")):
                missing.append(f"{where}: {function.name}")
    assert missing == []


def test_no_service_takes_the_old_shapes():
    """No `ctx: RequestContext`, and no service takes `actor=` or `ip=` beside `acting`."""
    assert "RequestContext" not in "".join(p.read_text() for p in SOURCE.rglob("*.py"))
    mixed = []
    for where, function in _functions():
        names = {arg.arg for arg in [*function.args.args, *function.args.kwonlyargs]}
        if "acting" in names and names & OLD_SHAPES:
            mixed.append(f"{where}: {function.name} {sorted(names & OLD_SHAPES)}")
    assert mixed == []


@pytest.mark.django_db
def test_acting_from_a_request_carries_the_address_and_the_portal_identity(make_person):
    person = make_person(verified=True)
    identity = CurrentIdentity(person, None, "admin")
    request = RequestFactory().post("/seals/", REMOTE_ADDR="198.51.100.7")
    request.identity = identity  # type: ignore[attr-defined]
    acting = Acting.from_request(request, Actor("person", person.account_id, "张三"))
    assert (acting.ip, acting.identity) == ("198.51.100.7", identity.key)
    assert identity_acting(identity, "198.51.100.7") == Acting(person_actor(person), "198.51.100.7", identity.key)
    anonymous = Acting.anonymous("198.51.100.8")
    named = anonymous.as_actor(Actor("person", "p1", "李四"))
    assert (named.actor.label, named.ip) == ("李四", "198.51.100.8") and anonymous.actor.kind == "anonymous"


@pytest.mark.django_db
def test_the_audit_entry_names_the_acting_operator_and_address():
    operator = get_user_model().objects.create_user("ops", password="x" * 16)
    platform = TradingPlatform.objects.create(name="示例平台", code="demo-acting", callback_url="http://x.test/cb")
    acting = Acting.operator(operator, "203.0.113.5")
    client, _secret = do_create_api_client(platform, acting=acting)
    do_rotate_client_secret(client, acting=Acting.system("cron"))
    created, rotated = AuditEntry.objects.filter(target=f"platform:{platform.pk}").order_by("seq")
    assert (created.actor_kind, created.actor_id, created.actor_label, created.ip) == (
        "operator",
        str(operator.pk),
        "ops",
        "203.0.113.5",
    )
    assert (rotated.actor_kind, rotated.actor_label, rotated.ip) == ("system", "cron", "")
