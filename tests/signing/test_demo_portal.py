"""The demo procurement portal signs a bid file through Inkseal's API (both servers real: Inkseal
as pytest-django's live server, the portal as a subprocess): upload, 签章 → confirm_url, confirm
with the SMS code, then the signed PDF arrives by callback (or 刷新状态) and is offered for download."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from asn1crypto import x509 as asn1_x509

from inkseal.pki.models import CertificateAuthority
from inkseal.signing.callbacks import delivery
from inkseal.signing.core.verify import verify_pdf
from inkseal.signing.models import CallbackDelivery
from tests.helpers.jobs import run_queued_jobs
from tests.signing.conftest import build_text_pdf
from tests.signing.ofd.independent import check as independent_check

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = "JH-CG-2026-0417"
OFD_FIVE_PAGES = Path("/work/shared/corpus/ofd/unsigned/layout-Page5.ofd").read_bytes()


def bid_pdf(keyword: bool = True) -> bytes:
    first: list[tuple[float, float, float, str]] = [
        (72, 760, 22, "投标文件"),
        (72, 720, 14, "项目名称：二〇二六年度劳保用品集中采购项目"),
        (72, 690, 14, "投标人：北京示范科技有限公司"),
    ]
    last: list[tuple[float, float, float, str]] = [(72, 300, 14, "投标人（公章）：")]
    if keyword:
        last.append((300, 260, 14, "盖章处"))
    return build_text_pdf([(0, first), (0, last)])


class Portal:
    """A bidder's browser session on the demo portal, as plain HTTP."""

    def __init__(self, url: str, user: dict[str, Any]) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.get(f"{url}/login/", timeout=10).raise_for_status()
        response = self.post("/login/", {"username": user["username"], "password": user["password"]})
        assert response.url.rstrip("/") == url, response.text[:500]

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        body = dict(data or {}, csrfmiddlewaretoken=self.session.cookies["portal_csrftoken"])
        return self.session.post(f"{self.url}{path}", data=body, timeout=60, **kwargs)

    def page(self) -> str:
        response = self.session.get(f"{self.url}/projects/{PROJECT}/", timeout=10)
        response.raise_for_status()
        return response.text

    def upload(self, pdf: bytes, serial: str, cross_page: bool = False) -> int:
        data = {"certificate": serial, **({"cross_page": "on"} if cross_page else {})}
        response = self.post(f"/projects/{PROJECT}/", data, files={"file": ("投标文件.pdf", pdf, "application/pdf")})
        assert response.status_code == 200 and "已上传" in response.text, response.text[-3000:]
        return int(re.findall(r'data-bid="(\d+)"', response.text)[0])

    def bid_row(self, bid: int) -> str:
        match = re.search(rf'<tr id="bid-{bid}".*?</tr>', self.page(), re.S)
        assert match
        return match.group(0)

    def status(self, bid: int) -> str:
        return re.findall(r'data-status="(\w+)"', self.bid_row(bid))[0]

    def wait_for(self, bid: int, status: str, seconds: float = 15, retry: Callable[[], object] | None = None) -> None:
        deadline = time.monotonic() + seconds
        while (current := self.status(bid)) != status:
            assert time.monotonic() < deadline, f"bid {bid} is {current}, not {status}"
            time.sleep(0.2)
            if retry is not None:
                retry()


@dataclass
class Demo:
    inkseal: str
    document: dict[str, Any]
    portal: Portal
    enterprise_certificate: dict[str, Any]
    demo_json: Path

    def confirm_by_sms(self, confirm_url: str) -> dict[str, Any]:
        token = confirm_url.rstrip("/").rsplit("/", 1)[-1]
        phone = self.enterprise_certificate["authorised_person"]["phone"]
        sent = requests.post(f"{self.inkseal}/api/v1/confirm/{token}/code", json={}, timeout=10)
        assert sent.status_code == 200, sent.text
        messages = requests.get(f"{self.inkseal}/dev/sms.json", params={"phone": phone}, timeout=10).json()
        code = re.search(r"验证码为(\d{6})", messages["messages"][0]["body"]).group(1)  # type: ignore[union-attr]
        response = requests.post(
            f"{self.inkseal}/api/v1/confirm/{token}", json={"method": "sms", "code": code}, timeout=60
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def demo(live_server: Any, build_demo: Callable[[str], dict[str, Any]], demo_portal: Any, settings: Any) -> Demo:
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SMS_PHONE_INTERVAL_SECONDS = 0
    settings.SMS_PER_PHONE_PER_HOUR = 1000
    settings.SMS_PER_IP_PER_HOUR = 1000
    document = build_demo(live_server.url)
    bidder = next(u for u in document["portal_users"] if u["username"] == "bidder")
    certificate = next(c for c in document["certificates"] if c["kind"] == "enterprise")
    return Demo(live_server.url, document, Portal(demo_portal[0], bidder), certificate, demo_portal[1])


def signed_pdf_is_valid(pdf: bytes, signatures: int) -> None:
    roots = [
        asn1_x509.Certificate.load(bytes(ca.certificate_der))
        for ca in CertificateAuthority.objects.filter(role=CertificateAuthority.Role.ROOT)
    ]
    # In a thread of its own: verify_pdf runs an event loop, and Playwright's sync API keeps one open here.
    with ThreadPoolExecutor(1) as pool:
        report = pool.submit(verify_pdf, pdf, trust_roots=roots).result()
    assert report.all_valid, report.as_dict()
    assert len(report.signatures) == signatures


def test_bid_is_signed_and_arrives_by_callback(demo: Demo) -> None:
    portal = demo.portal
    bid = portal.upload(bid_pdf(), demo.enterprise_certificate["serial"], cross_page=True)
    row = portal.bid_row(bid)
    assert "待签章" in row and "关键字“盖章处”处（第 2 页）" in row and "公章、法定代表人章" in row

    response = portal.post(f"/bids/{bid}/sign", allow_redirects=False)
    assert response.status_code == 302, response.text[-2000:]
    confirm_url = response.headers["Location"]
    assert confirm_url.startswith(f"{demo.inkseal}/sign/confirm/")
    page = requests.get(confirm_url, timeout=30)
    assert page.status_code == 200 and "签章确认" in page.text and "投标文件" in page.text
    assert portal.status(bid) == "pending"
    # 签章 again before confirming: the same Idempotency-Key finds the same task.
    again = portal.post(f"/bids/{bid}/sign", allow_redirects=False)
    assert again.headers["Location"] == confirm_url

    assert demo.confirm_by_sms(confirm_url)["status"] == "completed"
    # The callback is queued, never sent from the request's thread; the job consumer sends it
    # (here this thread runs the queue, as the consumer would).
    portal.wait_for(bid, "signed", retry=run_queued_jobs)
    row = portal.bid_row(bid)
    assert "已签章" in row and "已收到回调" in row and "completed" in row
    assert CallbackDelivery.objects.get().state == CallbackDelivery.State.DELIVERED

    download = portal.session.get(f"{portal.url}/bids/{bid}/download", timeout=30)
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    signed_pdf_is_valid(download.content, signatures=3)  # 公章, 法定代表人章, 骑缝章


def test_refresh_status_when_the_callback_is_late(demo: Demo) -> None:
    portal = demo.portal
    bid = portal.upload(bid_pdf(keyword=False), demo.enterprise_certificate["serial"])
    assert "未找到“盖章处”，盖在第 1 页右下方" in portal.bid_row(bid)
    confirm_url = portal.post(f"/bids/{bid}/sign", allow_redirects=False).headers["Location"]
    assert demo.confirm_by_sms(confirm_url)["status"] == "completed"
    time.sleep(0.5)
    assert portal.status(bid) == "pending"  # no callback yet: it waits in the job queue

    refreshed = portal.post(f"/bids/{bid}/refresh")
    assert "已刷新" in refreshed.text
    assert portal.status(bid) == "signed"
    pdf = portal.session.get(f"{portal.url}/bids/{bid}/download", timeout=30).content
    signed_pdf_is_valid(pdf, signatures=2)

    # The job consumer then delivers the callback; the portal acknowledges it (nothing to fetch again).
    assert run_queued_jobs() == 1
    record = CallbackDelivery.objects.get()
    assert record.state == CallbackDelivery.State.DELIVERED, record.last_error
    assert "已收到回调" in portal.bid_row(bid)
    assert portal.session.get(f"{portal.url}/bids/{bid}/download", timeout=30).content == pdf


def test_callback_signature_is_checked(demo: Demo) -> None:
    url = f"{demo.portal.url}/signing/callback"
    secret = demo.document["platform"]["api"]["callback_secret"]
    body = json.dumps({"event": "sign_task.finished", "id": "no-such-task", "status": "completed"}).encode()

    def post(header: str | None) -> int:
        headers = {"Content-Type": "application/json", **({delivery.SIGNATURE_HEADER: header} if header else {})}
        return requests.post(url, data=body, headers=headers, timeout=10).status_code

    now = int(time.time())
    assert post(None) == 400
    assert post("garbage") == 400
    assert post(delivery.signature("not-the-secret", now, body)) == 401
    assert post(delivery.signature(secret, now - 3600, body)) == 401  # stale
    assert post(delivery.signature(secret, now, body).replace("v1=", "v1=0")) == 401
    assert post(delivery.signature(secret, now, body)) == 404  # authentic, but not one of our tasks


def test_refusals_are_shown_on_the_bid_page(demo: Demo) -> None:
    portal = demo.portal
    serial = demo.enterprise_certificate["serial"]
    refused = portal.post(f"/projects/{PROJECT}/", {"certificate": serial}, files={"file": ("a.pdf", b"not a pdf")})
    assert "请上传 PDF 或 OFD 格式的投标文件" in refused.text
    one_page = build_text_pdf([(0, [(72, 700, 14, "投标文件")])])
    refused = portal.post(
        f"/projects/{PROJECT}/", {"certificate": serial, "cross_page": "on"}, files={"file": ("a.pdf", one_page)}
    )
    assert "骑缝章需要至少 2 页" in refused.text

    bid = portal.upload(bid_pdf(), serial)
    # Inkseal refuses the credentials: the page says so, with Inkseal's code.
    demo_json = demo.document
    path = demo.demo_json
    broken = json.loads(path.read_text())
    broken["platform"]["api"]["client_secret"] = "wrong"
    path.write_text(json.dumps(broken, ensure_ascii=False))
    page = portal.post(f"/bids/{bid}/sign").text
    assert "电子签章平台拒绝了获取访问令牌（HTTP 401" in page
    assert portal.status(bid) == "uploaded"
    path.write_text(json.dumps(demo_json, ensure_ascii=False))
    assert portal.post(f"/bids/{bid}/sign", allow_redirects=False).status_code == 302


def bid_ofd() -> bytes:
    """A five-page OFD bid (a corpus file's pages), the second saying 盖章处."""
    from inkseal.signing.core.ofd.model import document
    from inkseal.signing.core.ofd.package import open_package

    package = open_package(OFD_FIVE_PAGES)
    pages = document(package).pages
    text = (
        '<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content>'
        '<ofd:Layer ID="90"><ofd:TextObject ID="91" Boundary="30 200 80 10" Font="3" Size="5">'
        '<ofd:TextCode X="0" Y="5" DeltaX="5 5">盖章处</ofd:TextCode></ofd:TextObject></ofd:Layer>'
        "</ofd:Content></ofd:Page>"
    ).encode()
    return package.write({pages[1].content: text})


def test_an_ofd_bid_is_sealed(demo: Demo) -> None:
    from inkseal.signing.core.ofd.verify import verify_ofd

    portal = demo.portal
    sm2 = next(c for c in demo.document["certificates"] if c["kind"] == "enterprise" and c["algorithm"] == "sm2")
    rsa = next(c for c in demo.document["certificates"] if c["kind"] == "enterprise" and c["algorithm"] != "sm2")
    refused = portal.post(
        f"/projects/{PROJECT}/", {"certificate": rsa["serial"]}, files={"file": ("投标文件.ofd", bid_ofd())}
    )
    assert "OFD 投标文件须使用 SM2" in refused.text

    response = portal.post(
        f"/projects/{PROJECT}/",
        {"certificate": sm2["serial"], "cross_page": "on"},
        files={"file": ("投标文件.ofd", bid_ofd(), "application/ofd")},
    )
    assert response.status_code == 200 and "已上传" in response.text, response.text[-3000:]
    bid = int(re.findall(r'data-bid="(\d+)"', response.text)[0])
    assert "关键字“盖章处”处（第 2 页）" in portal.bid_row(bid)
    confirm_url = portal.post(f"/bids/{bid}/sign", allow_redirects=False).headers["Location"]
    demo.enterprise_certificate = sm2
    assert demo.confirm_by_sms(confirm_url)["status"] == "completed"
    portal.wait_for(bid, "signed", retry=run_queued_jobs)
    download = portal.session.get(f"{portal.url}/bids/{bid}/download", timeout=30)
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/ofd"
    assert ".ofd" in download.headers["Content-Disposition"]
    checks = independent_check(download.content)
    assert len(checks) == 3 and all(
        c.changed == [] and c.signature_intact for c in checks
    )  # 公章, 法定代表人章, 骑缝章
    assert [s.status for s in verify_ofd(download.content).signatures] == ["valid"] * 3


def test_the_api_example_seals_an_ofd(demo: Demo, tmp_path: Path) -> None:
    import subprocess
    import sys

    source, out = tmp_path / "bid.ofd", tmp_path / "sealed.ofd"
    source.write_bytes(bid_ofd())
    run = subprocess.run(
        [
            sys.executable,
            "examples/sign_with_api.py",
            str(source),
            "--out",
            str(out),
            "--demo-json",
            str(demo.demo_json),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "signed OFD written to" in run.stdout and "all valid: True" in run.stdout
    (check,) = independent_check(out.read_bytes())
    assert check.changed == [] and check.signature_intact


def test_the_flow_api_example_signs_with_two_signers_in_turn(demo: Demo, tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "report.pdf"
    run = subprocess.run(
        [sys.executable, "examples/sign_flow_with_api.py", "--out", str(out), "--demo-json", str(demo.demo_json)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "signer 1 (step 1): signed, flow pending" in run.stdout, run.stdout
    assert "signer 2 (step 2): signed, flow signed" in run.stdout, run.stdout
    assert "final PDF (2 signatures)" in run.stdout and "all valid: True" in run.stdout, run.stdout
    assert out.read_bytes().startswith(b"%PDF")
