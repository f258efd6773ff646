"""Sandbox-only pages showing the SMS outbox. They answer 404 unless INKSEAL_SANDBOX is on."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inkseal.notify.models import SmsMessage


def _outbox(request: HttpRequest) -> list[SmsMessage]:
    if not settings.SANDBOX:
        raise Http404
    messages = SmsMessage.objects.all()
    phone = request.GET.get("phone", "").strip()
    if phone:
        messages = messages.filter(phone=phone)
    return list(messages[:100])


@require_GET
def sms_page(request: HttpRequest) -> HttpResponse:
    return render(
        request, "notify/sms.html", {"messages_sent": _outbox(request), "phone": request.GET.get("phone", "")}
    )


@require_GET
def sms_json(request: HttpRequest) -> JsonResponse:
    rows = [
        {"phone": m.phone, "purpose": m.purpose, "body": m.body, "sent_at": m.created_at.isoformat()}
        for m in _outbox(request)
    ]
    return JsonResponse({"sandbox": True, "messages": rows})
