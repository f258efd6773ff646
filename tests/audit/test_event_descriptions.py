"""Every audit event name the code records has a Chinese description (inkseal/audit/events.py),
and the back office shows it beside the raw name.

The names are collected from the source: the first argument of every `record(...)` call and of the
wrappers that pass a name on (orders/pki `_audit`, identity `audit`, step-up `_audit`, the back
office's `_audit`), including conditional names and f-strings over an attempt's state. A call whose
name cannot be worked out fails the test, so a new dynamic name must be made collectable."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from inkseal.audit.events import EVENT_DESCRIPTIONS, describe
from inkseal.audit.services import Actor, record
from inkseal.identity.models import AttemptState

SOURCE = Path(__file__).resolve().parents[2] / "inkseal"
# wrappers that prefix the name they are given: (module path prefix, function) -> (prefix, argument index)
WRAPPERS = {
    ("identity/", "audit"): ("identity.", 0),
    ("accounts/stepup.py", "_audit"): ("stepup.", 2),
    ("backoffice/site.py", "_audit"): ("backoffice.", 2),
    ("signing/admin.py", "_audit"): ("backoffice.", 2),  # the back office site's _audit, on a model admin
}
PLAIN = {"record", "_audit"}  # record itself, and wrappers that pass the name on as it is
STATE_EXPRESSIONS = {"attempt.state": [state.value for state in AttemptState]}


def _values(node: ast.expr, scope: ast.AST) -> set[str] | None:
    """The strings an expression can take, or None when it cannot be worked out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _values(node.body, scope), _values(node.orelse, scope)
        return None if body is None or orelse is None else body | orelse
    if isinstance(node, ast.Name):
        assigned = [
            _values(sub.value, scope)
            for sub in ast.walk(scope)
            if isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in sub.targets)
        ]
        if not assigned or any(v is None for v in assigned):
            return None
        return set().union(*assigned)  # type: ignore[arg-type]
    if isinstance(node, ast.JoinedStr):
        results = {""}
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                options = STATE_EXPRESSIONS.get(ast.unparse(part.value)) or _values(part.value, scope)
                if options is None:
                    return None
            else:
                options = _values(part, scope)  # type: ignore[arg-type]
                assert options is not None
            results = {head + tail for head in results for tail in options}
        return results
    return None


def _in_audit_lambda(function: ast.FunctionDef, call: ast.Call) -> bool:
    """`call` is the body of an `audit=lambda event: ...` passed to a machine's move()."""
    return any(
        isinstance(node, ast.Lambda) and node.body is call and [a.arg for a in node.args.args] == ["event"]
        for node in ast.walk(function)
    )


def machine_event_names() -> set[str]:
    from inkseal.core.states import load_machines

    return {t.event for machine in load_machines().values() for t in machine.transitions if t.event}


def recorded_event_names() -> tuple[set[str], list[str]]:
    names: set[str] = set(machine_event_names())
    unresolved: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        where = path.relative_to(SOURCE).as_posix()
        if "migrations/" in where:
            continue
        functions = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)]
        for function in functions:
            parameters = {a.arg for a in function.args.args}
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                callee = getattr(call.func, "id", None) or getattr(call.func, "attr", "")
                prefix, index = next(
                    (spec for (module, name), spec in WRAPPERS.items() if name == callee and where.startswith(module)),
                    ("", 0) if callee in PLAIN else (None, 0),
                )
                if prefix is None or len(call.args) <= index:
                    continue
                argument = call.args[index]
                if isinstance(argument, ast.Name) and argument.id == "event" and _in_audit_lambda(function, call):
                    continue  # a state machine's move: its events come from the machines' tables
                if function.name in {"audit", "_audit"} and (
                    isinstance(argument, ast.JoinedStr) or getattr(argument, "id", None) in parameters
                ):
                    continue  # inside a wrapper: the names come from its callers
                values = _values(argument, function)
                if values is None:
                    unresolved.append(f"{where}:{call.lineno}: {ast.unparse(argument)}")
                else:
                    names |= {prefix + value for value in values}
    return names, unresolved


def test_every_recorded_event_has_a_description() -> None:
    names, unresolved = recorded_event_names()
    assert not unresolved, unresolved
    assert {"sign_task.complete", "identity.face.succeeded", "backoffice.change", "stepup.pin"} <= names
    missing = sorted(name for name in names if name not in EVENT_DESCRIPTIONS)
    assert not missing, missing
    assert all(re.search(r"[\u4e00-\u9fff]", str(text)) for text in EVENT_DESCRIPTIONS.values())


def test_descriptions_name_real_events() -> None:
    names, _ = recorded_event_names()
    stale = sorted(set(EVENT_DESCRIPTIONS) - names)
    assert not stale, stale


@pytest.mark.django_db
def test_the_back_office_shows_the_description_beside_the_code() -> None:
    record("sign_task.complete", actor=Actor.system(), target="sign_task:1")
    client = Client()
    client.force_login(User.objects.create_superuser("reviewer", password="a-long-password-1"))
    html = client.get("/backoffice/audit/auditentry/").content.decode()
    assert "sign_task.complete" in html and "签署任务完成" in html
    assert describe("sign_task.complete") == "签署任务完成" and describe("no.such_event") == ""
