"""A seal's life after making: 作废 (void) and 待变更 (marked for change when the party's details change)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Party
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.evidence import events as leaves
from inkseal.evidence.services import log_event
from inkseal.seals.errors import SealInactive, SealNotFound
from inkseal.seals.models import Seal, SealState
from inkseal.seals.services.access import check_manage
from inkseal.seals.services.bindings import seal_bindings
from inkseal.seals.services.names import _comparable, _current_names
from inkseal.seals.states import SEAL


def check_void_seal(identity: CurrentIdentity, seal: Seal) -> None:
    check_manage(identity)
    if seal.owner_id != identity.party.pk:
        raise SealNotFound(_("印章不存在。"))
    if not seal.is_live:
        raise SealInactive(_("该印章已作废。"))


def do_void_seal(identity: CurrentIdentity, seal: Seal, *, acting: Acting) -> list[str]:
    """作废: the seal stops being usable, keeps its records; returns the certificate bindings it
    had (the page confirmed the warning about them before calling this)."""
    check_void_seal(identity, seal)
    with transaction.atomic():
        bindings = _void_locked(seal, acting, reason="")
    seal.refresh_from_db()
    return bindings


def _void_locked(seal: Seal, acting: Acting, reason: str) -> list[str]:
    locked = Seal.objects.select_for_update(no_key=True).get(pk=seal.pk)
    SEAL.check(locked, SealState.VOID)
    locked.voided_at = timezone.now()
    locked.state_reason = reason
    bindings = seal_bindings(locked)
    SEAL.move(
        locked,
        SealState.VOID,
        audit=lambda event: record(
            event,
            **acting.audit(),
            target=f"seal:{locked.pk}",
            data={"kind": locked.kind, "reason": reason, "bindings": bindings},
        ),
    )
    locked.save(update_fields=["state", "voided_at", "state_reason"])
    log_event(*leaves.seal(events.SEAL_VOID, locked))  # transparency log, same transaction
    return bindings


def mark_seals_for_change(
    party: Party,
    *,
    kinds: Iterable[str] | None = None,
    reason: str = "",
    acting: Acting | None = None,
) -> list[Seal]:
    """待变更: mark the party's 可用 seals that must be remade. Without `kinds`, those whose text
    no longer matches the party's current details (enterprise name, legal representative,
    person's name); with `kinds`, every 可用 seal of those types. Returns the seals marked.

    Call it after saving the new details (the identity app does; a post_save signal on
    Enterprise and Person does too, so calling it twice is harmless)."""
    if not Seal.objects.filter(owner=party, state=SealState.ACTIVE).exists():
        return []
    wanted = set(kinds) if kinds is not None else None
    names = _current_names(party)
    with transaction.atomic():
        active = Seal.objects.select_for_update(no_key=True).filter(owner=party, state=SealState.ACTIVE).order_by("pk")
        marked = []
        for seal in active:
            stale = _comparable(seal.name) != _comparable(names.get(seal.kind, seal.name))
            if (wanted is None and stale) or (wanted is not None and seal.kind in wanted):
                SEAL.move(
                    seal,
                    SealState.PENDING_CHANGE,
                    audit=partial(
                        record,
                        **(acting or Acting.system()).audit(),
                        target=f"seal:{seal.pk}",
                        data={"kind": seal.kind, "name": seal.name, "now": names.get(seal.kind, ""), "reason": reason},
                    ),
                )
                seal.state_reason = reason or _("主体信息已变更，印章需重新制作")
                seal.save(update_fields=["state", "state_reason"])
                marked.append(seal)
    return marked
