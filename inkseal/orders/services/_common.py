"""What every state change of an application shares: the row locks, the move along
the machines of `orders.states`, the audit row and the SMS notice queued for after commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.notify.backends import gateway
from inkseal.orders.models import Application, Order

_NOTICES = {
    "order.placed": gettext_noop("您的证书订单 %(order)s 已提交，办理单号 %(number)s。"),
    "order.paid": gettext_noop("您的订单 %(order)s 已支付，请在“我的办理”中完成申请（办理单 %(number)s）。"),
    "application.submitted": gettext_noop("您的办理单 %(number)s 已提交，等待审核。"),
    "application.approved": gettext_noop("您的办理单 %(number)s 已审核通过，证书已签发。"),
    "application.rejected": gettext_noop("您的办理单 %(number)s 未通过审核：%(reason)s。请修改后重新提交。"),
    "application.shipped": gettext_noop("您的 UKEY 已发货（%(courier)s %(tracking)s），办理单 %(number)s。"),
    "application.received": gettext_noop("您已确认收到办理单 %(number)s 的 UKEY，办理完成。"),
    "application.cancelled": gettext_noop("您的办理单 %(number)s 已取消。"),
    "invoice.issued": gettext_noop("办理单 %(number)s 的发票已开具，可在“我的办理”中下载。"),
}


def _notify(application: Application, event: str, **values: str) -> None:
    """SMS to the applicant after commit, so that a rolled-back change sends nothing."""
    phone = application.person.phone
    body = "【Inkseal】" + _(_NOTICES[event]) % {
        "number": application.number,
        "order": application.order.number,
        **values,
    }
    transaction.on_commit(lambda: gateway().send(phone, body, f"orders.{event}"))


def _audit(event: str, application: Application, acting: Acting, **data: Any) -> None:
    record(
        event,
        **acting.audit(),
        target=f"application:{application.number}",
        data={"order": application.order.number, "state": application.state, **data},
    )


def _locked(application: Application) -> Application:
    # Lock order: application, then its order (always in this order; pk order among applications).
    locked = (
        Application.objects.select_for_update(of=("self",), no_key=True)
        .select_related("order__product", "person")
        .get(pk=application.pk)
    )
    Order.objects.select_for_update(no_key=True).filter(pk=locked.order_id).first()
    return locked
