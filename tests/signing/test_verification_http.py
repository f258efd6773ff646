"""验签 through POST /api/v1/verify and the public page: PDFs sealed with certificates of our DB CA,
of an unknown CA (then trusted as 互信根证书), tampered copies, and bad uploads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from inkseal.audit.services import Actor
from inkseal.core.acting import Acting
from inkseal.core.models import RateCounter
from inkseal.pki.algorithms import RSA_2048
from inkseal.pki.models import Certificate
from inkseal.pki.services import issue_cloud_certificate, revoke_certificate, signing_key_for
from inkseal.pki.trust import add_trusted_root
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, Placement
from inkseal.signing.core.signer import SealSigner
from inkseal.signing.tasks.timestamper import platform_timestamper, reserve_serials
from tests.helpers.signing_pki import TestPki
from tests.pki import conftest as pki_fixtures
from tests.signing.conftest import CORPUS, CORPUS_PASSWORD, ENCRYPTED

pytestmark = pytest.mark.django_db
ca_hierarchy, verified_person, verified_enterprise = (
    pki_fixtures.ca_hierarchy,
    pki_fixtures.verified_person,
    pki_fixtures.verified_enterprise,
)
SOURCE = CORPUS / "minimal-document.pdf"
COMPANY = "北京验签测试有限公司"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def our_certificate(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any) -> Certificate:
    """A cloud certificate for a test enterprise, issued by our DB CA."""
    enterprise = verified_enterprise(verified_person("王五"), name=COMPANY)
    return issue_cloud_certificate(enterprise.party, algorithm=RSA_2048, years=1, acting=Acting(Actor.system()))


def seal_with(certificate: Certificate, seal: Any, level: str = "B-T") -> bytes:
    """PAdES B-T with our TSA (or B-B), the key from the keystore, as the signing service does."""
    key = signing_key_for(certificate)
    reserve_serials(4)  # our TSA numbers its tokens from the database, before sign_pdf's event loop
    signer = SealSigner(key.signer, key.certificate_der, key.chain)
    signed = sign_pdf(
        SOURCE.read_bytes(),
        signer=signer,
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        pades_level=level,
        timestamper=platform_timestamper() if level != "B-B" else None,
    )
    assert isinstance(signed, bytes)
    return signed


@pytest.fixture
def sealed(our_certificate: Certificate, seal: Any) -> bytes:
    return seal_with(our_certificate, seal)


def tampered(pdf: bytes) -> bytes:
    """One byte of the signed range changed (inside the /Producer string)."""
    copy = bytearray(pdf)
    position = copy.index(b"/Producer")
    copy[position + 11] ^= 0x01
    return bytes(copy)


def foreign_sealed(pki: TestPki, seal: Any) -> bytes:
    signed = sign_pdf(
        SOURCE.read_bytes(),
        signer=pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 300, 300))],
        timestamper=pki.timestamper(),
    )
    assert isinstance(signed, bytes)
    return signed


def post_verify(client: Client, pdf: bytes | None, name: str = "signed.pdf", **extra: Any) -> Any:
    data: dict[str, Any] = {k: v for k, v in extra.items() if not k.isupper()}
    if pdf is not None:
        data["file"] = SimpleUploadedFile(name, pdf, "application/pdf")
    headers = {k: v for k, v in extra.items() if k.isupper()}
    return client.post("/api/v1/verify", data, **headers)


Verify = Callable[..., Any]


@pytest.fixture
def verify(client: Client) -> Verify:
    def run(pdf: bytes | None, **extra: Any) -> Any:
        return post_verify(client, pdf, **extra)

    return run


# --- reports ---------------------------------------------------------------------------------


def test_our_seal_is_valid_trusted_and_fully_described(verify: Verify, our_certificate: Certificate, sealed: bytes):
    response = verify(sealed)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["all_valid"] is True
    (signature,) = body["signatures"]
    assert signature["valid"] and signature["intact"] and signature["trusted"]
    assert signature["signer"] == our_certificate.common_name and COMPANY in signature["signer"]
    assert signature["certificate"]["serial_hex"] == our_certificate.serial
    assert signature["ca"]["issued_here"] is True
    assert signature["ca"]["organization"] == our_certificate.ca_name
    assert signature["signing_time"] and signature["timestamp"]["valid"] and signature["timestamp"]["time"]
    assert signature["revocation"] == "good"
    assert signature["pades_level"] == "B-T"
    assert signature["changes"]["level"] == "none"
    assert signature["seal_image"].startswith("data:image/png;base64,")
    assert signature["messages"] == [] and body["problems"] == []


def test_tampered_copy_reports_an_integrity_failure(verify: Verify, sealed: bytes):
    body = verify(tampered(sealed)).json()

    assert body["all_valid"] is False
    (signature,) = body["signatures"]
    assert signature["intact"] is False and signature["valid"] is False
    assert "签名后文档内容被修改，签名范围内的数据已不完整。" in signature["messages"]


def test_content_appended_after_signing_is_shown_as_a_change(verify: Verify, sealed: bytes):
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 50 50 Td (forged) Tj ET"))
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)

    (signature,) = verify(out.getvalue()).json()["signatures"]
    assert signature["intact"] is True  # the signed revision itself is untouched...
    assert signature["changes"]["level"] == "other" and signature["valid"] is False  # ...but the page was changed
    assert signature["changes_text"] == "签名后文档内容被修改"


def test_revocation_after_the_time_stamp_keeps_the_seal_valid(
    verify: Verify, our_certificate: Certificate, sealed: bytes
):
    revoke_certificate(
        our_certificate, reason=1, acting=Acting(Actor.system()), now=timezone.now() + timedelta(minutes=1)
    )

    (signature,) = verify(sealed).json()["signatures"]
    assert signature["revoked_at"] is not None
    assert signature["revocation"] == "good" and signature["valid"] is True


def test_revoked_certificate_without_time_stamp_is_invalid(verify: Verify, our_certificate: Certificate, seal: Any):
    signed = seal_with(our_certificate, seal, level="B-B")
    revoke_certificate(our_certificate, reason=1, acting=Acting(Actor.system()))

    body = verify(signed).json()
    (signature,) = body["signatures"]
    assert signature["revocation"] == "revoked" and signature["valid"] is False and body["all_valid"] is False
    assert "签名证书已吊销。" in signature["messages"]


def test_unknown_ca_is_untrusted_until_its_root_is_trusted(verify: Verify, pki: TestPki, seal: Any):
    signed = foreign_sealed(pki, seal)

    body = verify(signed).json()
    assert body["all_valid"] is False
    (signature,) = body["signatures"]
    assert signature["intact"] is True and signature["trusted"] is False
    assert signature["ca"]["issued_here"] is False

    root_der = pki.root.public_bytes(serialization.Encoding.DER)
    add_trusted_root("测试互信CA", root_der, acting=Acting(Actor.system()))
    body = verify(signed).json()
    assert body["all_valid"] is True
    assert body["signatures"][0]["trusted"] is True


def test_unsigned_pdf_is_not_valid(verify: Verify):
    body = verify(SOURCE.read_bytes()).json()

    assert body["all_valid"] is False and body["signatures"] == []
    assert body["messages"] == ["该文档中没有签名。"]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"hello, this is not a PDF at all", "pdf_not_pdf"),
        (b"", "pdf_not_pdf"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "pdf_malformed"),
    ],
)
def test_garbage_is_refused_with_a_code(verify: Verify, content: bytes, code: str):
    response = verify(content)

    assert response.status_code == 400
    assert response.json()["error"] == code
    assert response.json()["message"]


def test_truncated_pdf_is_a_4xx(verify: Verify, sealed: bytes):
    for cut in (len(sealed) // 2, len(sealed) - 40):
        response = verify(sealed[:cut])
        code = response.json()["error"]
        assert code in {"pdf_truncated", "pdf_malformed"}, (cut, response.content)
        assert response.status_code == 400, (cut, response.content)


def test_encrypted_pdf_needs_its_password(verify: Verify):
    encrypted = (CORPUS / ENCRYPTED).read_bytes()

    missing = verify(encrypted)
    assert missing.status_code == 400
    assert missing.json()["error"] == "pdf_encrypted"
    assert missing.json()["message"] == "该 PDF 已加密，请输入打开密码后再验签。"
    wrong = verify(encrypted, password="wrong")
    assert wrong.status_code == 400 and wrong.json()["message"] == "PDF 打开密码不正确。"
    opened = verify(encrypted, password=CORPUS_PASSWORD)
    assert opened.status_code == 200 and opened.json()["signatures"] == []


def test_missing_file_is_a_4xx(verify: Verify):
    response = verify(None)

    assert response.status_code == 400 and response.json()["error"] == "file_missing"


def test_oversized_upload_is_refused(verify: Verify, settings: Any, sealed: bytes):
    settings.VERIFY_MAX_BYTES = 4096

    response = verify(sealed)

    assert response.status_code == 413
    assert response.json()["error"] == "pdf_too_large"
    assert "4096" not in response.json()["message"] and "MB" in response.json()["message"]


def test_messages_follow_the_users_language(verify: Verify):
    response = verify(b"not a pdf", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["message"] == "This file is not a PDF."


def test_rate_limited_per_ip(verify: Verify, settings: Any):
    settings.VERIFY_PER_IP_PER_MINUTE = 2

    codes = [verify(b"not a pdf").status_code for _ in range(3)]

    assert codes == [400, 400, 429]
    assert verify(b"not a pdf", REMOTE_ADDR="10.0.0.9").status_code == 400  # another client is not affected


def test_rate_limit_is_shared_by_every_worker(verify: Verify, settings: Any):
    """The count lives in the database: a worker with a fresh process (no local memory of the
    earlier requests) still refuses the client over the limit."""
    settings.VERIFY_PER_IP_PER_MINUTE = 2
    assert [verify(b"not a pdf").status_code for _ in range(2)] == [400, 400]

    cache.clear()  # all a new worker process would not know

    assert verify(b"not a pdf").status_code == 429
    assert RateCounter.objects.get(key__startswith="verify:127.0.0.1:").count == 3


def test_openapi_documents_the_endpoint(client: Client):
    schema = client.get("/api/openapi.json").json()

    operation = schema["paths"]["/api/v1/verify"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert not operation.get("security")


# --- the public page -------------------------------------------------------------------------


def test_public_page_needs_no_login(client: Client):
    response = client.get("/verify/")

    assert response.status_code == 200
    assert "验签" in response.content.decode()


def test_page_shows_the_report(client: Client, sealed: bytes):
    response = client.post("/verify/", {"file": SimpleUploadedFile("投标文件.pdf", sealed, "application/pdf")})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="verify-summary" data-valid="true"' in html
    assert COMPANY in html and "data:image/png;base64," in html and "签名有效" in html


def test_page_shows_what_went_wrong(client: Client, sealed: bytes):
    bad = client.post("/verify/", {"file": SimpleUploadedFile("x.pdf", b"nope", "application/pdf")})
    assert bad.status_code == 400 and "该文件不是 PDF 文件。" in bad.content.decode()

    broken = client.post("/verify/", {"file": SimpleUploadedFile("x.pdf", tampered(sealed), "application/pdf")})
    html = broken.content.decode()
    assert broken.status_code == 200 and 'data-valid="false"' in html and "签名后文档被篡改" in html


def test_a_tampered_document_says_so_first_and_keeps_the_certificate_verdicts_true(
    verify: Verify, client: Client, our_certificate: Certificate, sealed: bytes
):
    """Issue #14: the report said 本平台签发 and then 证书链 ✘ 不可信 and 吊销状态 未知 for a
    document changed after signing. The change comes first; the certificate is still ours,
    trusted and not revoked."""
    body = verify(tampered(sealed)).json()

    assert body["all_valid"] is False and body["modified_after_signing"] is True
    assert body["summary"] == "文件在签名后被修改：签名范围内的内容与签名时不一致，签名无效。"
    (signature,) = body["signatures"]
    assert signature["intact"] is False and signature["valid"] is False
    assert signature["messages"][0] == "签名后文档内容被修改，签名范围内的数据已不完整。"
    assert signature["ca"]["issued_here"] is True
    assert signature["trusted"] is True and signature["revocation"] == "good"
    assert not any("trusted" in problem for problem in signature["problems"])

    page = client.post("/verify/", {"file": SimpleUploadedFile("x.pdf", tampered(sealed), "application/pdf")})
    html = page.content.decode()
    summary = html[html.index('id="verify-summary"') :]
    assert "文件在签名后被修改" in summary[: summary.index("</div>")]
    card = html[html.index("card shadow-sm mb-3 sig-card") :]
    assert card.index("签名后文档被篡改") < card.index("证书链")
    assert "可信（本平台CA或互信CA）" in card and "未吊销" in card
    assert "不可信" not in card and "未知（文件中无吊销信息）" not in card


def test_a_revoked_certificate_on_a_tampered_document_is_still_reported_revoked(
    verify: Verify, our_certificate: Certificate, seal: Any
):
    signed = seal_with(our_certificate, seal, level="B-B")
    revoke_certificate(our_certificate, reason=1, acting=Acting(Actor.system()))

    (signature,) = verify(tampered(signed)).json()["signatures"]
    assert signature["intact"] is False and signature["trusted"] is True and signature["revocation"] == "revoked"
    assert signature["messages"][0] == "签名后文档内容被修改，签名范围内的数据已不完整。"
    assert "签名证书已吊销。" in signature["messages"]


def test_a_tampered_document_of_an_unknown_ca_stays_untrusted(verify: Verify, pki: TestPki, seal: Any):
    body = verify(tampered(foreign_sealed(pki, seal))).json()

    (signature,) = body["signatures"]
    assert body["modified_after_signing"] is True and signature["intact"] is False
    assert signature["trusted"] is False and signature["ca"]["issued_here"] is False
    assert signature["messages"][0] == "签名后文档内容被修改，签名范围内的数据已不完整。"


# --- with the verifier's caches warm (#16, signing.core.verify_cache) --------------------------


def test_certificate_revoked_after_a_valid_verification_is_revoked(
    verify: Verify, our_certificate: Certificate, seal: Any
):
    signed = seal_with(our_certificate, seal, level="B-B")
    assert verify(signed).json()["all_valid"] is True  # the caches now hold its certificates and path

    revoke_certificate(our_certificate, reason=1, acting=Acting(Actor.system()))

    body = verify(signed).json()
    assert body["all_valid"] is False and body["signatures"][0]["revocation"] == "revoked"


def test_trusted_root_disabled_after_a_valid_verification_is_untrusted(verify: Verify, pki: TestPki, seal: Any):
    signed = foreign_sealed(pki, seal)
    root = add_trusted_root(
        "测试互信CA", pki.root.public_bytes(serialization.Encoding.DER), acting=Acting(Actor.system())
    )
    assert verify(signed).json()["all_valid"] is True

    root.enabled = False
    root.save(update_fields=["enabled"])

    body = verify(signed).json()
    assert body["all_valid"] is False and body["signatures"][0]["trusted"] is False
