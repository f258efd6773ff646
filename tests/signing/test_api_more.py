"""More of the signing API through HTTP: PAdES B-LT (revocation data in the DSS), documents that
already carry someone else's signature, and the confirm page's way back to the trading platform."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management import call_command
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from inkseal.core.acting import Acting
from inkseal.pki.pem import armor
from inkseal.pki.services import certificate_chain
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.models import SignTask
from tests.helpers.signing_pki import TestPki, to_asn1
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, sms_code, text_pdf
from tests.signing.conftest import assert_qpdf_ok, run_pdfsig
from tests.signing.test_pdf import CORPUS, seal_at

pytestmark = pytest.mark.django_db(transaction=False)


def _our_root(signing: Signing) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate_chain(signing.certificate)[-1])


def _sign_through_api(signing: Signing, files: list[tuple[str, bytes]], spec: dict[str, Any]) -> bytes:
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
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content
    download = signing.client.get(f"/api/v1/sign-tasks/{body['id']}/documents/1", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert download.status_code == 200
    return b"".join(download.streaming_content)


def _nss(tmp_path: Path, roots: list[bytes], untrusted: list[bytes]) -> str:
    """An NSS database trusting `roots` (DER); `untrusted` certificates known without trust."""
    directory = tmp_path / "nss"
    directory.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    for n, (der, trust) in enumerate([(d, "CT,C,C") for d in roots] + [(d, ",,") for d in untrusted]):
        pem = tmp_path / f"cert{n}.pem"
        pem.write_text(armor(der, "CERTIFICATE"))
        subprocess.run(
            ["certutil", "-A", "-d", f"sql:{directory}", "-n", f"cert{n}", "-t", trust, "-i", str(pem)], check=True
        )
    return f"sql:{directory}"


# --- a. B-LT -------------------------------------------------------------------------------------


def test_b_lt_task_embeds_ocsp_responses_and_certificates(signing: Signing, tmp_path: Path) -> None:
    pdf = _sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec(pades_level="B-LT"))

    reader = PdfFileReader(io.BytesIO(pdf))
    dss = DocumentSecurityStore.read_dss(reader)
    signer = signing.certificate
    responses = [asn1_ocsp.OCSPResponse.load(ref.get_object().data) for ref in dss.ocsps]
    answered = {
        single["cert_id"]["serial_number"].native
        for response in responses
        for single in response.basic_ocsp_response["tbs_response_data"]["responses"]
    }
    assert int(signer.serial, 16) in answered  # the signer's OCSP response
    assert len(answered) >= 2  # and the time-stamping authority's
    stored = {cert.sha256 for cert in dss.load_certs()}
    chain = [asn1_x509.Certificate.load(bytes(signer.der))] + [
        asn1_x509.Certificate.load(der) for der in certificate_chain(signer)
    ]
    assert {cert.sha256 for cert in chain} <= stored  # signer, issuing CA, root

    # pyHanko with only the revocation data the document carries, required for every certificate
    [signature] = reader.embedded_regular_signatures
    from_dss = dss.as_validation_context({"trust_roots": [_our_root(signing)], "revocation_mode": "require"})
    status = validate_pdf_signature(signature, from_dss, from_dss)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.revocation_details is None, status.pretty_print_details()
    timestamp = status.timestamp_validity
    assert timestamp is not None and timestamp.valid and timestamp.trusted, status.pretty_print_details()

    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    out = io.StringIO()
    call_command("verify", str(path), "--json", stdout=out)
    [report] = json.loads(out.getvalue())["signatures"]
    assert report["valid"] and report["pades_level"] == "B-LT" and report["revocation"] == "good", report
    assert_qpdf_ok(path)


# --- b. documents already signed by someone else --------------------------------------------------


def test_a_pre_signed_pdf_keeps_its_earlier_signature(
    signing: Signing, pki: TestPki, seal: Any, tmp_path: Path
) -> None:
    earlier = sign_pdf(
        text_pdf(), signer=pki.seal_signer(), placements=[seal_at(seal, y=600)], timestamper=pki.timestamper()
    )
    assert isinstance(earlier, bytes)

    pdf = _sign_through_api(signing, [("countersigned.pdf", earlier)], signing.spec())

    assert pdf.startswith(earlier)  # an incremental update: the earlier bytes are untouched
    reader = PdfFileReader(io.BytesIO(pdf))
    first, ours = reader.embedded_regular_signatures
    theirs_context = ValidationContext(trust_roots=[to_asn1(pki.root)])
    ours_context = ValidationContext(trust_roots=[_our_root(signing)])
    for signature, context in ((first, theirs_context), (ours, ours_context)):
        status = validate_pdf_signature(signature, context, context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.docmdp_ok, status.pretty_print_details()
    assert first.signed_revision < ours.signed_revision

    path = tmp_path / "countersigned.pdf"
    path.write_bytes(pdf)
    nss = _nss(
        tmp_path,
        roots=[pki.root.public_bytes(Encoding.DER), certificate_chain(signing.certificate)[-1]],
        untrusted=[pki.signer_cert.public_bytes(Encoding.DER)],
    )
    earlier_sig, our_sig = run_pdfsig(path, nss)
    for signature in (earlier_sig, our_sig):
        assert signature.says("Signature Validation: Signature is Valid."), signature
    assert not earlier_sig.says("Total document signed")  # it covers its own revision only, still valid
    assert earlier_sig.says("Certificate Validation: Certificate is Trusted."), earlier_sig
    assert our_sig.says("Total document signed"), our_sig
    assert_qpdf_ok(path)


# --- c. the confirm page leads back to the trading platform ----------------------------------------


def _confirm_page(signing: Signing, task: SignTask) -> str:
    from inkseal.signing.tasks.confirm import confirm_token as token_of

    response = signing.client.get(f"/sign/confirm/{token_of(task)}")
    assert response.status_code in (200, 409), response.status_code
    return response.content.decode()


def test_confirm_page_links_back_to_the_platform_home(signing: Signing) -> None:
    signing.platform.oidc_issuer = "https://bids.example.com/oidc"
    signing.platform.save()
    created = signing.create()
    task = SignTask.objects.get(public_id=created.json()["id"])
    page = _confirm_page(signing, task)
    assert 'id="return-link"' in page and 'href="https://bids.example.com/"' in page and "返回交易平台" in page


def test_confirm_page_links_to_the_tasks_return_url_and_after_signing(signing: Signing) -> None:
    signing.platform.callback_url = "https://bids.example.com/signing/callback"
    signing.platform.save()
    spec = signing.spec(return_url="https://bids.example.com/bids/42?tab=signed")
    _sign_through_api(signing, [("bid.pdf", text_pdf())], spec)
    task = SignTask.objects.get()
    # the link stays after signing: the used confirm link shows it with the reason
    page = _confirm_page(signing, task)
    assert 'href="https://bids.example.com/bids/42?tab=signed"' in page and "返回交易平台" in page


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.net/bids/42",  # another origin
        "http://bids.example.com/bids/42",  # another scheme
        "https://bids.example.com:8443/bids",  # another port
        "javascript:alert(1)",
        "//evil.example.net/",
        "https://bids.example.com@evil.example.net/",
        "https://bids.example.com\\@evil.example.net/",
        "https://bids.example.com/ x",
    ],
)
def test_return_url_must_be_on_the_platforms_registered_origin(signing: Signing, url: str) -> None:
    signing.platform.callback_url = "https://bids.example.com/signing/callback"
    signing.platform.save()
    response = signing.create(spec=signing.spec(return_url=url))
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "spec_invalid"
    assert SignTask.objects.count() == 0


def test_no_return_link_without_a_registered_address(signing: Signing) -> None:
    signing.platform.callback_url = ""
    signing.platform.save()
    created = signing.create(spec=signing.spec(callback_url=""))
    task = SignTask.objects.get(public_id=created.json()["id"])
    assert 'id="return-link"' not in _confirm_page(signing, task)


# --- uploads Django spools to disk (larger than FILE_UPLOAD_MAX_MEMORY_SIZE) ---------------------


def test_a_spooled_upload_is_stored_and_signed_from_files(signing: Signing, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every upload goes to a temporary file
    original = text_pdf(pages=3)
    pdf = _sign_through_api(signing, [("bid.pdf", original)], signing.spec())
    document = SignTask.objects.get().documents.get()
    with document.original.open("rb") as stored:
        assert stored.read() == original
    assert document.sha256_before == hashlib.sha256(original).hexdigest()
    assert document.sha256_after == hashlib.sha256(pdf).hexdigest() and pdf.startswith(original)
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    context = ValidationContext(trust_roots=[_our_root(signing)])
    status = validate_pdf_signature(signature, context, context)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()


def test_a_damaged_spooled_upload_is_repaired_in_a_copy(signing: Signing, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    document = (CORPUS / "002-trivial-libre-office-writer.pdf").read_bytes()
    startxref = document.rindex(b"startxref")
    offset = int(document[startxref + 9 :].split()[0])
    broken = document[:startxref] + b"startxref\n%d\n%%%%EOF\n" % (offset + 7)

    pdf = _sign_through_api(signing, [("broken.pdf", broken)], signing.spec())

    stored = SignTask.objects.get().documents.get()
    with stored.original.open("rb") as handle:
        assert handle.read() == broken  # the original as uploaded, not the repaired copy
    [signature] = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    context = ValidationContext(trust_roots=[_our_root(signing)])
    assert validate_pdf_signature(signature, context, context).intact


# --- bearer tokens ---------------------------------------------------------------------------------


def test_bearer_tokens_stop_working_when_expired_disabled_or_rotated(signing: Signing) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from inkseal.audit.services import Actor
    from inkseal.platforms.models import AccessToken, ApiClient
    from inkseal.platforms.services import do_rotate_client_secret

    def status(token: str) -> int:
        return int(signing.client.get("/api/v1/sign-tasks/nothing", HTTP_AUTHORIZATION=f"Bearer {token}").status_code)

    live = signing.token()
    assert status(live) == 404  # authenticated: the task does not exist
    expired = signing.token()
    newest = AccessToken.objects.order_by("-pk").values_list("pk", flat=True)[0]
    AccessToken.objects.filter(pk=newest).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert status(expired) == 401 and status(live) == 404
    signing.platform.enabled = False
    signing.platform.save()
    assert status(live) == 401
    signing.platform.enabled = True
    signing.platform.save()
    client = ApiClient.objects.get(client_id=signing.client_id)
    ApiClient.objects.filter(pk=client.pk).update(enabled=False)
    assert status(live) == 401
    ApiClient.objects.filter(pk=client.pk).update(enabled=True)
    assert status(live) == 404
    do_rotate_client_secret(client, acting=Acting(Actor("system", "", "test")))
    assert status(live) == 401
