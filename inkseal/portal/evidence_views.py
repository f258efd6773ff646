"""下载签署报告 on 应用详情: the evidence report of one of the identity's records. Here in the portal
(not in signing's record views) because the report is typeset with the portal's PDF layout."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from inkseal.accounts.decorators import portal_login_required
from inkseal.accounts.duties import require_records_reader
from inkseal.accounts.identity import identity_of
from inkseal.accounts.services import request_acting
from inkseal.evidence import reports
from inkseal.signing.records import services as records


@portal_login_required
@require_POST
def record_report(request: HttpRequest, event_id: str) -> HttpResponse:
    """The report of a record of the current identity (404 for anyone else's), in the page's
    language; a POST, because each issue writes a log leaf and an audit row."""
    identity = identity_of(request)
    require_records_reader(identity)  # 三权分立: as 应用详情 itself (accounts.duties)
    row = records.record_for(identity.party, event_id)
    issued = reports.issue_report(
        reports.subject_of_record(row), acting=request_acting(request), language=request.LANGUAGE_CODE
    )
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issued.filename}"'
    return response
