"""应用记录 (signing records): the identity's list with search and dates, and one record's detail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.duties import require_records_reader
from inkseal.accounts.identity import identity_of
from inkseal.signing.records import services as records
from inkseal.signing.records.ses import electronic_signatures_of
from inkseal.signing.selfservice import services as selfservice


@portal_login_required
@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:64]
    require_records_reader(identity_of(request))  # 三权分立: auditors only (accounts.duties)
    rows = records.records_of(identity_of(request).party, query)
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    return render(request, "signing/record_list.html", {"nav": "records", "page": page, "query": query})


@portal_login_required
@require_GET
def record_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    identity = identity_of(request)
    require_records_reader(identity)
    row = records.record_for(identity.party, event_id)
    context = {
        "nav": "records",
        "record": row,
        "electronic_signatures": electronic_signatures_of(row),
        "signed_file": selfservice.signed_file_for(identity, row),
    }
    return render(request, "signing/record_detail.html", context)
