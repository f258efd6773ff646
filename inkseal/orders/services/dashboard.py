"""What the applicant's pages list: the next step of an application, the home page's rows and
the search over applications."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from inkseal.accounts.models import Party
from inkseal.orders import states
from inkseal.orders.models import Application, Kind, Medium
from inkseal.orders.states import State


def next_step(application: Application) -> tuple[str, str]:
    """(label, url) of the button an applicant needs next."""
    number = application.number
    if application.state == State.PENDING_PAYMENT:
        return _("支付"), reverse("orders:pay", args=[number])
    if application.state == State.DRAFT:
        return _("申请"), reverse("orders:apply", args=[number])
    if application.state == State.REJECTED:
        return _("重新申请"), reverse("orders:apply", args=[number])
    if application.state == State.SHIPPED:
        return _("确认收货"), reverse("orders:detail", args=[number])
    return _("详情"), reverse("orders:detail", args=[number])


def in_progress_rows(party: Party, limit: int = 5) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    applications = Application.objects.filter(party=party, state__in=states.IN_PROGRESS).select_related("order")
    for application in applications.order_by("-created_at", "-pk")[:limit]:
        label, url = next_step(application)
        rows.append(
            {
                "number": application.number,
                "subject": str(party),
                "kind": application.get_kind_display(),
                "created_at": application.created_at,
                "state": application.get_state_display(),
                "url": url,
                "action": label,
            }
        )
    return rows


def search_applications(
    applications: QuerySet[Application],
    *,
    in_progress: bool,
    platform: str = "",
    number: str = "",
    applicant: str = "",
    kind: str = "",
    medium: str = "",
    state: str = "",
) -> QuerySet[Application]:
    if in_progress:
        applications = applications.filter(state__in=states.IN_PROGRESS)
    if platform.isdigit():
        applications = applications.filter(platform_id=int(platform))
    if number:
        applications = applications.filter(Q(number__contains=number) | Q(order__number__contains=number))
    if applicant:
        applications = applications.filter(Q(person__name__contains=applicant) | Q(person__phone__contains=applicant))
    if kind in Kind.values:
        applications = applications.filter(kind=kind)
    if medium in Medium.values:
        applications = applications.filter(medium=medium)
    if state in State.values:
        applications = applications.filter(state=state)
    return applications.order_by("-created_at", "-pk")
