"""OFD (GB/T 33190) documents through the platform: POST /api/v1/sign-tasks with .ofd files beside
PDFs, sealed with GB/T 38540 seals at confirmation, the records, downloads and callbacks, and
POST /api/v1/verify, the /verify/ page and `inkseal verify` on OFD files."""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from inkseal.audit import events
from inkseal.audit.models import AuditEntry
from inkseal.evidence.models import LogLeaf
from inkseal.pki.algorithms import SM2
from inkseal.seals.models import SealType, SealUsage
from inkseal.signing.core.ofd import sign as ofd_sign
from inkseal.signing.core.ofd.model import document as ofd_document
from inkseal.signing.core.ofd.package import open_package
from inkseal.signing.core.ofd.placement import keyword_placements
from inkseal.signing.core.ofd.sign import StampPlacement, seal_ofd
from inkseal.signing.core.ofd.signature_xml import read_signature_file
from inkseal.signing.models import CallbackDelivery, ElectronicSignature, SigningRecord, SignTask
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401
from tests.signing.api_support import (
    Signing,
    confirm_token,
    make_signing,
    signing_media,  # noqa: F401
    sms_code,
    text_pdf,
)
from tests.signing.ofd import independent
from tests.signing.ofd.test_ofd_corpus import EXPECTED as CORPUS_EXPECTED

CORPUS = Path("/work/shared/corpus/ofd")
HELLO = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
FIVE_PAGES = (CORPUS / "unsigned" / "layout-Page5.ofd").read_bytes()
KEYWORDS = (CORPUS / "unsigned" / "reader-multiKeywordInTextCode.ofd").read_bytes()
COMPANY = "国密OFD科技有限公司"


@pytest.fixture
def sm2_signing(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Signing:  # noqa: F811
    """An enterprise with an SM2 cloud certificate, a bound 公章 and 合同专用章, and a platform
    authorised to use it."""
    return make_signing(
        verified_person,
        verified_enterprise,
        algorithm=SM2,
        company=COMPANY,
        seal_kinds=(SealType.OFFICIAL, SealType.CONTRACT),
        platform_name="国密交易平台",
        platform_code="sm2ofd",
        callback_url="http://platform.test/cb",
    )


def ofd_spec(signing: Signing, documents: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return signing.spec(documents=documents, callback_url="", **extra)


def point(page: int = 1, x: float = 105, y: float = 150, seal_type: str = "official") -> dict[str, Any]:
    return {"seal_type": seal_type, "page": page, "x": x, "y": y}


def create_and_confirm(
    signing: Signing, files: list[tuple[str, bytes]], spec: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """(task id, bearer token, the confirm answer) of a task created and confirmed over HTTP."""
    token = signing.token()
    created = signing.create(files, spec, token=token)
    assert created.status_code == 201, created.content
    body = created.json()
    confirm = confirm_token(body["confirm_url"])
    assert signing.client.post(f"/api/v1/confirm/{confirm}/code").status_code == 200
    done = signing.client.post(
        f"/api/v1/confirm/{confirm}",
        {"method": "sms", "code": sms_code(signing.client)},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    return body["id"], token, done.json()


def download(signing: Signing, task_id: str, token: str, n: int = 1) -> Any:
    response = signing.client.get(f"/api/v1/sign-tasks/{task_id}/documents/{n}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return response


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def seal_through_the_api(signing: Signing, data: bytes, placements: list[dict[str, Any]], **extra: Any) -> bytes:
    task_id, token, done = create_and_confirm(
        signing, [("bid.ofd", data)], ofd_spec(signing, [{"file": 0, "placements": placements}], **extra)
    )
    assert done["status"] == "completed", done
    return body_of(download(signing, task_id, token))


@pytest.mark.django_db
def test_an_sm2_task_seals_an_ofd_and_a_pdf(sm2_signing: Signing) -> None:
    spec = ofd_spec(
        sm2_signing,
        [
            {"file": 0, "placements": [point()]},
            {"file": 1, "placements": [{"seal_type": "official", "page": 1, "x": 400, "y": 120}]},
        ],
    )
    task_id, token, done = create_and_confirm(sm2_signing, [("投标文件", HELLO), ("bid.pdf", text_pdf())], spec)
    assert done["status"] == "completed", done
    ofd = download(sm2_signing, task_id, token, 1)
    assert ofd["Content-Type"] == "application/ofd"
    assert ofd["Content-Disposition"].endswith(".ofd")
    signed = body_of(ofd)
    pdf = download(sm2_signing, task_id, token, 2)
    assert pdf["Content-Type"] == "application/pdf"
    (check,) = independent.check(signed)
    assert check.changed == [] and check.signature_intact, check


def post_verify(data: bytes, name: str = "signed.ofd") -> Any:
    return Client().post("/api/v1/verify", {"file": SimpleUploadedFile(name, data, "application/octet-stream")})


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_verdicts_through_the_verify_api(name: str) -> None:
    response = post_verify((CORPUS / "signed" / name).read_bytes(), name)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["format"] == "ofd"
    got = [(s["kind"], s["status"], tuple(s["changed"])) for s in body["signatures"]]
    assert got == CORPUS_EXPECTED[name]
    # none of the corpus' CAs is ours or trusted here: intact is not enough to be valid
    assert body["all_valid"] is False
    assert all(s["trusted"] is False and s["ca"]["issued_here"] is False for s in body["signatures"])


@pytest.mark.django_db
def test_our_seal_verifies_in_the_api_the_page_and_the_cli(sm2_signing: Signing, tmp_path: Path) -> None:
    signed = seal_through_the_api(sm2_signing, HELLO, [point()])
    response = post_verify(signed, "bid.ofd")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["all_valid"] is True and body["modified_after_signing"] is False, body
    (signature,) = body["signatures"]
    certificate = sm2_signing.certificate
    assert signature["status"] == "valid" and signature["trusted"] is True and signature["valid"] is True
    assert signature["certificate"]["serial_hex"] == certificate.serial
    assert signature["ca"]["issued_here"] is True and signature["ca"]["organization"] == certificate.ca_name
    assert signature["signer"] == certificate.common_name
    assert signature["kind"] == "ses" and signature["version"] == 4 and "v4" in signature["signature_format"]
    assert signature["ses"]["seal"]["name"] and signature["ses"]["seal"]["maker"]["subject"]
    assert signature["signing_time"] and signature["timestamp_time"]  # our SM2 TSA stamped it
    assert all(step["status"] == "passed" for step in signature["steps"]), signature["steps"]
    assert signature["seal_image"].startswith("data:image/png;base64,")

    page = Client().post("/verify/", {"file": SimpleUploadedFile("bid.ofd", signed)})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="verify-summary" data-valid="true"' in html and 'data-status="valid"' in html

    path = tmp_path / "bid.ofd"
    path.write_bytes(signed)
    out = io.StringIO()
    call_command("verify", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["signatures"][0]["status"] == "valid"
    out = io.StringIO()
    call_command("verify", str(path), stdout=out)
    report = out.getvalue()
    seal_name = signature["ses"]["seal"]["name"]
    assert "全部签章有效（1）" in report and seal_name in report and certificate.serial in report, report
    assert "Sign_0/Signature.xml: 有效" in report and f"签署人: {certificate.common_name}" in report


def numbers(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split())


def stamp_annots(data: bytes) -> list[list[Any]]:
    """Per signature of the (first) document: its StampAnnots as (page ID, Boundary, Clip)."""
    package = open_package(data)
    out = []
    for entry in ofd_document(package).signatures:
        signature = read_signature_file(package, entry.location)
        out.append([(s.page_ref, numbers(s.boundary), numbers(s.clip) if s.clip else None) for s in signature.stamps])
    return out


def verify_body(data: bytes) -> dict[str, Any]:
    response = post_verify(data)
    assert response.status_code == 200, response.content
    return dict(response.json())


@pytest.mark.django_db
def test_keyword_placement_in_ofd_text(sm2_signing: Signing) -> None:
    signed = seal_through_the_api(
        sm2_signing, KEYWORDS, [{"seal_type": "official", "keyword": "哈哈", "occurrence": "all", "offset": [0, 5]}]
    )
    package = open_package(KEYWORDS)
    expected = keyword_placements(
        package, ofd_document(package), "哈哈", width_mm=42, height_mm=42, occurrence="all", offset=(0, 5)
    )
    (stamps,) = stamp_annots(signed)  # one signature, a StampAnnot on every occurrence
    assert len(stamps) == len(expected) > 1
    for (_, boundary, clip), placement in zip(stamps, expected, strict=True):
        assert boundary == pytest.approx((placement.x_mm, placement.y_mm, 42, 42), abs=1e-3) and clip is None
    (check,) = independent.check(signed)
    assert check.changed == [] and check.signature_intact
    assert verify_body(signed)["all_valid"] is True


@pytest.mark.django_db
def test_keyword_missing_from_the_ofd_is_refused_at_creation(sm2_signing: Signing) -> None:
    spec = ofd_spec(sm2_signing, [{"file": 0, "placements": [{"seal_type": "official", "keyword": "不存在的词"}]}])
    response = sm2_signing.create([("bid.ofd", HELLO)], spec)
    assert response.status_code == 400 and response.json()["error"] == "placement_keyword_not_found", response.content
    assert not SignTask.objects.exists()


@pytest.mark.django_db
def test_riding_seal_over_every_page(sm2_signing: Signing) -> None:
    signed = seal_through_the_api(sm2_signing, FIVE_PAGES, [{"seal_type": "official", "cross_page": True, "y": 100}])
    (stamps,) = stamp_annots(signed)  # one signature, one clipped StampAnnot per page
    assert len(stamps) == 5
    doc = ofd_document(open_package(FIVE_PAGES))
    for index, ((page_ref, boundary, clip), page) in enumerate(zip(stamps, doc.pages, strict=True)):
        page_width = page.box[2]
        assert page_ref == page.id and clip == pytest.approx((42 / 5 * index, 0, 42 / 5, 42), abs=1e-3)
        # the visible slice is at the right edge, centred 100 mm down
        assert boundary[0] + clip[0] + clip[2] == pytest.approx(page_width, abs=1e-3)
        assert boundary[1] == pytest.approx(100 - 21, abs=1e-3)
    (check,) = independent.check(signed)
    assert check.changed == [] and check.signature_intact
    assert verify_body(signed)["all_valid"] is True


@pytest.mark.django_db
def test_two_seals_are_two_signatures_with_records_usages_and_a_log_leaf(sm2_signing: Signing) -> None:
    placements = [point(1, 60, 200), point(1, 150, 200, seal_type="contract")]
    task_id, token, done = create_and_confirm(
        sm2_signing, [("投标文件.ofd", HELLO)], ofd_spec(sm2_signing, [{"file": 0, "placements": placements}])
    )
    assert done["status"] == "completed", done
    signed = body_of(download(sm2_signing, task_id, token))
    checks = independent.check(signed)
    assert len(checks) == 2 and all(c.changed == [] and c.signature_intact for c in checks)
    body = verify_body(signed)
    assert [s["status"] for s in body["signatures"]] == ["valid", "valid"] and body["all_valid"] is True
    names = [s["ses"]["seal"]["name"] for s in body["signatures"]]
    assert len(set(names)) == 2  # the 公章's and the 合同专用章's electronic seals

    (record,) = SigningRecord.objects.filter(task__public_id=task_id)
    assert record.result == SigningRecord.Result.SUCCESS and record.file_name == "投标文件.ofd"
    assert record.sha256_before == hashlib.sha256(HELLO).hexdigest()
    assert record.sha256_after == hashlib.sha256(signed).hexdigest()
    assert record.seal_types == "公章、合同专用章" and record.intent_method == "sms"
    usages = SealUsage.objects.filter(event_id=record.event_id)
    assert sorted(u.seal.kind for u in usages) == sorted([SealType.OFFICIAL, SealType.CONTRACT])
    assert all(u.document_name == "投标文件.ofd" for u in usages)
    (leaf,) = [leaf for leaf in LogLeaf.objects.filter(kind="signing.record") if record.event_id in leaf.body]
    assert json.loads(leaf.body)["event"]["document"]["sha256_after"] == record.sha256_after
    assert ElectronicSignature.objects.filter(record=record).count() == 2


@pytest.mark.django_db
def test_protect_all_locks_and_a_later_signature_is_reported(sm2_signing: Signing, monkeypatch: Any) -> None:
    locked = seal_through_the_api(sm2_signing, HELLO, [point()], ofd_protect_all=True)
    package = open_package(locked)
    listing = ofd_document(package).signatures_entry
    (entry,) = ofd_document(package).signatures
    assert listing in {r.entry for r in read_signature_file(package, entry.location).references}
    assert verify_body(locked)["all_valid"] is True

    # the platform refuses a seal that would break the lock, before anything is stored
    tasks = SignTask.objects.count()
    refused = sm2_signing.create(
        [("locked.ofd", locked)], ofd_spec(sm2_signing, [{"file": 0, "placements": [point()]}])
    )
    assert refused.status_code == 409 and refused.json()["error"] == "ofd_locked", refused.content
    assert SignTask.objects.count() == tasks

    # software that ignores the lock signs again: the first signature's protected Signatures.xml changed
    monkeypatch.setattr(ofd_sign, "_check_not_locked", lambda *args: None)
    pki = sm2_signing.certificate
    from inkseal.seals.ses_services import electronic_seals_for_signing
    from inkseal.signing.tasks.signers import cached_seal_signer

    seal = sm2_signing.seals[SealType.OFFICIAL]
    (electronic,) = electronic_seals_for_signing(pki, [seal])
    later = seal_ofd(
        locked,
        seal_der=bytes(electronic.der),
        signer=cached_seal_signer(pki),
        placements=[StampPlacement(1, 20, 20)],
    )
    body = verify_body(later)
    first, second = body["signatures"]
    assert first["status"] == "cosigned" and first["changed"] == [listing] and first["valid"] is False
    assert any(listing in message for message in first["messages"])
    assert second["status"] == "valid"
    assert body["all_valid"] is False


@pytest.fixture
def rsa(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Signing:  # noqa: F811
    return make_signing(verified_person, verified_enterprise, platform_code="rsaofd")


@pytest.mark.django_db
def test_rsa_certificates_are_refused_for_ofd(rsa: Signing) -> None:
    response = rsa.create([("bid.ofd", HELLO)], rsa.spec(documents=[{"file": 0, "placements": [point()]}]))
    assert response.status_code == 422, response.content
    assert response.json()["error"] == "ofd_certificate_not_sm2" and "SM2" in response.json()["message"]
    assert not SignTask.objects.exists()
    # the same certificate still signs PDFs
    assert rsa.create([("bid.pdf", text_pdf())], rsa.spec()).status_code == 201


@pytest.mark.django_db
def test_the_confirm_page_previews_ofd_pages_with_their_seals(sm2_signing: Signing) -> None:
    spec = ofd_spec(
        sm2_signing,
        [
            {"file": 0, "placements": [point(), {"seal_type": "official", "cross_page": True}]},
            {"file": 1, "placements": [{"seal_type": "official", "page": 1, "x": 400, "y": 120}]},
        ],
    )
    created = sm2_signing.create([("bid.ofd", FIVE_PAGES), ("bid.pdf", text_pdf())], spec)
    assert created.status_code == 201, created.content
    page = sm2_signing.client.get(created.json()["confirm_url"])
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("/documents/1/pages/") == 5  # the OFD's five pages, drawn by core.ofd.render
    assert html.count('class="seal-preview') == 1 + 5 + 1  # the point seal, a slice per page, the PDF's seal
    assert "/documents/2/pages/1.png" in html  # the PDF keeps its page previews
    token = confirm_token(created.json()["confirm_url"])
    picture = sm2_signing.client.get(f"/sign/confirm/{token}/documents/1/pages/1.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")


@pytest.mark.django_db(transaction=True)
def test_the_callback_points_at_the_signed_ofd(sm2_signing: Signing) -> None:
    spec = ofd_spec(sm2_signing, [{"file": 0, "placements": [point()]}])
    spec["callback_url"] = "http://platform.test/cb"
    task_id, token, done = create_and_confirm(sm2_signing, [("bid", HELLO)], spec)
    assert done["status"] == "completed"
    (delivery,) = CallbackDelivery.objects.filter(task__public_id=task_id)
    (document,) = json.loads(delivery.body)["documents"]
    assert document["url"].endswith(f"/api/v1/sign-tasks/{task_id}/documents/1")
    response = download(sm2_signing, task_id, token)
    assert response["Content-Type"] == "application/ofd"
    assert response["Content-Disposition"] == "attachment; filename*=UTF-8''bid.ofd"
    assert hashlib.sha256(body_of(response)).hexdigest() == document["sha256"]


def zip_of(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(out, "w", compression) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return out.getvalue()


def hello_entries() -> list[tuple[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(HELLO))
    return [(name, archive.read(name)) for name in archive.namelist()]


def bad_ofds() -> dict[str, tuple[bytes, int, str]]:
    """name -> (upload, HTTP status, code)."""
    entries = hello_entries()
    return {
        "truncated": (HELLO[: len(HELLO) // 2], 400, "ofd_truncated"),
        "not_ofd": (zip_of([("readme.txt", b"hello")]), 400, "ofd_not_ofd"),
        "malformed": (zip_of([(n, b"<ofd:OFD" if n == "OFD.xml" else d) for n, d in entries]), 400, "ofd_malformed"),
        "dtd": (
            zip_of([(n, b'<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>' if n == "OFD.xml" else d) for n, d in entries]),
            400,
            "ofd_malformed",
        ),
        "traversal": (zip_of([*entries, ("../../etc/evil.xml", b"<x/>")]), 400, "ofd_unsafe_path"),
        "absolute": (zip_of([*entries, ("/etc/evil.xml", b"<x/>")]), 400, "ofd_unsafe_path"),
        "duplicate": (zip_of([*entries, ("OFD.xml", entries[-1][1])]), 400, "ofd_duplicate_entry"),
        "zip_bomb": (zip_of([*entries, ("Doc_0/Res/bomb.bin", bytes(64 * 1024 * 1024))]), 413, "ofd_zip_bomb"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(bad_ofds()))
def test_bad_ofd_uploads_are_refused_and_nothing_is_stored(sm2_signing: Signing, settings: Any, case: str) -> None:
    data, status, code = bad_ofds()[case]
    spec = ofd_spec(sm2_signing, [{"file": 0, "placements": [point()]}, {"file": 1, "placements": [point()]}])
    response = sm2_signing.create([("good.ofd", HELLO), ("bid.ofd", data)], spec)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code and re.search(r"[\u4e00-\u9fff]", body["message"]), body
    assert not SignTask.objects.exists()
    assert not list(Path(settings.STORAGES["default"]["OPTIONS"]["location"]).rglob("*.ofd"))
    # the verifier refuses it the same way
    verified = post_verify(data, "bid.ofd")
    assert verified.status_code == status and verified.json()["error"] == code, verified.content
    # packages built to attack their reader are security events, audited at both doors
    audited = AuditEntry.objects.filter(event=events.OFD_HOSTILE_PACKAGE)
    hostile = code in ("ofd_zip_bomb", "ofd_unsafe_path", "ofd_duplicate_entry")
    assert sorted(audited.values_list("target", flat=True)) == (["sign_task.create", "verify"] if hostile else [])
    assert all(entry.data["code"] == code for entry in audited)


@pytest.mark.django_db
def test_ofd_protect_all_must_be_a_boolean(sm2_signing: Signing) -> None:
    """The option is read again at signing from the stored spec: "true" as a string is refused
    now rather than read one way here and another way there."""
    spec = ofd_spec(sm2_signing, [{"file": 0, "placements": [point()]}], ofd_protect_all="true")
    response = sm2_signing.create([("bid.ofd", HELLO)], spec)
    assert response.status_code == 400 and response.json()["error"] == "spec_invalid", response.content
    assert "ofd_protect_all" in response.json()["message"]


@pytest.mark.django_db
def test_an_ofd_over_the_size_limit(sm2_signing: Signing, settings: Any) -> None:
    settings.SIGN_MAX_FILE_BYTES = len(HELLO) - 1
    response = sm2_signing.create([("bid.ofd", HELLO)], ofd_spec(sm2_signing, [{"file": 0, "placements": [point()]}]))
    assert response.status_code == 413 and response.json()["error"] == "ofd_too_large", response.content
    assert not SignTask.objects.exists()


@pytest.mark.django_db
def test_placements_off_the_ofd_page_are_refused(sm2_signing: Signing) -> None:
    for placement, code in [
        (point(page=2), "placement_page_out_of_range"),
        (point(x=5), "placement_off_page"),  # a 42 mm seal centred 5 mm from the left edge
        ({"seal_type": "official", "cross_page": True}, "placement_cross_page_too_few"),  # one page
    ]:
        response = sm2_signing.create(
            [("bid.ofd", HELLO)], ofd_spec(sm2_signing, [{"file": 0, "placements": [placement]}])
        )
        assert response.status_code in (400, 422) and response.json()["error"] == code, response.content
    assert not SignTask.objects.exists()


@pytest.mark.django_db
def test_the_openapi_document_gives_ofd_units_and_options() -> None:
    document = Client().get("/api/openapi.json").json()
    schemas = document["components"]["schemas"]
    point_schema = schemas["PointPlacement"]["properties"]
    assert "millimetres from the left edge (OFD)" in point_schema["x"]["description"]
    assert "millimetres down from the top edge (OFD)" in point_schema["y"]["description"]
    assert "millimetres" in schemas["KeywordPlacement"]["properties"]["offset"]["description"]
    assert "millimetres" in schemas["CrossPagePlacement"]["properties"]["y"]["description"]
    assert schemas["SignTaskSpec"]["properties"]["ofd_protect_all"]["type"] == "boolean"
    create = document["paths"]["/api/v1/sign-tasks"]["post"]["description"]
    assert "ofd_certificate_not_sm2" in create and "ofd_zip_bomb" in create
    download = document["paths"]["/api/v1/sign-tasks/{task_id}/documents/{n}"]["get"]["description"]
    assert "application/ofd" in download


@pytest.mark.django_db
def test_the_verify_page_names_the_files_changed_after_sealing() -> None:
    data = (CORPUS / "signed" / "reader-keyword.ofd").read_bytes()
    page = Client().post("/verify/", {"file": SimpleUploadedFile("keyword.ofd", data)})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-valid="false" data-modified="true"' in html and "OFD 文件在签章后被修改" in html
    assert html.count('data-status="modified"') == 2 and "Doc_0/Pages/Page_0/Content.xml" in html
    refused = Client().post("/verify/", {"file": SimpleUploadedFile("bad.ofd", HELLO[:500])})
    assert refused.status_code == 400 and 'data-code="ofd_truncated"' in refused.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_evidence_report_of_an_ofd_task_states_its_seal_signatures(sm2_signing: Signing) -> None:
    """签署报告 on an OFD: each SES signature in the package, as our verifier reads it."""
    from inkseal.core.acting import Acting
    from inkseal.evidence import reports
    from inkseal.evidence.offline import embedded_evidence

    spec = ofd_spec(sm2_signing, [{"file": 0, "placements": [point()]}])
    task_id, _token, done = create_and_confirm(sm2_signing, [("bid", HELLO)], spec)
    assert done["status"] == "completed"
    task = SignTask.objects.get(public_id=task_id)
    issued = reports.issue_report(reports.subject_of_task(task), acting=Acting.platform(task.platform))
    evidence = json.loads(embedded_evidence(issued.pdf)[0])
    (record,) = evidence["records"]
    assert record["file_name"] == "bid"
    (signature,) = record["signatures"]
    assert signature["valid"] is True
    assert signature["level"].startswith("GB/T 38540")
    assert signature["timestamp_time"]
