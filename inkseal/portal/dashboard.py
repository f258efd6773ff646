"""Home-page counters. Each domain app registers the counters it owns in its AppConfig.ready(),
so the portal never imports models of apps it does not own and counts always come from the
tables that hold the objects."""

from __future__ import annotations

from collections.abc import Callable

from inkseal.accounts.models import Party

Counter = Callable[[Party], int]
_counters: dict[str, Counter] = {}


def register(name: str, counter: Counter) -> None:
    _counters[name] = counter


def counts(party: Party) -> dict[str, int]:
    """usable_seals, ukey_certificates, cloud_certificates (0 when no app provides them yet)."""
    result = {"usable_seals": 0, "ukey_certificates": 0, "cloud_certificates": 0}
    result.update({name: counter(party) for name, counter in _counters.items()})
    return result


InProgress = Callable[[Party], list[dict[str, object]]]
_in_progress: list[InProgress] = []


def register_in_progress(provider: InProgress) -> None:
    _in_progress.append(provider)


def in_progress(party: Party) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for provider in _in_progress:
        rows.extend(provider(party))
    return rows
