"""The audit log and the transparency log do not protect the same facts independently: for signing,
certificate and seal events the log holds the public fact and the audit row the private context,
and `inkseal log verify` checks that every such audit row has its leaf (docs/evidence.md)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from inkseal.audit import events
from inkseal.audit.services import Actor, record
from inkseal.evidence.services import issue_checkpoint
from inkseal.evidence.verify import AuditUnlogged, verify_audit_links
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import sign_through_api, text_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tsa(ca_hierarchy):  # noqa: F811
    pass


def test_every_audit_row_of_a_logged_event_has_its_leaf(signing: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    issue_checkpoint()
    assert verify_audit_links() >= 2  # the certificate's issuance and the signing at least
    out = io.StringIO()
    call_command("log", "verify", stdout=out)
    assert "audit entries of logged events each have their leaf" in out.getvalue()


def test_an_audit_row_for_a_signing_the_log_does_not_know_is_caught(signing: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    forged = record(events.SIGNING_SIGN, actor=Actor.system(), target="sign_task:T1", data={"event_id": "f" * 32})
    with pytest.raises(AuditUnlogged, match=f"audit entry #{forged.seq} .* has no transparency-log leaf"):
        verify_audit_links()
    with pytest.raises(CommandError, match="audit log and transparency log disagree"):
        call_command("log", "verify", stdout=io.StringIO())
