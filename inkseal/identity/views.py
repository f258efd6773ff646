"""Personal verification pages (实名认证) and the phone's H5 recording page. Thin: validate the
form, call a service, render. Every refusal is a DomainError shown in the page with its status."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.models import Person
from inkseal.accounts.services import person_actor
from inkseal.core.acting import Acting, Actor
from inkseal.core.errors import DomainError, NotFound
from inkseal.core.http import wants_json
from inkseal.core.masking import mask_name
from inkseal.identity import imagecheck
from inkseal.identity.agreements import AGREEMENTS, BY_SLUG, consent_notice
from inkseal.identity.errors import UploadTooLarge, VerificationInvalid, image_message
from inkseal.identity.forms import FaceVerificationForm, PhoneVerificationForm
from inkseal.identity.models import Method, VerificationAttempt
from inkseal.identity.providers import any_sandbox
from inkseal.identity.services import (
    FaceStart,
    attempt_for,
    check_face_request,
    do_open_face_link,
    do_refuse_face_link,
    do_renew_face_link,
    do_start_face,
    do_submit_face_video,
    do_verify_by_phone,
    face_link_for,
    face_progress,
    personal_attempts,
    record_consent_refused,
    send_verification_code,
)


def request_acting(request: HttpRequest) -> Acting:
    """The logged-in person acting (anonymous on the phone's face-link pages: the service then
    names the attempt's person), from the request's address and identity."""
    person = getattr(request, "person", None)
    return Acting.from_request(request, person_actor(person) if person is not None else Actor("anonymous"))


def current_person(request: HttpRequest) -> Person:
    person: Person = request.person  # type: ignore[attr-defined]
    return person


def upload_bytes(upload: UploadedFile | None, label: str) -> bytes | None:
    """The uploaded image's bytes; refuses oversized files before reading them."""
    if upload is None:
        return None
    if (upload.size or 0) > imagecheck.MAX_BYTES:
        too_large = imagecheck.ImageTooLarge(
            limit_mb=imagecheck.MAX_BYTES // 1048576, size_mb=round((upload.size or 0) / 1048576, 1)
        )
        raise VerificationInvalid(image_message(label, too_large))
    return upload.read()


def page_context(**extra: Any) -> dict[str, Any]:
    return {"agreements": AGREEMENTS, "identity_sandbox": any_sandbox(), **extra}


# --- overview and 手机号认证 ------------------------------------------------------------------------


@portal_login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    person = current_person(request)
    return render(
        request, "identity/overview.html", page_context(profile=person, attempts=personal_attempts(person), nav="")
    )


@portal_login_required
@require_POST
def phone_code(request: HttpRequest) -> JsonResponse:
    send_verification_code(current_person(request), acting=request_acting(request))
    return JsonResponse({"sent": True, "message": _("验证码已发送至您的手机，5分钟内有效。")})


@portal_login_required
@require_http_methods(["GET", "POST"])
def phone(request: HttpRequest) -> HttpResponse:
    person = current_person(request)
    form = PhoneVerificationForm(request.POST or None, request.FILES or None, initial={"name": person.name})
    error, status = "", 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                attempt = do_verify_by_phone(
                    person,
                    data["name"],
                    data["id_type"],
                    data["id_number"],
                    data["code"],
                    data["agreements"],
                    acting=request_acting(request),
                    document=upload_bytes(data["document"], _("证件照片")),
                )
            except DomainError as exc:
                error, status = str(exc.message), exc.status
            else:
                if attempt.succeeded:
                    messages.success(request, _("认证成功：您已完成个人实名认证。"))
                    return redirect(reverse("identity:overview"))
                if attempt.is_pending:
                    messages.info(request, _("证件资料已提交，审核通过后即完成实名认证。"))
                    return redirect(reverse("identity:overview"))
                error = attempt.reason
    return render(
        request,
        "identity/phone.html",
        page_context(form=form, error=error, profile=person, checked=request.POST.getlist("agreements")),
        status=status,
    )


# --- 人脸认证 (desktop) ----------------------------------------------------------------------------


def _qr_page(request: HttpRequest, start: FaceStart) -> HttpResponse:
    link = request.build_absolute_uri(reverse("identity:h5_face", args=[start.token]))
    qr = segno.make(link, error="m").svg_inline(scale=5, dark="#222")
    return _face_page(request, start.attempt, qr=qr, link=link)


def _face_page(request: HttpRequest, attempt: VerificationAttempt, **extra: Any) -> HttpResponse:
    return render(
        request,
        "identity/face_qr.html",
        page_context(
            attempt=attempt,
            progress=face_progress(attempt),
            masked_name=mask_name(attempt.name),
            ttl_minutes=max(1, settings.IDENTITY_FACE_LINK_TTL // 60),
            **extra,
        ),
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def face(request: HttpRequest) -> HttpResponse:
    """The form, then the consent notice (同意/拒绝同意), then the QR code."""
    person = current_person(request)
    form = FaceVerificationForm(request.POST or None, initial={"name": person.name})
    context = page_context(
        form=form, profile=person, checked=request.POST.getlist("agreements"), notice=consent_notice()
    )
    if request.method != "POST":
        return render(request, "identity/face.html", context)
    if not form.is_valid():
        return render(request, "identity/face.html", context, status=400)
    data, acting = form.cleaned_data, request_acting(request)
    decision = request.POST.get("decision", "")
    try:
        if decision == "refuse":
            record_consent_refused(person, acting=acting)
            context["refused"] = True
            return render(request, "identity/face.html", context)
        check_face_request(person, data["name"], data["id_number"], data["liveness"], data["agreements"])
        if decision != "agree":
            return render(request, "identity/face_consent.html", context)
        start = do_start_face(
            person, data["name"], data["id_number"], data["liveness"], data["agreements"], acting=acting
        )
    except DomainError as exc:
        context["error"] = str(exc.message)
        return render(request, "identity/face.html", context, status=exc.status)
    return _qr_page(request, start)


def _face_attempt(request: HttpRequest, pk: int) -> VerificationAttempt:
    attempt = attempt_for(current_person(request), pk)
    if attempt.method != Method.FACE or attempt.enterprise_id:
        raise NotFound(_("认证记录不存在。"))
    return attempt


@portal_login_required
@require_GET
def face_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    return _face_page(request, _face_attempt(request, pk))


@portal_login_required
@require_POST
def face_renew(request: HttpRequest, pk: int) -> HttpResponse:
    return _qr_page(request, do_renew_face_link(current_person(request), pk, acting=request_acting(request)))


@never_cache
@portal_login_required
@require_GET
def face_status(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _face_attempt(request, pk)
    return render(request, "identity/_face_status.html", {"progress": face_progress(attempt), "attempt": attempt})


# --- the phone (H5) page: no login, the one-time token is the key -----------------------------------


@never_cache
@require_GET
def h5_face(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = face_link_for(token)
    except DomainError as exc:
        return render(request, "identity/h5_result.html", {"error": exc}, status=exc.status)
    do_open_face_link(link, acting=request_acting(request))
    attempt = link.attempt
    return render(
        request,
        "identity/h5_face.html",
        page_context(
            attempt=attempt,
            token=token,
            masked_name=mask_name(attempt.name),
            notice=consent_notice(),
            blink=attempt.details.get("liveness") == "blink",
            max_bytes=settings.IDENTITY_FACE_VIDEO_MAX_BYTES,
        ),
    )


def _h5_answer(request: HttpRequest, status: int, message: str, succeeded: bool = False, **extra: Any) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"succeeded": succeeded, "message": message, **extra}, status=status)
    return render(request, "identity/h5_result.html", {"message": message, "succeeded": succeeded}, status=status)


def _save_upload(upload: UploadedFile, target: Any) -> int:
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > settings.IDENTITY_FACE_VIDEO_MAX_BYTES:
            break  # the service refuses it by size; no need to keep copying
        target.write(chunk)
    target.flush()
    return max(size, upload.size or 0)


@require_POST
def h5_face_video(request: HttpRequest, token: str) -> HttpResponse:
    limit = settings.IDENTITY_FACE_VIDEO_MAX_BYTES
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 1024 * 1024:
            raise UploadTooLarge(_("视频文件过大（上限%(mb)dMB），请录制2~3秒的视频。") % {"mb": limit // 1048576})
        upload = request.FILES.get("video")
        if upload is None:
            raise VerificationInvalid(_("请先录制2~3秒人像视频再上传。"))
        with tempfile.NamedTemporaryFile(prefix="inkseal-face-", suffix=".video") as handle:
            size = _save_upload(upload, handle)
            attempt = do_submit_face_video(
                token, Path(handle.name), size, request.POST.get("consent") == "agree", acting=request_acting(request)
            )
    except DomainError as exc:
        return _h5_answer(request, exc.status, str(exc.message), error=exc.code)
    if attempt.succeeded:
        return _h5_answer(request, 200, _("认证成功"), succeeded=True, state=attempt.state)
    return _h5_answer(request, 200, attempt.reason, state=attempt.state)


@require_POST
def h5_face_refuse(request: HttpRequest, token: str) -> HttpResponse:
    try:
        attempt = do_refuse_face_link(token, acting=request_acting(request))
    except DomainError as exc:
        return _h5_answer(request, exc.status, str(exc.message))
    return _h5_answer(request, 200, attempt.reason, state=attempt.state)


@require_GET
def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    chosen = BY_SLUG.get(slug)
    if chosen is None:
        raise Http404
    return render(request, "identity/agreement.html", {"agreement": chosen})
