"""Seal duties of an enterprise's members (三权分立): who may manage seals, use them, approve their
use and read the records, and the administrator's settings for them. docs/seal-roles.md has the
matrix; `CurrentIdentity.holds` answers "may this identity do that" for pages and services.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.accounts.errors import DutiesConflict, DutyRequired, MemberDutiesDenied, SealUserRequired
from inkseal.accounts.identity import CurrentIdentity
from inkseal.accounts.models import Duty, Enterprise, Membership, Party, Person
from inkseal.audit import events
from inkseal.audit.services import record
from inkseal.core.acting import Acting
from inkseal.core.errors import NotFound
from inkseal.core.masking import mask_phone

_REFUSALS = {
    Duty.SEAL_ADMIN: gettext_lazy("只有企业的印章管理员可以制作、变更、作废或绑定企业印章。"),
    Duty.SEAL_USER: gettext_lazy("只有企业的用印人可以使用企业印章签章。"),
    Duty.APPROVER: gettext_lazy("只有企业的审批人可以审批用印申请。"),
    Duty.AUDITOR: gettext_lazy("只有企业的审计员可以查看印章使用记录和应用记录（企业已启用三权分立）。"),
}


def require_duty(identity: CurrentIdentity, duty: Duty) -> None:
    """DutyRequired (403) unless the identity holds `duty`; the message names the duty."""
    if not identity.holds(duty):
        raise DutyRequired(_REFUSALS[duty])


def require_records_reader(identity: CurrentIdentity) -> None:
    if not identity.reads_records:
        raise DutyRequired(_REFUSALS[Duty.AUDITOR])


def check_duties(duties: Iterable[str]) -> frozenset[str]:
    """The duties, validated: known names only, and the auditor alone (the one refused combination
    family: an auditor must not audit seals they manage, use or approve)."""
    chosen = frozenset(duties)
    unknown = chosen - set(Duty.values)
    if unknown:
        raise DutiesConflict(_("未知的角色：%(names)s。") % {"names": "、".join(sorted(unknown))})
    if Duty.AUDITOR in chosen and len(chosen) > 1:
        raise DutiesConflict()
    return chosen


# --- the administrator's member management ------------------------------------------------------


def managed_enterprise_for(person: Person, enterprise_id: int) -> Enterprise:
    """The enterprise if `person` administers it: 404 for non-members, 403 for other members."""
    membership = Membership.objects.select_related("enterprise").filter(person=person, enterprise_id=enterprise_id)
    found = membership.first()
    if found is None:
        raise NotFound(_("企业不存在。"))
    if found.role != Membership.Role.ADMIN:
        raise MemberDutiesDenied()
    return found.enterprise


def member_of(enterprise: Enterprise, membership_id: int | str) -> Membership:
    try:
        pk = int(membership_id)
    except (TypeError, ValueError):
        pk = 0
    found = Membership.objects.select_related("person").filter(enterprise=enterprise, pk=pk).first()
    if found is None:
        raise NotFound(_("企业成员不存在。"))
    return found


def do_set_member_duties(membership: Membership, duties: Iterable[str], *, acting: Acting) -> Membership:
    """The administrator sets a member's duties (the whole set); one audit row with before and after."""
    chosen = check_duties(duties)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("person").get(pk=membership.pk)
        before = locked.duties
        if before == chosen:
            return locked
        for duty in Duty.values:
            setattr(locked, duty, duty in chosen)
        locked.save(update_fields=list(Duty.values))
        record(
            events.ENTERPRISE_MEMBER_DUTIES,
            **acting.audit(),
            target=f"enterprise:{locked.enterprise_id}",
            data={
                "member": mask_phone(locked.person.phone),
                "before": sorted(before),
                "after": sorted(chosen),
            },
        )
    return locked


def do_set_separation_of_duties(enterprise: Enterprise, on: bool, *, acting: Acting) -> Enterprise:
    """Turn 三权分立 on or off for the enterprise (audited)."""
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        if locked.separation_of_duties != on:
            locked.separation_of_duties = on
            locked.save(update_fields=["separation_of_duties"])
            record(
                events.ENTERPRISE_SEPARATION_OF_DUTIES,
                **acting.audit(),
                target=f"enterprise:{locked.pk}",
                data={"on": on},
            )
    return locked


# --- the signing instant ------------------------------------------------------------------------


def check_confirmer_uses_seals(holder: Party, phone: str, *, acting: Acting) -> None:
    """At the signing instant: when the holder is an enterprise with 三权分立 on, the person who
    confirms (named by phone in the certificate's authorisation) must be one of its seal users.
    A refusal is recorded (committed before the raise) and answers SealUserRequired (403)."""
    if holder.kind != Party.Kind.ENTERPRISE:
        return
    if Party.enterprise.is_cached(holder):  # read with the task (signing.tasks.confirm)
        enterprise: Enterprise | None = getattr(holder, "enterprise", None)
    else:
        enterprise = Enterprise.objects.filter(party=holder).only("pk", "separation_of_duties").first()
    if enterprise is None or not enterprise.separation_of_duties:
        return
    if Membership.objects.filter(enterprise=enterprise, person__phone=phone, seal_user=True).exists():
        return
    record(
        events.ENTERPRISE_SEAL_USER_REFUSED,
        **acting.audit(),
        target=f"enterprise:{enterprise.pk}",
        data={"confirmer": mask_phone(phone)},
    )
    raise SealUserRequired()
