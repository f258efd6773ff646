"""The state machines: move() accepts exactly the transitions of each table and refuses every
other move without touching the object; docs/states.md is drawn from the same tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkseal.accounts.models import Enterprise, Person
from inkseal.core.errors import DomainError
from inkseal.core.states import StateMachine, load_machines, render_docs
from inkseal.identity.models import VerificationAttempt
from inkseal.orders.models import Application, Invoice, Order, Payment
from inkseal.seals.models import Seal, SealApproval
from inkseal.signing.models import FlowSigner, SignDocument, SignFlow, SignTask

# machine -> (the model whose field it moves, the code of its refusal: the codes the apps had)
MACHINES: dict[str, tuple[type[Any], str]] = {
    "application": (Application, "transition_not_allowed"),
    "order": (Order, "invalid_transition"),
    "payment": (Payment, "payment_invalid"),
    "invoice": (Invoice, "invoice_invalid"),
    "person_verification": (Person, "verification_not_allowed"),
    "enterprise_verification": (Enterprise, "verification_not_allowed"),
    "verification_attempt": (VerificationAttempt, "verification_not_allowed"),
    "seal": (Seal, "seal_inactive"),
    "seal_approval": (SealApproval, "seal_approval_decided"),
    "sign_task": (SignTask, "invalid_transition"),
    "sign_document": (SignDocument, "invalid_transition"),
    "sign_flow": (SignFlow, "invalid_transition"),
    "flow_signer": (FlowSigner, "invalid_transition"),
}


def _fields(obj: Any) -> dict[str, Any]:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def test_every_machine_is_walked_here():
    assert set(load_machines()) == set(MACHINES)


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_machine_states_are_the_model_choices(name):
    machine = load_machines()[name]
    model, _ = MACHINES[name]
    choices = {value for value, _label in model._meta.get_field(machine.field).choices}
    assert {str(state) for state in machine.states} <= choices
    assert {str(state) for state in machine.initial} <= {str(state) for state in machine.states}


def _walk(machine: StateMachine[Any], model: type[Any], code: str, data: st.DataObject) -> None:
    table = {(str(t.source), str(t.target)): t for t in machine.transitions}  # the data, read directly
    states = [str(state) for state in machine.states]
    names = sorted({t.name for t in machine.transitions})
    obj = model(**{machine.field: data.draw(st.sampled_from(states), label="start")})
    for _ in range(data.draw(st.integers(0, 12), label="length")):
        current = getattr(obj, machine.field)
        reachable = [target for source, target in table if source == current]
        to = data.draw(st.sampled_from(reachable) | st.sampled_from(states) if reachable else st.sampled_from(states))
        via = data.draw(st.none() | st.sampled_from(names))
        transition = table.get((current, to))
        accepted = transition is not None and via in (None, transition.name)
        before, recorded = _fields(obj), []
        if accepted:
            assert machine.move(obj, to, via=via, audit=recorded.append) == current
            assert getattr(obj, machine.field) == to
            assert recorded == ([transition.event] if transition.event else [])
            assert {k: v for k, v in _fields(obj).items() if k != machine.field} == {
                k: v for k, v in before.items() if k != machine.field
            }
        else:
            with pytest.raises(DomainError) as refused:
                machine.move(obj, to, via=via, audit=recorded.append)
            assert refused.value.code == code
            assert refused.value.status in (400, 409)
            assert _fields(obj) == before and recorded == []


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_move_accepts_exactly_the_table(name):
    machine = load_machines()[name]
    model, code = MACHINES[name]

    # too_slow: the machine is shared with other test runs; the walk itself takes microseconds
    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def walk(data: st.DataObject) -> None:
        _walk(machine, model, code, data)

    walk()


def test_a_move_that_records_an_event_needs_the_audit_function():
    machine = load_machines()["seal"]
    seal = Seal(state="active")
    with pytest.raises(TypeError):
        machine.move(seal, "void")
    assert seal.state == "active"


def test_docs_states_md_is_drawn_from_the_tables():
    path = Path(django_settings.BASE_DIR) / "docs" / "states.md"
    assert path.read_text(encoding="utf-8") == render_docs(load_machines()), "run `inkseal states --write`"
    call_command("states", "--check")


def test_states_check_fails_when_the_docs_are_stale(tmp_path, monkeypatch):
    from inkseal.core.management.commands import states as command

    stale = tmp_path / "states.md"
    stale.write_text("# State machines\n", encoding="utf-8")
    monkeypatch.setattr(command, "docs_path", lambda: stale)
    with pytest.raises(CommandError):
        call_command("states", "--check")
