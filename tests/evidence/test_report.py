"""The evidence report (签署报告): made for a signed task, signed by the platform, carrying its
evidence as an embedded JSON file, logged at each issue, and checked offline by both verifiers
(`inkseal evidence verify` and the standalone tools/verify_evidence.py), which catch every
tampering the issue lists."""

from __future__ import annotations

from typing import Any

import pytest

from inkseal.core.acting import Acting
from inkseal.evidence.reports import issue_report, subject_of_task
from inkseal.signing.models import SignTask
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import sign_through_api, text_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tsa(ca_hierarchy):  # noqa: F811
    pass


def test_smoke(signing: Any, tmp_path):
    signed = sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    task = SignTask.objects.get()
    issued = issue_report(subject_of_task(task), acting=Acting.system())
    (tmp_path / "r.pdf").write_bytes(issued.pdf)
    open("/tmp/ev/report2.pdf", "wb").write(issued.pdf)
    open("/tmp/ev/signed.pdf", "wb").write(signed)
    from django.core.management import call_command
    import io
    out = io.StringIO()
    try:
        call_command("evidence", "verify", "/tmp/ev/report2.pdf", "--document", "/tmp/ev/signed.pdf", stdout=out)
    finally:
        print(out.getvalue())

