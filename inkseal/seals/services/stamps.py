"""What the signing service takes from seals: the stamp image at true size, and the row locks
that keep a seal from being voided or unbound while a signing shows it."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from inkseal.accounts.models import Party
from inkseal.pki.models import Certificate
from inkseal.seals.errors import SealInactive, SealNotBound, SealNotFound
from inkseal.seals.models import Seal, SealState, SealType
from inkseal.seals.render import StampImage
from inkseal.seals.services._common import _label
from inkseal.seals.services.access import live_seals, seal_image_bytes


def seal_stamp(party: Party, kind_code: str) -> tuple[Seal, StampImage]:
    """The party's 可用 seal of a type (official, legal_representative, contract, finance, name,
    handwriting) and its image at true size for a PDF stamp (42 mm round, 20 mm square, …).

    Raises SealNotFound (seal_not_found) when the party never had one, SealInactive
    (seal_inactive) when it is 待变更 or only voided ones exist."""
    try:
        wanted = SealType(kind_code)
    except ValueError:
        raise SealNotFound(_("未知的印章类型“%(kind)s”。") % {"kind": str(kind_code)[:40]})
    seal = live_seals(party).filter(kind=wanted).first()
    if seal is None:
        if Seal.objects.filter(owner=party, kind=wanted).exists():
            raise SealInactive(_("%(type)s已作废，请重新制作印章。") % {"type": wanted.label})
        raise SealNotFound(_("未找到可用的%(type)s，请先制作印章。") % {"type": wanted.label})
    if seal.state != SealState.ACTIVE:
        raise SealInactive(_("%(type)s待变更，请重新制作后再签章。") % {"type": wanted.label})
    return seal, stamp_of(seal)


def stamp_of(seal: Seal) -> StampImage:
    """The seal's stored PNG and its size on paper."""
    return StampImage(seal_image_bytes(seal), seal.width_mm, seal.height_mm)


def lock_seals_for_signing(seals: Iterable[Seal], certificate: Certificate) -> None:
    """Inside a signing transaction: lock the rows of the seals it shows (a voiding waits for the
    signing to commit, or the signing sees it) and check each is still active and bound to
    `certificate`; SealInactive or SealNotBound (with the seal type) otherwise."""
    wanted = sorted({seal.pk for seal in seals})
    locked = {
        pk: (kind, state)
        for pk, kind, state in Seal.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=wanted, bindings__certificate=certificate)
        .order_by("pk")  # one lock order for every signing
        .values_list("pk", "kind", "state")
    }
    for pk in wanted:
        if pk not in locked:  # unbound, or gone: which one (the rare path, one more query)
            seal = Seal.objects.filter(pk=pk).first()
            if seal is None:
                raise SealInactive(_("%(type)s不可用（%(state)s）。") % {"type": _("印章"), "state": _("已删除")})
            raise SealNotBound(_("%(type)s未绑定到该证书。") % {"type": _label(seal.kind)})
        kind, state = locked[pk]
        if state != SealState.ACTIVE:
            raise SealInactive(
                _("%(type)s不可用（%(state)s）。") % {"type": _label(kind), "state": SealState(state).label}
            )
