"""申请: the applicant's submission (seals to bind, subject, the UKEY's PKCS#10 request)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.core.acting import Acting
from inkseal.orders.errors import ApplicationInvalid
from inkseal.orders.models import Application, ApplicationSeal, Medium
from inkseal.orders.services._common import _audit, _locked, _notify
from inkseal.orders.services.access import check_can_manage
from inkseal.orders.states import APPLICATION, Action, State
from inkseal.pki import services as pki
from inkseal.seals.models import Seal, SealState
from inkseal.seals.services import seal_for


@dataclass(frozen=True)
class ApplicationInput:
    seals: list[Seal]
    subject: dict[str, str]
    csr_der: bytes | None
    ukey_serial: str


def selectable_seals(identity: CurrentIdentity) -> QuerySet[Seal]:
    return Seal.objects.filter(owner=identity.party, state=SealState.ACTIVE).order_by("pk")


def needs_csr(application: Application) -> bool:
    return application.medium == Medium.UKEY


def check_application(
    identity: CurrentIdentity,
    application: Application,
    *,
    seal_ids: Iterable[Any],
    csr: bytes | None = None,
    ukey_serial: str = "",
) -> ApplicationInput:
    check_can_manage(identity)
    APPLICATION.check(application, State.REVIEWING, via=Action.SUBMIT)
    seals = [seal_for(identity, seal_id) for seal_id in dict.fromkeys(seal_ids)]
    if not seals:
        raise ApplicationInvalid(_("请选择至少一枚要绑定的印章。"))
    for seal in seals:
        if seal.state != SealState.ACTIVE:
            raise ApplicationInvalid(_("%(type)s不可用，不能绑定。") % {"type": seal.get_kind_display()})
    subject = pki.check_holder(identity.party)
    csr_der: bytes | None = None
    serial = ""
    if needs_csr(application):
        if not csr:
            raise ApplicationInvalid(_("请上传 UKEY 生成的证书请求（PKCS#10）。"))
        request = pki.check_csr(csr)
        product = application.order.product
        if request.public_key.algorithm.name != product.algorithm:
            raise ApplicationInvalid(
                _("证书请求的密钥算法（%(got)s）与商品（%(want)s）不符。")
                % {"got": request.public_key.algorithm.name, "want": product.get_algorithm_display()}
            )
        serial = pki.check_ukey_serial(ukey_serial)
        csr_der = request.der
    return ApplicationInput(seals, {**subject.snapshot, "common_name": subject.common_name}, csr_der, serial)


def do_submit_application(
    identity: CurrentIdentity,
    application: Application,
    *,
    seal_ids: Iterable[Any],
    csr: bytes | None = None,
    ukey_serial: str = "",
    acting: Acting,
) -> Application:
    """申请 (or 重新提交 after a rejection): seals to bind, subject confirmed, UKEY request attached."""
    data = check_application(identity, application, seal_ids=seal_ids, csr=csr, ukey_serial=ukey_serial)
    with transaction.atomic():
        locked = _locked(application)
        APPLICATION.check(locked, State.REVIEWING, via=Action.SUBMIT)
        locked.subject = data.subject
        locked.csr_der = data.csr_der
        locked.ukey_serial = data.ukey_serial
        locked.reject_reason = ""
        locked.submitted_at = timezone.now()
        ApplicationSeal.objects.filter(application=locked).delete()
        ApplicationSeal.objects.bulk_create([ApplicationSeal(application=locked, seal=seal) for seal in data.seals])
        APPLICATION.move(
            locked,
            State.REVIEWING,
            via=Action.SUBMIT,
            audit=lambda event: _audit(
                event,
                locked,
                acting,
                seals=[seal.kind for seal in data.seals],
                ukey_serial=data.ukey_serial,
            ),
        )
        locked.save()
        _notify(locked, "application.submitted")
    return locked
