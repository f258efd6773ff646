"""Sign flows on OFD documents and on documents that are already locked: three experts in one step
then the chair seal an OFD (told by its content, like a sign task's), each seal a continue-signing
signature on the current version, every one intact in our verifier and the independent check;
a PDF certified "no changes" or an OFD whose seal protects Signatures.xml is refused at creation
with nothing stored."""

from __future__ import annotations

import hashlib
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from pyhanko.sign.fields import MDPPerm

from inkseal.audit import events
from inkseal.audit.models import AuditEntry
from inkseal.pki.algorithms import SM2
from inkseal.signing.core.ofd.model import document as ofd_document
from inkseal.signing.core.ofd.package import open_package
from inkseal.signing.core.ofd.verify import verify_ofd
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.models import SignFlow, SigningRecord, SignTask
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, text_pdf
from tests.signing.conftest import pki, seal  # noqa: F401
from tests.signing.flow_support import Expert, confirm_by_pin, create_flow, flow_spec, link_token, make_experts
from tests.signing.ofd import independent
from tests.signing.test_ofd_api import HELLO, bad_ofds, point, seal_through_the_api, sm2_signing  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def ofd_flow_spec(experts: list[Expert], steps: list[int]) -> dict[str, Any]:
    """Each signer's seal at a place of its own on page 1 (millimetres from the top left)."""
    spec = flow_spec(experts, steps=steps)
    for index, signer in enumerate(spec["signers"]):
        signer["placements"] = [point(x=30 + (index % 2) * 60, y=40 + (index // 2) * 60)]
    return spec


def _get(signing: Signing, flow_id: str, token: str) -> dict[str, Any]:
    response = signing.client.get(f"/api/v1/sign-flows/{flow_id}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_three_experts_then_the_chair_seal_an_ofd(sm2_signing: Signing) -> None:  # noqa: F811
    experts = make_experts(sm2_signing, 4, algorithm=SM2)
    token = sm2_signing.token()
    # the name says nothing: the content (a ZIP with OFD.xml) makes it an OFD
    created = create_flow(sm2_signing, ofd_flow_spec(experts, [1, 1, 1, 2]), [("评标报告", HELLO)], token=token)
    assert created.status_code == 201, created.content
    flow = created.json()
    links = [link_token(s["confirm_url"]) for s in flow["signers"][:3]]
    for link in (links[2], links[0], links[1]):
        done = confirm_by_pin(sm2_signing.client, link)
        assert done.status_code == 200 and done.json()["status"] == "signed", done.content

    shown = _get(sm2_signing, flow["id"], token)
    assert shown["documents"][0]["signatures"] == 3
    chair = link_token(shown["signers"][3]["confirm_url"])
    # the chair's page previews the current OFD version: its page picture is drawn from the
    # version with the three experts' seals (different from the original's)
    page = sm2_signing.client.get(f"/sign/flow/{chair}")
    assert page.status_code == 200 and page.content.decode().count("已签署") >= 3
    picture = sm2_signing.client.get(f"/sign/flow/{chair}/documents/1/pages/1.png")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png", picture.content[:200]

    done = confirm_by_pin(sm2_signing.client, chair)
    assert done.status_code == 200 and done.json()["flow_status"] == "signed", done.content
    final = _get(sm2_signing, flow["id"], token)
    download = sm2_signing.client.get(
        f"/api/v1/sign-flows/{flow['id']}/documents/1", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert download.status_code == 200 and download["Content-Type"] == "application/ofd"
    assert "%E8%AF%84%E6%A0%87%E6%8A%A5%E5%91%8A.ofd" in download["Content-Disposition"]
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == final["documents"][0]["sha256"]

    # four SES seals, each by its signer, every one valid: a seal's references leave out
    # Signatures.xml, the only file a later seal changes besides adding its own
    report = verify_ofd(data)
    assert len(report.signatures) == 4, report
    assert [s.status for s in report.signatures] == ["valid"] * 4, report
    assert all(s.type == "Seal" and s.kind == "ses" for s in report.signatures)
    assert len(ofd_document(open_package(data)).signatures) == 4
    checks = independent.check(data)
    assert len(checks) == 4
    for check in checks:
        assert check.signature_intact and check.kind == "ses" and check.changed == [], check

    # one record per signer, each sealing the version the previous one left
    records = list(SigningRecord.objects.filter(task__flow_signer__flow__public_id=flow["id"]).order_by("at"))
    assert [r.result for r in records] == ["success"] * 4
    assert {r.certificate_serial for r in records} == {e.serial for e in experts}  # four signers' certificates
    assert records[0].sha256_before == final["documents"][0]["sha256_original"]
    assert all(a.sha256_after == b.sha256_before for a, b in itertools.pairwise(records))
    assert records[-1].sha256_after == final["documents"][0]["sha256"]


def test_an_rsa_signer_is_refused_for_an_ofd_flow(sm2_signing: Signing) -> None:  # noqa: F811
    experts = make_experts(sm2_signing, 2)  # RSA: GB/T 38540 seals are SM2 only
    response = create_flow(sm2_signing, ofd_flow_spec(experts, [1, 1]), [("report.ofd", HELLO)])
    assert response.status_code in (409, 422), response.content
    assert response.json()["error"] == "ofd_certificate_not_sm2"
    assert not SignFlow.objects.exists() and not SignTask.objects.exists()


def test_a_flow_on_a_locked_ofd_is_refused_and_stores_nothing(sm2_signing: Signing) -> None:  # noqa: F811
    locked = seal_through_the_api(sm2_signing, HELLO, [point()], ofd_protect_all=True)
    tasks = SignTask.objects.count()
    experts = make_experts(sm2_signing, 2, algorithm=SM2)
    response = create_flow(sm2_signing, ofd_flow_spec(experts, [1, 1]), [("locked.ofd", locked)])
    assert response.status_code == 409, response.content
    assert response.json()["error"] == "ofd_locked" and response.json()["message"]
    assert not SignFlow.objects.exists() and SignTask.objects.count() == tasks


def test_a_flow_on_a_pdf_certified_no_changes_is_refused_and_stores_nothing(
    signing: Signing,
    pki: Any,  # noqa: F811
    seal: Any,  # noqa: F811
) -> None:
    locked = sign_pdf(
        io.BytesIO(text_pdf()),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 300, 200))],
        pades_level="B-B",
        docmdp=MDPPerm.NO_CHANGES,
    )
    experts = make_experts(signing, 2)
    response = create_flow(signing, flow_spec(experts), [("certified.pdf", locked)])
    assert response.status_code == 409, response.content
    assert response.json()["error"] == "pdf_locked"
    assert "锁定" in response.json()["message"]
    assert not SignFlow.objects.exists() and not SignTask.objects.exists()


def test_pdf_flows_are_unchanged_by_the_format_check(signing: Signing, tmp_path: Path) -> None:
    experts = make_experts(signing, 1)
    created = create_flow(signing, flow_spec(experts), [("report.ofd", text_pdf())])  # a PDF named .ofd
    assert created.status_code == 201, created.content
    done = confirm_by_pin(signing.client, link_token(created.json()["signers"][0]["confirm_url"]))
    assert done.status_code == 200 and done.json()["flow_status"] == "signed", done.content
    flow = created.json()
    download = signing.client.get(
        f"/api/v1/sign-flows/{flow['id']}/documents/1", HTTP_AUTHORIZATION=f"Bearer {signing.token()}"
    )
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("case", ["malformed", "traversal", "zip_bomb", "off_page"])
def test_bad_ofd_flows_are_refused_and_store_nothing(sm2_signing: Signing, settings: Any, case: str) -> None:  # noqa: F811
    experts = make_experts(sm2_signing, 2, algorithm=SM2)
    spec = ofd_flow_spec(experts, [1, 2])
    if case == "off_page":
        data, status, code = HELLO, 400, "placement_off_page"
        spec["signers"][1]["placements"] = [point(x=5)]  # a 42 mm seal centred 5 mm from the left edge
    else:
        data, status, code = bad_ofds()[case]
    response = create_flow(sm2_signing, spec, [("report.ofd", data)])
    assert response.status_code == status, response.content
    assert response.json()["error"] == code and response.json()["message"]
    assert not SignFlow.objects.exists() and not SignTask.objects.exists()
    assert not list(Path(settings.STORAGES["default"]["OPTIONS"]["location"]).rglob("*.ofd"))
    audited = list(AuditEntry.objects.filter(event=events.OFD_HOSTILE_PACKAGE).values_list("target", flat=True))
    assert audited == (["sign_flow.create"] if code in ("ofd_zip_bomb", "ofd_unsafe_path") else [])
