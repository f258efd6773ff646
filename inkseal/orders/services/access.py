"""The access gate: the applications an identity may see, and who may manage them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from inkseal.accounts.identity import CurrentIdentity
from inkseal.core.errors import PermissionDenied
from inkseal.orders.errors import ApplicationNotFound
from inkseal.orders.models import Application


def applications_of(identity: CurrentIdentity) -> QuerySet[Application]:
    """A person sees personal applications, an enterprise identity the enterprise's."""
    return Application.objects.filter(party=identity.party).select_related(
        "order__product", "platform", "person", "certificate"
    )


def application_for(identity: CurrentIdentity, number: Any) -> Application:
    """The identity's application by number, or 404 for anything else, existing or not."""
    application = applications_of(identity).filter(number=str(number)).first()
    if application is None:
        raise ApplicationNotFound(_("办理单不存在。"))
    return application


def check_can_manage(identity: CurrentIdentity) -> None:
    if not identity.is_admin:
        raise PermissionDenied(_("只有企业管理员（经办人）可以办理企业证书。"))
