"""State machines as data: one `StateMachine` per stateful model, one `move()` for every change.

A machine is a table of `Transition`s (from-state, to-state, the move's name, the audit event it
records, who takes it). `move()` refuses anything the table does not list with the machine's
DomainError and leaves the object untouched; otherwise it sets the state field and records the
transition's audit event through the caller's `audit` function, inside the caller's transaction
(the caller knows the target and data of its audit entry; this module knows nothing of the
audit app). Bulk changes go through `move_where()`, which adds the allowed from-states to the
query's filter so that no row outside the table moves.

When the audit entry carries data made after the state check (a certificate issued on approval),
the caller calls `check()` first and `move()` where the entry belongs.

Each app keeps its machines in `<app>/states.py`; creating a machine registers it, and
`manage.py states` draws every registered table into docs/states.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from inkseal.core.errors import Conflict, DomainError, gettext_lazy

M = TypeVar("M")

# Who takes a transition: the identity's own user, a back-office operator, or the system itself.
BY_USER, BY_OPERATOR, BY_SYSTEM = "user", "operator", "system"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    name: str  # the move, e.g. "submit", "approve"
    event: str = ""  # the audit event move() records; "" when the caller's own entry covers the move
    by: str = BY_SYSTEM


class InvalidTransition(Conflict):
    """The default refusal of a machine that has no error of its own."""

    code = "invalid_transition"
    default_message = gettext_lazy("当前状态不允许此操作。")


Refusal = Callable[[Any, str, str | None], DomainError]  # (object, to-state, move name) -> the error


def _default_refusal(obj: Any, to: str, via: str | None) -> DomainError:
    return InvalidTransition(_("当前状态不允许此操作。"))


class StateMachine(Generic[M]):
    """The transitions of one model's state field (`field`), with the states it may be born in."""

    def __init__(
        self,
        name: str,
        *,
        field: str,
        states: Iterable[Any],
        initial: Iterable[str],
        transitions: Sequence[Transition],
        refuse: Refusal | None = None,
        title: str = "",
    ) -> None:
        self.name = name
        self.field = field
        self.states: tuple[Any, ...] = tuple(states)
        self.initial = tuple(initial)
        self.transitions = tuple(transitions)
        self.title = title or name
        self._refuse = refuse or _default_refusal
        known = {str(state) for state in self.states}
        self._by_pair: dict[tuple[str, str], Transition] = {}
        for transition in self.transitions:
            pair = (str(transition.source), str(transition.target))
            if not set(pair) <= known:
                raise ValueError(f"{name}: {pair} names a state outside the machine")
            if pair in self._by_pair:
                raise ValueError(f"{name}: two transitions {pair}")
            self._by_pair[pair] = transition
        if not {str(state) for state in self.initial} <= known:
            raise ValueError(f"{name}: an initial state outside the machine")
        REGISTRY[name] = self

    # --- reading the table -------------------------------------------------------------------

    def find(self, source: str, target: str, *, via: str | None = None) -> Transition | None:
        """The transition from `source` to `target` (named `via` when given), or None."""
        transition = self._by_pair.get((str(source), str(target)))
        if transition is None or (via is not None and transition.name != via):
            return None
        return transition

    def allows(self, source: str, *, to: str | None = None, via: str | None = None) -> bool:
        """Is there a way out of `source` (to `to`, named `via`, when given)?"""
        return any(
            (to is None or t.target == to) and (via is None or t.name == via)
            for t in self.transitions
            if t.source == source
        )

    def names_from(self, source: str, *, by: str | None = None) -> list[str]:
        """The moves possible from `source` (those taken `by` one kind of actor, when given)."""
        return list(dict.fromkeys(t.name for t in self.transitions if t.source == source and by in (None, t.by)))

    def sources(self, target: str, *, via: str | None = None) -> list[str]:
        return [t.source for t in self.transitions if t.target == target and (via is None or t.name == via)]

    # --- moving ------------------------------------------------------------------------------

    def check(self, obj: M, to: str, *, via: str | None = None) -> Transition:
        """The transition `obj` would take to `to`; the machine's DomainError when there is none."""
        transition = self.find(getattr(obj, self.field), to, via=via)
        if transition is None:
            raise self._refuse(obj, to, via)
        return transition

    def move(self, obj: M, to: str, *, via: str | None = None, audit: Callable[[str], Any] | None = None) -> str:
        """Set `obj`'s state to `to` (not saved) and record the transition's audit event with
        `audit(event)`; refused (nothing changed) when the table has no such move. Returns the
        old state."""
        transition = self.check(obj, to, via=via)
        if transition.event and audit is None:
            raise TypeError(f"{self.name}: {transition.name} records {transition.event}; pass audit=")
        old: str = getattr(obj, self.field)
        setattr(obj, self.field, transition.target)
        if transition.event and audit is not None:
            audit(transition.event)
        return old

    def move_where(self, queryset: QuerySet[Any], to: str, *, via: str | None = None, **fields: Any) -> int:
        """Bulk move: UPDATE the rows of `queryset` that are in a state the table lets reach `to`
        (and `fields` with them); returns how many moved. It records no audit entry: a caller
        claiming one row follows with `move()` on its object, which records the event."""
        sources = self.sources(to, via=via)
        if not sources:
            raise ValueError(f"{self.name}: nothing moves to {to}")
        return queryset.filter(**{f"{self.field}__in": sources}).update(**{self.field: to, **fields})

    # --- drawing -----------------------------------------------------------------------------

    def mermaid(self) -> str:
        """The table as a Mermaid stateDiagram (labels in the source language)."""
        with translation.override(None):
            lines = ["stateDiagram-v2"]
            for state in self.states:
                lines.append(f'    state "{getattr(state, "label", state)} ({state})" as {state}')
            for state in self.initial:
                lines.append(f"    [*] --> {state}")
            for t in self.transitions:
                label = t.name + (f" / {t.event}" if t.event else "") + f" ({t.by})"
                lines.append(f"    {t.source} --> {t.target}: {label}")
            return "\n".join(lines)


REGISTRY: dict[str, StateMachine[Any]] = {}


def load_machines() -> dict[str, StateMachine[Any]]:
    """Every machine of the installed apps (each app's `states` module), by name."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("states")
    return dict(sorted(REGISTRY.items()))


def render_docs(machines: dict[str, StateMachine[Any]]) -> str:
    parts = [
        "# State machines",
        "",
        "Drawn from the transition tables (`inkseal/<app>/states.py`) by `manage.py states --write`;",
        "a test fails when this file and the tables disagree. An arrow reads `move / audit event (who)`;",
        "a move without an audit event is covered by the entry its caller records.",
        "",
    ]
    for name, machine in machines.items():
        parts += [f"## {machine.title} (`{name}`)", "", "```mermaid", machine.mermaid(), "```", ""]
    return "\n".join(parts)
