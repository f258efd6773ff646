"""印章管理 pages. Thin: every seal comes through the `seal_for` gate, every change through services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import CurrentIdentity, identity_of
from inkseal.accounts.models import Duty
from inkseal.accounts.services import request_acting
from inkseal.accounts.stepup import require_step_up, step_up_context
from inkseal.core.acting import Acting
from inkseal.core.errors import DomainError
from inkseal.core.http import wants_json
from inkseal.identity.services import require_identity_verified
from inkseal.pki.services import certificate_for
from inkseal.seals import services
from inkseal.seals.errors import VoidNotConfirmed
from inkseal.seals.forms import NewSealForm
from inkseal.seals.imports import MAX_UPLOAD_BYTES
from inkseal.seals.models import Seal, SealType, SealUsage
from inkseal.seals.services.approvals import seal_approvals

PAGE_SIZE = 10


def _page(request: HttpRequest, usages: QuerySet[SealUsage]) -> Page[SealUsage]:
    return Paginator(usages, PAGE_SIZE).get_page(request.GET.get("page"))


def _page_query(**params: str) -> str:
    """The list's query string without the page number, ready for "page=N" to be appended."""
    kept = {key: value for key, value in params.items() if value}
    return urlencode(kept) + "&" if kept else ""


def _with_bindings(seals: QuerySet[Seal]) -> list[dict[str, Any]]:
    return [{"seal": seal, "bindings": services.seal_bindings(seal)} for seal in seals]


@portal_login_required
@require_GET
def seal_list(request: HttpRequest) -> HttpResponse:
    """印章管理: 可用印章 (or the 作废印章记录 tab) and their usage records."""
    identity = identity_of(request)
    void_tab = request.GET.get("tab") == "void"
    search = request.GET.get("q", "")
    live = services.live_seals(identity.party).select_related("created_by")
    context = {
        "nav": "seals",
        "tab": "void" if void_tab else "live",
        "live_seals": _with_bindings(live),
        "void_seals": services.void_seals(identity.party) if void_tab else None,
        "usages": _page(request, services.usages_for(identity.party, void=void_tab, search=search))
        if identity.reads_records
        else None,
        "reads_records": identity.reads_records,
        "can_approve": identity.is_enterprise and identity.holds(Duty.APPROVER),
        "can_set_approvals": identity.is_enterprise and identity.is_admin,
        "search": search,
        "page_query": _page_query(tab="void" if void_tab else "", q=search),
        "missing_types": services.missing_types(identity),
        "can_manage": identity.holds(Duty.SEAL_ADMIN),
        **step_up_context(request),
    }
    return render(request, "seals/list.html", context)


@portal_login_required
@require_GET
def seal_detail(request: HttpRequest, seal_id: int) -> HttpResponse:
    """印章详情: 可用, 待变更 and 作废 seals alike, with their usage records."""
    identity = identity_of(request)
    seal = services.seal_for(identity, seal_id)
    search = request.GET.get("q", "")
    usages = services.seal_usages(seal, search)
    bindings = services.seal_bindings(seal)
    context = {
        "nav": "seals",
        "seal": seal,
        "bindings": bindings,
        "void_choice": [{"seal": seal, "bindings": bindings}],
        "usages": _page(request, usages) if identity.reads_records else None,
        # 用印审批: requests and decisions on this seal, part of its usage records (newest 50)
        "approvals": list(seal_approvals(seal)[:50]) if identity.reads_records else None,
        "reads_records": identity.reads_records,
        "search": search,
        "page_query": _page_query(q=search),
        "can_manage": identity.holds(Duty.SEAL_ADMIN),
        **step_up_context(request),
    }
    return render(request, "seals/detail.html", context)


@portal_login_required
@require_GET
def seal_image(request: HttpRequest, seal_id: int) -> HttpResponse:
    seal = services.seal_for(identity_of(request), seal_id)
    response = HttpResponse(services.seal_image_bytes(seal), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="seal-{seal.pk}-{seal.kind}.png"'
    return response


@portal_login_required
@require_POST
def seal_void(request: HttpRequest) -> HttpResponse:
    """作废, after the confirmation dialog (which shows any certificate binding)."""
    identity = identity_of(request)
    seal = services.seal_for(identity, request.POST.get("seal", ""))
    if request.POST.get("confirm") != "1":
        raise VoidNotConfirmed()
    require_step_up(request)
    bindings = services.do_void_seal(identity, seal, acting=request_acting(request))
    message = _("%(type)s已作废。") % {"type": seal.get_kind_display()}
    if bindings:
        message += _("该印章绑定的证书（%(certs)s）将无法再使用此印章签章。") % {"certs": "、".join(bindings)}
    messages.success(request, message)
    return redirect(reverse("portal:seals") + "?tab=void")


def _new_seal_types(identity: CurrentIdentity, replaces: Seal | None) -> list[SealType]:
    return [SealType(replaces.kind)] if replaces is not None else services.missing_types(identity)


@portal_login_required
@require_http_methods(["GET", "POST"])
def seal_new(request: HttpRequest) -> HttpResponse:
    """新增印章 (and 修改/变更 with ?replace=<id>): template, upload or handwriting."""
    identity = identity_of(request)
    services.check_manage(identity)
    require_identity_verified(identity)
    replace_id = request.POST.get("replace") or request.GET.get("replace")
    replaces = services.seal_for(identity, replace_id) if replace_id else None
    types = _new_seal_types(identity, replaces)
    initial = _initial(request.GET.get("type", ""), types, replaces)
    form = NewSealForm(request.POST or None, request.FILES or None, types=types, initial=initial)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            require_step_up(request)
            try:
                seal = _make(identity, form.cleaned_data, request_acting(request), replaces)
            except DomainError as exc:
                error = str(exc.message)
            else:
                messages.success(request, _("%(type)s制作成功。") % {"type": seal.get_kind_display()})
                return redirect(reverse("seals:detail", args=[seal.pk]))
        else:
            error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    context = {
        "nav": "seals",
        "form": form,
        "types": types,
        "replaces": replaces,
        "error": error,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        **step_up_context(request),
    }
    return render(request, "seals/new.html", context, status=400 if request.method == "POST" else 200)


def _initial(wanted: str, types: list[SealType], replaces: Seal | None) -> dict[str, Any]:
    """Form defaults: red template seals, black ink; a replacement starts from the old seal's style."""
    kinds = [t.value for t in types]
    initial: dict[str, Any] = {
        "kind": wanted if wanted in kinds else (kinds[0] if kinds else ""),
        "method": "template",
        "style": "square",
        "color": "red",
        "border": "single",
        "ink": "black",
    }
    if replaces is not None:
        initial["color" if replaces.kind != SealType.HANDWRITING else "ink"] = replaces.color
        initial["border"] = replaces.border
        initial["style"] = "strip" if replaces.template_kind == "name_strip" else "square"
        initial["with_lower_text"] = bool(replaces.lower_text)
        initial["lower_text"] = replaces.lower_text
        initial["method"] = "upload" if replaces.source == "upload" else "template"
    return initial


def _make(identity: CurrentIdentity, data: dict[str, Any], acting: Acting, replaces: Seal | None) -> Seal:
    seal_type = data["kind"]
    if seal_type == SealType.HANDWRITING:
        signature = _read(data.get("signature"))
        return services.do_make_handwriting(identity, signature, acting=acting, color=data["ink"], replaces=replaces)
    if data["method"] == "upload":
        return services.do_upload_seal(
            identity,
            seal_type,
            _read(data.get("image")),
            acting=acting,
            color=data["color"],
            risk_acknowledged=data["risk_acknowledged"],
            replaces=replaces,
        )
    options = services.TemplateOptions(
        style=data["style"],
        color=data["color"],
        border=data["border"],
        lower_text=data["lower_text"],
        texture=data["texture"],
    )
    return services.do_make_template_seal(identity, seal_type, options, acting=acting, replaces=replaces)


def _read(upload: UploadedFile | None) -> bytes:
    """The upload's bytes (b"" when none), one byte past the limit at most (the size check reports it)."""
    return bytes(upload.read(MAX_UPLOAD_BYTES + 1)) if upload is not None else b""


# --- 绑定印章 on the certificate page (posted from pki's certificate detail) --------------------


def _binding_change(request: HttpRequest, certificate_id: int, bind: bool) -> HttpResponse:
    identity = identity_of(request)
    certificate = certificate_for(identity, certificate_id)  # 404 for anyone else's
    seal = services.seal_for(identity, request.POST.get("seal", ""))
    detail = reverse("pki:detail", args=[certificate.pk])
    try:
        if bind:
            services.do_bind_seal_for_holder(identity, seal, certificate, acting=request_acting(request))
        else:
            services.do_unbind_seal_for_holder(identity, seal, certificate, acting=request_acting(request))
    except DomainError as exc:
        if wants_json(request) or exc.status in (403, 404):
            raise
        messages.error(request, str(exc.message))
        return redirect(detail)
    done = _("已绑定%(type)s。") if bind else _("已解除%(type)s的绑定。")
    messages.success(request, done % {"type": seal.get_kind_display()})
    return redirect(detail)


@portal_login_required
@require_POST
def seal_bind(request: HttpRequest, certificate_id: int) -> HttpResponse:
    return _binding_change(request, certificate_id, bind=True)


@portal_login_required
@require_POST
def seal_unbind(request: HttpRequest, certificate_id: int) -> HttpResponse:
    return _binding_change(request, certificate_id, bind=False)
