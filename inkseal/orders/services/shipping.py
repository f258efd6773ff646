"""UKEY shipping: the operator ships, the applicant confirms receipt."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.core.acting import Acting
from inkseal.orders.errors import ApplicationInvalid
from inkseal.orders.models import Application, Shipment
from inkseal.orders.services._common import _audit, _locked, _notify
from inkseal.orders.services.access import check_can_manage
from inkseal.orders.states import APPLICATION, Action, State


def check_shipment(courier: str, tracking_number: str) -> tuple[str, str]:
    courier, tracking_number = (courier or "").strip(), (tracking_number or "").strip()
    if not courier or len(courier) > 64:
        raise ApplicationInvalid(_("请填写快递公司。"))
    if not re.fullmatch(r"[A-Za-z0-9-]{6,40}", tracking_number):
        raise ApplicationInvalid(_("快递单号须为 6–40 位字母、数字或横线。"))
    return courier, tracking_number


def do_ship(application: Application, courier: str, tracking_number: str, *, acting: Acting) -> Shipment:
    courier, tracking_number = check_shipment(courier, tracking_number)
    with transaction.atomic():
        locked = _locked(application)
        APPLICATION.check(locked, State.SHIPPED, via=Action.SHIP)
        shipment = Shipment.objects.create(
            application=locked,
            courier=courier,
            tracking_number=tracking_number,
            shipped_at=timezone.now(),
            shipped_by=acting.actor.label,
        )
        APPLICATION.move(
            locked,
            State.SHIPPED,
            via=Action.SHIP,
            audit=lambda event: _audit(event, locked, acting, courier=courier, tracking=tracking_number),
        )
        locked.save(update_fields=["state", "updated_at"])
        _notify(locked, "application.shipped", courier=courier, tracking=tracking_number)
    return shipment


def do_confirm_receipt(identity: CurrentIdentity, application: Application, *, acting: Acting) -> Application:
    check_can_manage(identity)
    with transaction.atomic():
        locked = _locked(application)
        APPLICATION.check(locked, State.COMPLETED, via=Action.RECEIVE)
        Shipment.objects.filter(application=locked).update(received_at=timezone.now())
        APPLICATION.move(
            locked,
            State.COMPLETED,
            via=Action.RECEIVE,
            audit=lambda event: _audit(event, locked, acting),
        )
        locked.save(update_fields=["state", "updated_at"])
        _notify(locked, "application.received")
    return locked
