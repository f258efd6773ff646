"""用印审批 pages: the approver's inbox (同意 / 驳回) and the administrator's settings (which seal
types need approval, by whom). Thin: services.approvals holds the rules."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.duties import require_duty
from inkseal.accounts.identity import identity_of
from inkseal.accounts.models import Duty
from inkseal.accounts.services import request_acting
from inkseal.accounts.stepup import require_step_up, step_up_context
from inkseal.core.errors import DomainError
from inkseal.seals.models import ENTERPRISE_TYPES
from inkseal.seals.services import approvals


@portal_login_required
@require_GET
def approval_inbox(request: HttpRequest) -> HttpResponse:
    """待审批的用印申请 of the approver."""
    identity = identity_of(request)
    require_duty(identity, Duty.APPROVER)
    context = {"nav": "seals", "pending": approvals.pending_approvals_for(identity)}
    return render(request, "seals/approvals.html", context)


@portal_login_required
@require_POST
def approval_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    identity = identity_of(request)
    approval = approvals.approval_of(identity, public_id)
    approve = request.POST.get("decision") == "approve"
    inbox = reverse("seals:approvals")
    try:
        approvals.do_decide_approval(
            identity, approval, approve=approve, reason=request.POST.get("reason", ""), acting=request_acting(request)
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
        return redirect(inbox)
    messages.success(request, _("已同意用印申请。") if approve else _("已驳回用印申请。"))
    return redirect(inbox)


@portal_login_required
@require_http_methods(["GET", "POST"])
def approval_settings(request: HttpRequest) -> HttpResponse:
    """用印审批设置: per enterprise seal type, the approvers whose approval its use needs."""
    identity = identity_of(request)
    approvals.check_set_rules(identity)
    if request.method == "POST":
        require_step_up(request)
        kind = request.POST.get("kind", "")
        try:
            approvals.do_set_approval_rule(
                identity, kind, request.POST.getlist("approvers"), acting=request_acting(request)
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已保存用印审批设置。"))
        return redirect(reverse("seals:approval_settings"))
    rules = approvals.approval_rules(identity)
    context = {
        "nav": "seals",
        "kinds": [(kind, kind.label, rules.get(kind, set())) for kind in ENTERPRISE_TYPES],
        "approvers": list(approvals.eligible_approvers(identity)),
        **step_up_context(request),
    }
    return render(request, "seals/approval_settings.html", context)
