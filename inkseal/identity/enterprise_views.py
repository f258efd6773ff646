"""Enterprise pages: detail (企业信息), verification (three methods), micro-deposit confirmation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.duties import do_set_member_duties, do_set_separation_of_duties, managed_enterprise_for, member_of
from inkseal.accounts.models import Duty, Enterprise, Membership, Person
from inkseal.accounts.stepup import require_step_up, step_up_context
from inkseal.core.errors import DomainError, NotFound
from inkseal.identity.enterprise_flows import (
    EnterpriseApplication,
    check_can_verify_enterprise,
    do_confirm_micro_deposit,
    do_start_bank_card,
    do_submit_licence,
    do_verify_legal_rep_phone,
    enterprise_attempts,
    pending_deposit,
    send_legal_rep_code,
)
from inkseal.identity.forms import DepositForm, EnterpriseVerificationForm
from inkseal.identity.models import Method, VerificationAttempt
from inkseal.identity.services import admin_enterprise_for, attempt_for, enterprise_for
from inkseal.identity.views import current_person, page_context, request_acting, upload_bytes

METHOD_TITLES = {
    "legal_rep_phone": Method.LEGAL_REP_PHONE.label,
    "bank_card": Method.BANK_CARD.label,
    "licence": Method.LICENCE.label,
}


@portal_login_required
@require_GET
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise, membership = enterprise_for(current_person(request), pk)
    is_admin = membership.role == Membership.Role.ADMIN
    return render(
        request,
        "identity/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "membership": membership,
            "is_admin": is_admin,
            "members": enterprise.memberships.select_related("person").order_by("created_at"),
            "attempts": enterprise_attempts(enterprise) if is_admin else [],
            "deposit": pending_deposit(enterprise) if is_admin else None,
            "identity_key": f"enterprise:{enterprise.pk}",
            "duty_choices": Duty.choices,
            **step_up_context(request),
            "enterprise_type_label": enterprise.get_enterprise_type_display(),
        },
    )


def _application(form: EnterpriseVerificationForm) -> EnterpriseApplication:
    data = form.cleaned_data
    return EnterpriseApplication(
        name=data["name"],
        enterprise_type=data["enterprise_type"],
        uscc=data["uscc"],
        legal_rep_name=data["legal_rep_name"],
        legal_rep_id_number=data["legal_rep_id_number"],
        id_front=upload_bytes(data["id_front"], _("身份证人像面")),
        id_back=upload_bytes(data["id_back"], _("身份证国徽面")),
        agreements=data["agreements"],
    )


def _submit(
    request: HttpRequest, person: Person, enterprise: Enterprise, method: str, form: Any
) -> VerificationAttempt:
    data, acting = form.cleaned_data, request_acting(request)
    app = _application(form)
    if method == "bank_card":
        return do_start_bank_card(person, enterprise, app, data["card_number"], data["bank_phone"], acting=acting)
    if method == "licence":
        return do_submit_licence(
            person, enterprise, app, upload_bytes(data["licence"], _("营业执照/单位证件")), acting=acting
        )
    return do_verify_legal_rep_phone(person, enterprise, app, data["phone"], data["code"], acting=acting)


def _after(request: HttpRequest, enterprise: Enterprise, attempt: VerificationAttempt) -> HttpResponse | None:
    detail = reverse("identity:enterprise_detail", args=[enterprise.pk])
    if attempt.succeeded:
        messages.success(request, _("企业实名认证成功。"))
        return redirect(detail)
    if attempt.is_pending and attempt.method == Method.BANK_CARD:
        return redirect(reverse("identity:enterprise_deposit", args=[enterprise.pk, attempt.pk]))
    if attempt.is_pending:
        messages.info(request, _("认证资料已提交，请等待人工审核（一般1–2个工作日）。"))
        return redirect(detail)
    return None


@portal_login_required
@require_http_methods(["GET", "POST"])
def enterprise_verify(request: HttpRequest, pk: int) -> HttpResponse:
    person = current_person(request)
    enterprise = admin_enterprise_for(person, pk)
    method = request.POST.get("method") or request.GET.get("method") or "legal_rep_phone"
    if method not in METHOD_TITLES:
        method = "legal_rep_phone"
    initial = {
        "name": enterprise.name,
        "enterprise_type": enterprise.enterprise_type,
        "uscc": enterprise.uscc,
        "legal_rep_name": enterprise.legal_rep_name,
    }
    form = EnterpriseVerificationForm(request.POST or None, request.FILES or None, initial=initial)
    error, status, blocked = "", 200, ""
    try:
        check_can_verify_enterprise(person, enterprise)
    except DomainError as exc:
        blocked, status = str(exc.message), exc.status
    if request.method == "POST" and not blocked:
        status = 400
        if form.is_valid():
            try:
                attempt = _submit(request, person, enterprise, method, form)
            except DomainError as exc:
                error, status = str(exc.message), exc.status
            else:
                response = _after(request, enterprise, attempt)
                if response is not None:
                    return response
                error = attempt.reason
    context = page_context(
        enterprise=enterprise,
        form=form,
        method=method,
        methods=METHOD_TITLES,
        error=error,
        blocked=blocked,
        person_verified=person.is_verified,
        checked=request.POST.getlist("agreements"),
    )
    return render(request, "identity/enterprise_verify.html", context, status=status)


@portal_login_required
@require_POST
def enterprise_code(request: HttpRequest, pk: int) -> JsonResponse:
    person = current_person(request)
    enterprise = admin_enterprise_for(person, pk)
    send_legal_rep_code(
        person,
        enterprise,
        request.POST.get("phone", ""),
        acting=request_acting(request),
        legal_rep_id_number=request.POST.get("legal_rep_id_number", ""),
    )
    return JsonResponse({"sent": True, "message": _("验证码及授权短信已发送至法定代表人手机，5分钟内有效。")})


def _deposit_attempt(person: Person, enterprise: Enterprise, attempt_pk: int) -> VerificationAttempt:
    attempt = attempt_for(person, attempt_pk)
    if attempt.enterprise_id != enterprise.pk or attempt.method != Method.BANK_CARD:
        raise NotFound(_("认证记录不存在。"))
    return attempt


@portal_login_required
@require_http_methods(["GET", "POST"])
def enterprise_deposit(request: HttpRequest, pk: int, attempt_pk: int) -> HttpResponse:
    person = current_person(request)
    enterprise = admin_enterprise_for(person, pk)
    attempt = _deposit_attempt(person, enterprise, attempt_pk)
    form = DepositForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                attempt = do_confirm_micro_deposit(
                    person, attempt.pk, form.cleaned_data["amount"], acting=request_acting(request)
                )
            except DomainError as exc:
                error, status = str(exc.message), exc.status
            else:
                if attempt.succeeded:
                    messages.success(request, _("打款金额验证通过，企业实名认证成功。"))
                else:
                    messages.error(request, attempt.reason)
                return redirect(reverse("identity:enterprise_detail", args=[enterprise.pk]))
    attempt.refresh_from_db()
    return render(
        request,
        "identity/enterprise_deposit.html",
        page_context(
            enterprise=enterprise,
            attempt=attempt,
            deposit=attempt.micro_deposit,
            form=form,
            error=error,
            max_tries=settings.IDENTITY_DEPOSIT_MAX_TRIES,
        ),
        status=status,
    )


# --- 成员角色 and 三权分立 (the administrator's member management, accounts.duties) ------------------


@portal_login_required
@require_POST
def enterprise_member_duties(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """The administrator sets one member's seal duties (the checked boxes are the whole set)."""
    enterprise = managed_enterprise_for(current_person(request), pk)
    member = member_of(enterprise, member_pk)
    detail = reverse("identity:enterprise_detail", args=[enterprise.pk]) + "#members"
    require_step_up(request)  # a change of who may use the seals, like the seal changes themselves
    try:
        do_set_member_duties(member, request.POST.getlist("duties"), acting=request_acting(request))
    except DomainError as exc:
        if exc.status != 400:
            raise
        messages.error(request, str(exc.message))
        return redirect(detail)
    messages.success(request, _("已保存%(name)s的角色。") % {"name": member.person})
    return redirect(detail)


@portal_login_required
@require_POST
def enterprise_separation(request: HttpRequest, pk: int) -> HttpResponse:
    """The administrator turns 三权分立 on or off."""
    enterprise = managed_enterprise_for(current_person(request), pk)
    on = request.POST.get("on") == "1"
    require_step_up(request)
    do_set_separation_of_duties(enterprise, on, acting=request_acting(request))
    messages.success(request, _("已开启三权分立。") if on else _("已关闭三权分立。"))
    return redirect(reverse("identity:enterprise_detail", args=[enterprise.pk]) + "#members")
