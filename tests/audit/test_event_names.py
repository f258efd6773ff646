"""Audit event names come from inkseal.audit.events: no call that writes an audit entry spells one."""

from __future__ import annotations

import ast
from pathlib import Path

import inkseal
from inkseal.audit import events

SOURCE = Path(inkseal.__file__).parent
# record() itself, and the per-app helpers whose first argument is the event name.
AUDIT_CALLS = {"record", "_audit", "audit"}


def literal_event_calls(source: str) -> list[str]:
    """`line: event argument` for each audit call whose event argument holds a string literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in AUDIT_CALLS:
            continue
        # the back office's `self._audit(request, obj, event, message)` takes the name third
        event_arg = (
            node.args[2] if name == "_audit" and isinstance(func, ast.Attribute) and len(node.args) > 2 else None
        )
        checked = event_arg if event_arg is not None else node.args[0]
        parts = ast.walk(checked)
        if any(
            isinstance(p, ast.JoinedStr) or (isinstance(p, ast.Constant) and isinstance(p.value, str)) for p in parts
        ):
            found.append(f"{node.lineno}: {ast.unparse(checked)}")
    return found


def test_no_audit_call_spells_its_event_name():
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts and path.name != "events.py":
            found += [f"{path.relative_to(SOURCE.parent)}:{hit}" for hit in literal_event_calls(path.read_text())]
    assert found == []


def test_the_scan_sees_literal_event_names():
    source = 'record("seal.void", actor=a)\n_audit(f"x.{y}", obj)\nrecord(events.SEAL_VOID, actor=a)\n'
    source += 'self._audit("a" if b else events.X, obj)\n'
    source += 'self._audit(request, obj, "callback_retry", "")\nself._audit(request, obj, events.X, "")\n'
    assert literal_event_calls(source) == [
        "1: 'seal.void'",
        "2: f'x.{y}'",
        "4: 'a' if b else events.X",
        "5: 'callback_retry'",
    ]


def test_event_names_are_unique_and_dotted():
    names = [value for key, value in vars(events).items() if key.isupper() and isinstance(value, str)]
    assert len(names) == len(set(names))
    assert all("." in name and name == name.strip().lower() for name in names if name != "logout")
    assert events.all_events() == frozenset(names)


def test_outcome_tables_name_defined_events():
    for table in (
        events.IDENTITY_PHONE_OUTCOME,
        events.IDENTITY_FACE_OUTCOME,
        events.IDENTITY_LEGAL_REP_PHONE_OUTCOME,
        events.IDENTITY_BANK_CARD_OUTCOME,
    ):
        assert set(table.values()) <= events.all_events()
