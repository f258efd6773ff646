"""应用记录 (signing records): the identity's list with search and dates, and one record's detail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.identity import identity_of
from inkseal.accounts.services import request_acting
from inkseal.evidence import reports as evidence_reports
from inkseal.signing.records import services as records
from inkseal.signing.records.ses import electronic_signatures_of
from inkseal.signing.selfservice import services as selfservice


@portal_login_required
@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:64]
    rows = records.records_of(identity_of(request).party, query)
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    return render(request, "signing/record_list.html", {"nav": "records", "page": page, "query": query})


@portal_login_required
@require_GET
def record_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    identity = identity_of(request)
    row = records.record_for(identity.party, event_id)
    context = {
        "nav": "records",
        "record": row,
        "electronic_signatures": electronic_signatures_of(row),
        "signed_file": selfservice.signed_file_for(identity, row),
    }
    return render(request, "signing/record_detail.html", context)


@portal_login_required
@require_POST
def record_report(request: HttpRequest, event_id: str) -> HttpResponse:
    """下载签署报告: the evidence report of one of the identity's records (404 for anyone else's),
    in the page's language; each issue is logged (a POST: it writes a log leaf and an audit row)."""
    row = records.record_for(identity_of(request).party, event_id)
    issued = evidence_reports.issue_report(
        evidence_reports.subject_of_record(row), acting=request_acting(request), language=request.LANGUAGE_CODE
    )
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issued.filename}"'
    return response
