"""我的项目 → 投标文件: upload a bid PDF or OFD, have it signed at Inkseal, receive it by callback.

Flow: the bidder uploads a PDF or an OFD (GB/T 33190; sealed with GB/T 38540 seals, SM2 certificates
only) and picks one of their authorised certificates; 签章 makes the
portal (server side) create a sign task with its client credentials (Idempotency-Key = the bid's
id) and sends the browser to the task's confirm_url. Inkseal POSTs the result to
/signing/callback (HMAC-SHA256 over "<t>.<body>"); the portal then fetches the signed PDF. 刷新状态
asks Inkseal directly, for when the callback is late.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import secrets
import time
import zipfile
from typing import Any

import pypdfium2 as pdfium
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from lxml import etree

from examples.procurement_portal import demo, inkseal_api
from examples.procurement_portal.inkseal_api import InksealError
from examples.procurement_portal.models import Bid, Bidder

log = logging.getLogger(__name__)

KEYWORD = "盖章处"
PROJECTS: dict[str, dict[str, str]] = {
    "JH-CG-2026-0417": {"name": "2026 年度劳保用品集中采购项目", "method": "公开招标", "deadline": "2026-12-20 09:30"},
    "JH-CG-2026-0512": {"name": "信息化设备及配套服务采购项目", "method": "竞争性谈判", "deadline": "2026-12-28 14:00"},
}
SEAL_NAMES = {
    "official": "公章",
    "legal_representative": "法定代表人章",
    "contract": "合同专用章",
    "finance": "财务专用章",
    "name": "人名章",
    "handwriting": "手写签名",
}
SEAL_GAP = 110.0  # points between the centres of the main seal and the 法定代表人章 next to it
SEAL_GAP_MM = 40.0  # the same in an OFD, whose placements are in millimetres from the top left
OFD_MAGIC = b"PK\x03\x04"  # OFD files are ZIP packages
MAX_OFD_XML = 8 * 1024 * 1024  # the portal reads OFD.xml, Document.xml and page contents, each at most this


# --- certificates and placements --------------------------------------------------------------


def certificate_label(entry: dict[str, Any]) -> str:
    kind = "企业证书" if entry.get("kind") == "enterprise" else "个人证书"
    algorithm = str(entry.get("algorithm", "")).split("-")[0].upper()
    return f"{entry['holder']}（{kind} · {algorithm}，序列号 {entry['serial'][:8]}…）"


def seal_types_for(entry: dict[str, Any]) -> list[str]:
    """Enterprise: 公章 + 法定代表人章; personal: 人名章 (whatever of these is bound)."""
    available: list[str] = list(entry.get("seal_types") or [])
    wanted = ["official", "legal_representative"] if entry.get("kind") == "enterprise" else ["name"]
    chosen = [kind for kind in wanted if kind in available]
    return chosen or available[:1]


def analyse_pdf(data: bytes) -> tuple[int, tuple[int, float, float, float] | None, tuple[float, float]]:
    """(pages, (page, x, y, page width) of the first 盖章处 or None, size of page 1)."""
    pdf = pdfium.PdfDocument(data)
    try:
        pages = len(pdf)
        if pages == 0:
            raise ValueError("no pages")
        first = pdf[0]
        size = first.get_size()
        first.close()
        for index in range(pages):
            page = pdf[index]
            text = page.get_textpage()
            try:
                hit = text.search(KEYWORD, match_case=True).get_next()
                if hit is not None:
                    boxes = [text.get_charbox(i) for i in range(hit[0], hit[0] + hit[1])]
                    x = (min(b[0] for b in boxes) + max(b[2] for b in boxes)) / 2
                    y = (min(b[1] for b in boxes) + max(b[3] for b in boxes)) / 2
                    return pages, (index + 1, x, y, page.get_width()), size
            finally:
                text.close()
                page.close()
        return pages, None, size
    finally:
        pdf.close()


_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _ofd_xml(archive: zipfile.ZipFile, name: str) -> etree._Element:
    info = archive.getinfo(name.lstrip("/"))
    if info.file_size > MAX_OFD_XML:
        raise ValueError(f"{name} is too large")
    data = archive.read(info)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError(f"{name} declares a DTD")
    return etree.fromstring(data, _XML)


def _local(element: etree._Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def analyse_ofd(data: bytes) -> tuple[int, tuple[int, float, float, float] | None, tuple[float, float]]:
    """What analyse_pdf says, for an OFD (millimetres): (pages, (page, x, y, page width) of the
    first 盖章处 or None, size of page 1). The portal only reads what it needs to choose the
    placements; Inkseal checks the package itself (and refuses a bad one with an `ofd_*` code)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = _ofd_xml(archive, "OFD.xml")
    doc_root = next(e for e in root.iter() if _local(e) == "DocRoot").text or ""
    doc_dir = doc_root.strip().lstrip("/").rpartition("/")[0]
    document = _ofd_xml(archive, doc_root.strip())
    box = next((e.text for e in document.iter() if _local(e) == "PhysicalBox"), None) or "0 0 210 297"
    width, height = (float(v) for v in box.split()[2:4])
    pages = [e.get("BaseLoc", "") for e in document.iter() if _local(e) == "Page"]
    if not pages:
        raise ValueError("no pages")
    for number, location in enumerate(pages, start=1):
        name = location.lstrip("/") if location.startswith("/") else f"{doc_dir}/{location}".lstrip("/")
        text = "".join(e.text or "" for e in _ofd_xml(archive, name).iter() if _local(e) == "TextCode")
        if KEYWORD in text:
            return len(pages), (number, 0.0, 0.0, width), (width, height)
    return len(pages), None, (width, height)


def ofd_placements_for(
    seal_types: list[str], anchor: tuple[int, float, float, float] | None, size: tuple[float, float], cross_page: bool
) -> tuple[list[dict[str, Any]], str]:
    """placements_for in an OFD's unit: millimetres from the page's top left, y downwards."""
    main, *others = seal_types
    if anchor is not None:
        placements: list[dict[str, Any]] = [{"seal_type": main, "keyword": KEYWORD, "occurrence": "first"}]
        placements += [
            {"seal_type": kind, "keyword": KEYWORD, "occurrence": "first", "offset": [SEAL_GAP_MM * n, 0]}
            for n, kind in enumerate(others, start=1)
        ]
        note = f"关键字“{KEYWORD}”处（第 {anchor[0]} 页）"
    else:
        width, height = size
        x = max(width - 35 - SEAL_GAP_MM * len(others), 25)
        placements = [
            {"seal_type": kind, "page": 1, "x": x + SEAL_GAP_MM * n, "y": height - 50}
            for n, kind in enumerate(seal_types)
        ]
        note = f"未找到“{KEYWORD}”，盖在第 1 页右下方"
    if cross_page:
        placements.append({"seal_type": main, "cross_page": True})
        note += "；加盖骑缝章"
    return placements, note


def placements_for(
    seal_types: list[str], anchor: tuple[int, float, float, float] | None, size: tuple[float, float], cross_page: bool
) -> tuple[list[dict[str, Any]], str]:
    main, *others = seal_types
    if anchor is not None:
        page, x, _, width = anchor
        direction = 1 if x + SEAL_GAP + 40 < width else -1
        placements: list[dict[str, Any]] = [
            {"seal_type": main, "keyword": KEYWORD, "occurrence": "first", "offset": [0, 0]}
        ]
        placements += [
            {"seal_type": kind, "keyword": KEYWORD, "occurrence": "first", "offset": [direction * SEAL_GAP * n, 0]}
            for n, kind in enumerate(others, start=1)
        ]
        note = f"关键字“{KEYWORD}”处（第 {page} 页）"
    else:
        width, _ = size
        x = max(width - 100 - SEAL_GAP * len(others), 80)
        placements = [
            {"seal_type": kind, "page": 1, "x": x + SEAL_GAP * n, "y": 130} for n, kind in enumerate(seal_types)
        ]
        note = f"未找到“{KEYWORD}”，盖在第 1 页右下方"
    if cross_page:
        placements.append({"seal_type": main, "cross_page": True})
        note += "；加盖骑缝章"
    return placements, note


# --- pages -----------------------------------------------------------------------------------


class BidForm(forms.Form):
    file = forms.FileField(label="投标文件（PDF 或 OFD）")
    certificate = forms.ChoiceField(label="签章证书", widget=forms.RadioSelect)
    cross_page = forms.BooleanField(label="加盖骑缝章", required=False)

    def __init__(self, *args: Any, certificates: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.certificates = certificates
        field = self.fields["certificate"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(entry["serial"], certificate_label(entry)) for entry in certificates]
        if certificates:
            field.initial = (
                next((e["serial"] for e in certificates if e.get("kind") == "enterprise"), None)
                or (certificates[0]["serial"])
            )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.FILE_UPLOAD_MAX_BYTES:
            raise forms.ValidationError("文件过大：投标文件不能超过 20 MB。")
        data = upload.read()
        self.is_ofd = data.startswith(OFD_MAGIC)
        if self.is_ofd:
            try:
                self.analysis = analyse_ofd(data)
            except (zipfile.BadZipFile, KeyError, StopIteration, ValueError, etree.XMLSyntaxError):
                raise forms.ValidationError("无法读取该 OFD 文件（文件损坏或不是 OFD 文件）。")
        elif not data.startswith(b"%PDF-"):
            raise forms.ValidationError("请上传 PDF 或 OFD 格式的投标文件。")
        else:
            try:
                self.analysis = analyse_pdf(data)
            except (pdfium.PdfiumError, ValueError):
                raise forms.ValidationError("无法读取该 PDF 文件（文件损坏或已加密）。")
        self.data_bytes = data
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        analysis = getattr(self, "analysis", None)
        if cleaned.get("cross_page") and analysis is not None and analysis[0] < 2:
            self.add_error("cross_page", "骑缝章需要至少 2 页的文件。")
        entry = next((e for e in self.certificates if e["serial"] == cleaned.get("certificate")), None)
        if (
            getattr(self, "is_ofd", False)
            and entry is not None
            and not str(entry.get("algorithm", "")).startswith("sm2")
        ):
            self.add_error("certificate", "OFD 投标文件须使用 SM2（国密）证书签章，请选择 SM2 证书。")
        return cleaned


def _bidder(request: HttpRequest) -> Bidder:
    bidder = getattr(request.user, "bidder", None)
    if bidder is None:
        raise Http404("not a bidder")
    return bidder


def _certificates(bidder: Bidder) -> tuple[list[dict[str, Any]], str]:
    try:
        return demo.certificates_for(bidder.phone), ""
    except (RuntimeError, KeyError) as exc:
        return [], str(exc)


@login_required
@require_GET
def projects(request: HttpRequest) -> HttpResponse:
    bidder = _bidder(request)
    rows = []
    for code, project in PROJECTS.items():
        bids = list(Bid.objects.filter(bidder=bidder, project=code))
        rows.append({"code": code, **project, "bids": len(bids), "latest": bids[0] if bids else None})
    return render(request, "portal_demo/projects.html", {"rows": rows})


@login_required
def project(request: HttpRequest, code: str) -> HttpResponse:
    if code not in PROJECTS:
        raise Http404("no such project")
    bidder = _bidder(request)
    certificates, problem = _certificates(bidder)
    form = BidForm(request.POST or None, request.FILES or None, certificates=certificates)
    if request.method == "POST":
        if form.is_valid():
            bid = _create_bid(bidder, code, form, certificates)
            messages.success(request, f"投标文件 {bid.filename} 已上传，请点击“签章”。")
            return redirect(f"/projects/{code}/#bid-{bid.pk}")
    elif request.method != "GET":
        return HttpResponse(status=405)
    bids = Bid.objects.filter(bidder=bidder, project=code)
    context = {
        "code": code,
        "project": PROJECTS[code],
        "form": form,
        "bids": bids,
        "certificates": certificates,
        "problem": problem,
        "seal_names": SEAL_NAMES,
    }
    return render(request, "portal_demo/project.html", context)


def _create_bid(bidder: Bidder, code: str, form: BidForm, certificates: list[dict[str, Any]]) -> Bid:
    entry = next(e for e in certificates if e["serial"] == form.cleaned_data["certificate"])
    pages, anchor, size = form.analysis
    seal_types = seal_types_for(entry)
    plan = ofd_placements_for if form.is_ofd else placements_for
    placements, note = plan(seal_types, anchor, size, form.cleaned_data["cross_page"])
    data: bytes = form.data_bytes
    extension = "ofd" if form.is_ofd else "pdf"
    name = (form.cleaned_data["file"].name or f"投标文件.{extension}").replace("/", "_")[-120:]
    bid = Bid(
        bidder=bidder,
        project=code,
        number=f"TB{timezone.localtime():%Y%m%d}-{secrets.token_hex(4).upper()}",
        filename=name,
        pages=pages,
        sha256=hashlib.sha256(data).hexdigest(),
        certificate_serial=entry["serial"],
        certificate_label=certificate_label(entry),
        seal_types=seal_types,
        cross_page=form.cleaned_data["cross_page"],
        placements=placements,
        placement_note=note,
    )
    bid.original.save(f"{bid.number}.{extension}", ContentFile(data), save=False)
    bid.save()
    return bid


def _own_bid(request: HttpRequest, pk: int) -> Bid:
    return get_object_or_404(Bid, pk=pk, bidder=_bidder(request))


def _back(bid: Bid) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"/projects/{bid.project}/#bid-{bid.pk}")


def sign_spec(bid: Bid) -> dict[str, Any]:
    entry = next((e for e in demo.certificates_for(bid.bidder.phone) if e["serial"] == bid.certificate_serial), None)
    if entry is None:
        raise InksealError("该证书已不再授权给本平台，请重新上传并选择其他证书。")
    return {
        "signer": {"certificate_serial": bid.certificate_serial},
        "confirmer": {"phone": entry["authorised_person"]["phone"]},
        "documents": [{"file": 0, "placements": bid.placements}],
        "pades_level": "B-T",
        "business_type": "投标文件",
        "business_id": bid.number,
        "callback_url": f"{settings.PORTAL_BASE_URL}/signing/callback",
        "return_url": f"{settings.PORTAL_BASE_URL}/projects/{bid.project}/#bid-{bid.pk}",
    }


@login_required
@require_POST
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    """签章: create (or find again, same Idempotency-Key) the sign task and go to confirm_url."""
    bid = _own_bid(request, pk)
    if bid.status in (Bid.Status.SIGNED, Bid.Status.SIGNING):
        messages.info(request, f"投标文件 {bid.filename} {bid.get_status_display()}。")
        return _back(bid)
    if bid.attempt == 0 or (bid.status == Bid.Status.FAILED and bid.task_id):
        # A new task (a new Idempotency-Key); otherwise the same key finds the pending task again.
        bid.attempt, bid.task_id = bid.attempt + 1, ""
    try:
        task = inkseal_api.create_sign_task([(bid.filename, bid.original.read())], sign_spec(bid), bid.idempotency_key)
    except InksealError as exc:
        bid.error = str(exc)
        bid.save(update_fields=["attempt", "task_id", "error"])
        messages.error(request, str(exc))
        return _back(bid)
    finally:
        bid.original.close()
    bid.task_id, bid.error = task["id"], ""
    bid.save(update_fields=["attempt", "task_id", "error"])
    apply_task(bid.pk, task)
    bid.refresh_from_db()
    if task.get("status") == "pending" and task.get("confirm_url"):
        return HttpResponseRedirect(task["confirm_url"])
    messages.info(request, f"签章任务状态：{bid.get_status_display()}。")
    return _back(bid)


@login_required
@require_POST
def refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """刷新状态: ask Inkseal (GET /api/v1/sign-tasks/{id}) in case the callback is late."""
    bid = _own_bid(request, pk)
    if not bid.task_id:
        messages.info(request, "尚未发起签章。")
        return _back(bid)
    try:
        apply_task(bid.pk, inkseal_api.get_sign_task(bid.task_id))
    except InksealError as exc:
        messages.error(request, str(exc))
        return _back(bid)
    bid.refresh_from_db()
    messages.success(request, f"已刷新：{bid.filename} {bid.get_status_display()}。")
    return _back(bid)


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    bid = _own_bid(request, pk)
    if not bid.signed:
        raise Http404("not signed yet")
    content_type = "application/ofd" if bid.is_ofd else "application/pdf"
    return FileResponse(
        bid.signed.open("rb"), as_attachment=True, filename=bid.signed_filename, content_type=content_type
    )


# --- the task's outcome (callback and polling) ---------------------------------------------------

STATUS_OF_TASK = {
    "pending": Bid.Status.PENDING,
    "signing": Bid.Status.SIGNING,
    "completed": Bid.Status.SIGNED,
    "failed": Bid.Status.FAILED,
    "expired": Bid.Status.FAILED,  # never confirmed in time: 重新签章 starts a new task
}


def apply_task(bid_pk: int, task: dict[str, Any], *, callback: bool = False) -> None:
    """Record the task's status; when completed, fetch and keep the signed PDF (once)."""
    bid = Bid.objects.get(pk=bid_pk)
    status = str(task.get("status", ""))
    signed: tuple[bytes, str] | None = None
    if status == "completed" and not bid.signed:
        document = next((d for d in task.get("documents", []) if d.get("n") == 1), None)
        if document is None or document.get("status") != "completed":
            raise InksealError("签章任务已完成，但没有签章后的文件。")
        data, announced = inkseal_api.get_signed_document(bid.task_id, 1)
        digest = hashlib.sha256(data).hexdigest()
        expected = [value for value in (announced, document.get("sha256"), document.get("sha256_after")) if value]
        magic = OFD_MAGIC if bid.is_ofd else b"%PDF-"
        if not data.startswith(magic) or any(value != digest for value in expected):
            raise InksealError("下载的签章文件与电子签章平台公布的摘要不符。")
        signed = data, digest
    with transaction.atomic():
        bid = Bid.objects.select_for_update(no_key=True).get(pk=bid_pk)
        now = timezone.now()
        bid.task_status = status
        bid.checked_at = now
        if callback:
            bid.callback_at = now
        if bid.status != Bid.Status.SIGNED:
            bid.status = STATUS_OF_TASK.get(status, bid.status)
            failure = task.get("failure") or {}
            bid.error = str(failure.get("message") or failure.get("code") or "") if status == "failed" else ""
            if status == "expired":
                bid.error = "签章确认链接已过期，请重新签章。"
        if signed is not None and not bid.signed:
            bid.signed.save(f"{bid.number}-signed.{bid.extension}", ContentFile(signed[0]), save=False)
            bid.signed_sha256, bid.signed_at = signed[1], now
        bid.save()


def check_signature(secret: str, header: str, body: bytes, now: float | None = None) -> int:
    """0 when the X-Inkseal-Signature header is valid and fresh; else the HTTP status to answer."""
    parts = dict(item.strip().split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return 400
    if abs((now or time.time()) - timestamp) > settings.CALLBACK_TOLERANCE_SECONDS:
        return 401
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return 0 if hmac.compare_digest(expected, given) else 401


@csrf_exempt
@require_POST
def callback(request: HttpRequest) -> JsonResponse:
    """Inkseal's callback: verified, then the signed PDF is fetched with the API and kept."""
    api = demo.api()
    header = request.headers.get(api.get("callback_signature_header", "X-Inkseal-Signature"), "")
    refused = check_signature(api["callback_secret"], header, request.body)
    if refused:
        reason = "malformed signature header" if refused == 400 else "bad or stale signature"
        return JsonResponse({"error": reason}, status=refused)
    try:
        body = json.loads(request.body)
        task_id = str(body["id"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "body is not a sign-task event"}, status=400)
    bid = Bid.objects.filter(task_id=task_id).first()
    if bid is None:
        return JsonResponse({"error": "unknown task"}, status=404)
    try:
        # The callback says what happened; the authoritative copy comes from the API.
        apply_task(bid.pk, inkseal_api.get_sign_task(task_id), callback=True)
    except InksealError as exc:
        log.warning("callback for %s: %s", task_id, exc)
        return JsonResponse({"error": str(exc)}, status=502)  # Inkseal retries later
    return JsonResponse({"ok": True, "bid": bid.number})
