"""国密 trust end to end: an SM2 document made by the platform (the PDF signature at B-T and B-LT,
and the GB/T 38540 SES_Signature of its 应用记录) validates with `root-sm2` as the only trust
anchor: the signer's chain, the time stamp (an SM2 TSA under root-sm2, RFC 3161 signed SM3withSM2)
and, at B-LT, the embedded revocation data (SM2 OCSP answers and SM2 CRLs). No RSA or ECDSA
certificate is needed anywhere. And a B-LT document embeds only the CRLs of its own chains.

Independent checks, written here from the standards rather than through our verifier: structures
are read with asn1crypto, SM3 is hashlib's (OpenSSL), every SM2 signature (certificates, CMS
signer info, time-stamp token, CRLs, OCSP answers) is verified with snowland-smx (a pure-Python
SM2 of its own, Z_A with the GM/T 0009 default ID), and chains are built by name and signature up
to the anchor fetched from /pki/ca/root-sm2.crt. pyHanko (with revocation required, no fetching)
and our own verifiers are asked as well.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from django.test import Client
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pysmx.SM2 import Verify as snowland_verify

from inkseal.pki.algorithms import ECDSA_P256, RSA_2048, SM2
from inkseal.pki.authorities import policy_oids
from inkseal.pki.models import CertificateAuthority
from inkseal.seals import ses_parse
from inkseal.seals.ses_chain import ChainValidator
from inkseal.seals.ses_verify import SesTrust, verify_signature
from inkseal.seals.ses_verify_services import verify_ses
from inkseal.signing.core.gmcms import SIGNATURE_VALIDATOR, collect_signatures
from inkseal.signing.core.verify import verify_pdf
from inkseal.signing.models import ElectronicSignature
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401
from tests.signing.api_support import Signing, make_signing, signing_media  # noqa: F401
from tests.signing.conftest import run_pdfsig
from tests.signing.test_sm2_pdf import COMPANY, sign_through_the_api, signer_info

pytestmark = pytest.mark.django_db

SM3 = "1.2.156.10197.1.401"  # GM/T 0006: SM3 digest
SM2_WITH_SM3 = "1.2.156.10197.1.501"  # GM/T 0006: SM2 signature with SM3 (GM/T 0010 signer infos)
SM2_CURVE = "1.2.156.10197.1.301"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
TIME_STAMP_TOKEN = "1.2.840.113549.1.9.16.2.14"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
DEFAULT_USER_ID = b"1234567812345678"  # GM/T 0009


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


# --- independent SM2 checks --------------------------------------------------------------------


def is_sm2_key(certificate: asn1_x509.Certificate) -> bool:
    algorithm = certificate.public_key["algorithm"]
    return algorithm["algorithm"].dotted == EC_PUBLIC_KEY and algorithm["parameters"].chosen.dotted == SM2_CURVE


def assert_sm2_verifies(signature_der: bytes, message: bytes, signer: asn1_x509.Certificate) -> None:
    """snowland-smx: e = SM3(Z_A || message) with the default ID, (r, s) from the DER signature."""
    assert is_sm2_key(signer), signer.subject.human_friendly
    point = bytes(signer.public_key["public_key"])
    assert point[0] == 4 and len(point) == 65
    values = asn1_algos.DSASignature.load(signature_der).native
    raw = values["r"].to_bytes(32, "big") + values["s"].to_bytes(32, "big")
    assert snowland_verify(raw, message, point[1:], 64, uid=DEFAULT_USER_ID), signer.subject.human_friendly


def chain_to(certificate: asn1_x509.Certificate, pool: Iterable[asn1_x509.Certificate], anchor: bytes) -> list[bytes]:
    """The path from `certificate` up to `anchor` (DER), every link SM3withSM2 and SM2-verified."""
    candidates = {c.dump(): c for c in pool}
    anchor_certificate = asn1_x509.Certificate.load(anchor)
    candidates[anchor] = anchor_certificate
    path = [certificate.dump()]
    current = certificate
    while current.dump() != anchor:
        assert len(path) <= 4, "no path to the anchor"
        assert current["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
        issuers = [c for c in candidates.values() if c.subject == current.issuer and c.dump() != current.dump()]
        assert issuers, f"no issuer for {current.subject.human_friendly}"
        issuer = issuers[0]
        assert_sm2_verifies(current["signature_value"].native, current["tbs_certificate"].dump(), issuer)
        path.append(issuer.dump())
        current = issuer
    return path


def signer_infos(pdf: bytes) -> tuple[Any, Any]:
    content_info, _ = signer_info(pdf)
    (info,) = content_info["content"]["signer_infos"]
    return content_info["content"], info


def token_of(info: Any) -> Any:
    (attribute,) = [a for a in info["unsigned_attrs"] if a["type"].dotted == TIME_STAMP_TOKEN]
    return attribute["values"][0]


def certificates_of(signed_data: Any) -> list[asn1_x509.Certificate]:
    return [choice.chosen for choice in signed_data["certificates"] or () if choice.name == "certificate"]


def assert_sm2_time_stamp(token: Any, stamped: bytes, anchor: bytes) -> asn1_x509.Certificate:
    """An RFC 3161 token over SM3(`stamped`), signed SM3withSM2 by a time-stamping certificate that
    chains to `anchor`; returns the TSA certificate."""
    signed = token["content"]
    (tsa_info,) = signed["signer_infos"]
    assert tsa_info["digest_algorithm"]["algorithm"].dotted == SM3
    assert tsa_info["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
    tst_der = bytes(signed["encap_content_info"]["content"].contents)
    tst_info = signed["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hash_algorithm"]["algorithm"].dotted == SM3
    assert tst_info["message_imprint"]["hashed_message"].native == sm3(stamped)
    attributes = {a["type"].dotted: a["values"][0] for a in tsa_info["signed_attrs"]}
    assert attributes[MESSAGE_DIGEST].native == sm3(tst_der)
    sid = tsa_info["sid"].chosen
    (tsa,) = [c for c in certificates_of(signed) if c.serial_number == sid["serial_number"].native]
    assert tsa.issuer == sid["issuer"] and tsa.extended_key_usage_value.native == ["time_stamping"]
    assert_sm2_verifies(tsa_info["signature"].native, tsa_info["signed_attrs"].untag().dump(), tsa)
    chain_to(tsa, certificates_of(signed), anchor)
    return tsa


def anchor(client: Client, ca_id: str) -> bytes:
    response = client.get(f"/pki/ca/{ca_id}.crt")
    assert response.status_code == 200
    return bytes(response.content)


def dss(pdf: bytes) -> tuple[list[asn1_x509.Certificate], list[asn1_ocsp.OCSPResponse], list[asn1_crl.CertificateList]]:
    root = PdfFileReader(io.BytesIO(pdf)).root
    store = root["/DSS"]

    def streams(key: str) -> list[bytes]:
        return [ref.get_object().data for ref in store.get(key, [])]

    return (
        [asn1_x509.Certificate.load(data) for data in streams("/Certs")],
        [asn1_ocsp.OCSPResponse.load(data) for data in streams("/OCSPs")],
        [asn1_crl.CertificateList.load(data) for data in streams("/CRLs")],
    )


def crl_issuers(pdf: bytes) -> set[str]:
    """The ids of our CAs whose CRLs the document's DSS holds."""
    _, _, crls = dss(pdf)
    subjects = {bytes(ca.certificate_der): ca.ca_id for ca in CertificateAuthority.objects.all()}
    by_name = {asn1_x509.Certificate.load(der).subject.dump(): ca_id for der, ca_id in subjects.items()}
    return {by_name[crl["tbs_cert_list"]["issuer"].dump()] for crl in crls}


# --- the platform's SM2 signatures ---------------------------------------------------------------


@pytest.fixture
def sm2_signing(ca_hierarchy: Any, verified_person: Any, verified_enterprise: Any, signing_media: Any) -> Signing:  # noqa: F811
    return make_signing(
        verified_person,
        verified_enterprise,
        algorithm=SM2,
        company=COMPANY,
        platform_name="国密交易平台",
        platform_code="sm2trust",
        callback_url="",
    )


@pytest.mark.parametrize("level", ["B-T", "B-LT"])
def test_sm2_documents_validate_with_root_sm2_as_the_only_anchor(sm2_signing: Signing, level: str) -> None:
    pdf = sign_through_the_api(sm2_signing, level)
    root_sm2 = anchor(Client(), "root-sm2")

    # the CMS: SM3withSM2 by the signer, whose chain ends at root-sm2
    signed_data, info = signer_infos(pdf)
    embedded = certificates_of(signed_data)
    (signer,) = [c for c in embedded if c.serial_number == info["sid"].chosen["serial_number"].native]
    assert info["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
    assert_sm2_verifies(info["signature"].native, info["signed_attrs"].untag().dump(), signer)
    chain_to(signer, embedded, root_sm2)
    # its time stamp: an SM2 token over SM3 of the signature value, from a TSA under root-sm2
    token = token_of(info)
    tsa = assert_sm2_time_stamp(token, info["signature"].native, root_sm2)
    everything = [*embedded, *certificates_of(token["content"])]

    if level == "B-LT":
        certs, ocsps, crls = dss(pdf)
        everything += certs
        assert_sm2_revocation_data(ocsps, crls, [signer, tsa], pool=[*everything], anchor=root_sm2)
        for response in ocsps:
            everything += list(response["response_bytes"]["response"].parsed["certs"] or [])

    # no RSA or ECDSA certificate anywhere in the document
    assert everything and all(is_sm2_key(c) for c in everything), [c.subject.human_friendly for c in everything]
    assert all(c["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3 for c in everything)

    # pyHanko, trusting root-sm2 alone, without fetching; at B-LT revocation data is required
    status = pyhanko_status(pdf, root_sm2, mode="require" if level == "B-LT" else "soft-fail")
    assert status.bottom_line and status.trusted, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert status.timestamp_validity.signing_cert.dump() == tsa.dump()
    # and our own verifier, with the same single anchor
    (report,) = verify_pdf(pdf, trust_roots=[root_sm2]).signatures
    assert report.valid and report.timestamp is not None and report.timestamp.valid, report.as_dict()
    assert report.revocation == ("good" if level == "B-LT" else "unknown")


def test_an_sm2_b_lta_archive_time_stamp_is_sm3_from_the_sm2_tsa(sm2_signing: Signing) -> None:
    pdf = sign_through_the_api(sm2_signing, "B-LTA")
    root_sm2 = anchor(Client(), "root-sm2")

    report = verify_pdf(pdf, trust_roots=[root_sm2])
    assert report.all_valid, report.as_dict()
    signature, archive = report.signatures
    assert signature.level == "B-LTA" and archive.kind == "document_timestamp"
    # the document time stamp: SM3 over the document, SM3withSM2 by the TSA under root-sm2
    embedded = collect_signatures(PdfFileReader(io.BytesIO(pdf)))[1]
    start, length, start2, length2 = embedded.byte_range
    token = asn1_cms.ContentInfo.load(embedded.pkcs7_content)
    assert_sm2_time_stamp(token, pdf[start : start + length] + pdf[start2 : start2 + length2], root_sm2)


def pyhanko_status(pdf: bytes, root: bytes, *, mode: str) -> Any:
    certs, ocsps, crls = dss(pdf) if b"/DSS" in pdf else ([], [], [])
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root)],
        other_certs=certs,
        ocsps=ocsps,
        crls=crls,
        allow_fetching=False,
        revocation_mode=mode,
        signature_validator=SIGNATURE_VALIDATOR,
    )
    # pyHanko lists no signature under the GM SubFilter; collect_signatures presents it as CAdES
    signature = collect_signatures(PdfFileReader(io.BytesIO(pdf)))[0]
    return validate_pdf_signature(signature, context, ts_validation_context=context)


def assert_sm2_revocation_data(
    ocsps: list[asn1_ocsp.OCSPResponse],
    crls: list[asn1_crl.CertificateList],
    subjects: list[asn1_x509.Certificate],
    *,
    pool: list[asn1_x509.Certificate],
    anchor: bytes,
) -> None:
    """Every OCSP answer and CRL signed SM3withSM2 by an SM2 CA (or its delegated responder) under
    `anchor`, and together they say `good` for each of `subjects` (the signer and the TSA)."""
    assert ocsps and crls
    now = timezone.now()
    good: set[int] = set()
    for response in ocsps:
        assert response["response_status"].native == "successful"
        basic = response["response_bytes"]["response"].parsed
        assert basic["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
        (responder,) = basic["certs"]
        assert responder.extended_key_usage_value.native == ["ocsp_signing"]
        assert_sm2_verifies(basic["signature"].native, basic["tbs_response_data"].dump(), responder)
        responder_path = chain_to(responder, pool, anchor)
        for single in basic["tbs_response_data"]["responses"]:
            cert_id = single["cert_id"]
            issuer = asn1_x509.Certificate.load(responder_path[1])  # delegated: the CA that certified it
            assert cert_id["hash_algorithm"]["algorithm"].dotted == SM3  # the 国密 CertID hash
            assert cert_id["issuer_key_hash"].native == sm3(bytes(issuer.public_key["public_key"]))
            assert single["cert_status"].name == "good" and single["next_update"].native > now
            good.add(cert_id["serial_number"].native)
    for crl in crls:
        assert crl["signature_algorithm"]["algorithm"].dotted == SM2_WITH_SM3
        candidates = {c.dump(): c for c in [*pool, asn1_x509.Certificate.load(anchor)]}
        (issuer,) = [c for c in candidates.values() if c.subject == crl.issuer]
        assert_sm2_verifies(crl["signature"].native, crl["tbs_cert_list"].dump(), issuer)
        chain_to(issuer, pool, anchor)
        assert crl["tbs_cert_list"]["next_update"].native > now
        revoked = {entry["user_certificate"].native for entry in crl["tbs_cert_list"]["revoked_certificates"]}
        assert not revoked & {c.serial_number for c in subjects}
    assert {c.serial_number for c in subjects} <= good


def test_the_ses_signature_time_stamp_validates_under_root_sm2_alone(sm2_signing: Signing) -> None:
    pdf = sign_through_the_api(sm2_signing, "B-T")
    root_sm2 = anchor(Client(), "root-sm2")
    issuing_sm2 = anchor(Client(), "issuing-sm2")
    stored = ElectronicSignature.objects.get(record__certificate_serial=sm2_signing.certificate.serial)
    signature = ses_parse.parse_signature(bytes(stored.der))

    assert signature.timestamp is not None
    token = asn1_cms.ContentInfo.load(signature.timestamp)
    assert_sm2_time_stamp(token, signature.signature, root_sm2)
    # GB/T 38540 verification trusting root-sm2 alone for the maker, the signer and the TSA
    trust = SesTrust(
        makers=ChainValidator([root_sm2], [issuing_sm2], policy=policy_oids().seal_maker),
        signers=ChainValidator([root_sm2], [issuing_sm2]),
        timestamps=ChainValidator([root_sm2], [issuing_sm2], extended_key_usage="time_stamping"),
    )
    report = verify_signature(bytes(stored.der), pdf, trust=trust, at=timezone.now())
    assert report.valid, report.as_dict()
    assert report.timestamp_time is not None


def test_seals_made_before_the_operator_set_their_policy_arc_still_verify(sm2_signing: Signing, settings: Any) -> None:
    pdf = sign_through_the_api(sm2_signing, "B-T")
    stored = ElectronicSignature.objects.get(record__certificate_serial=sm2_signing.certificate.serial)

    settings.PKI_POLICY_ARC = "1.2.156.112233.9"  # the operator's own arc, set after the seal was made
    verification = verify_ses(bytes(stored.der), pdf)

    assert verification.report.valid, verification.as_dict()


# --- B-LT: only the CRLs of the signature's own chains -------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "chains"),
    [
        # signer under issuing-rsa; time stamp by tsa-ecdsa under issuing-ecdsa; one root
        (RSA_2048, {"root-rsa", "issuing-rsa", "issuing-ecdsa"}),
        (ECDSA_P256, {"root-rsa", "issuing-ecdsa"}),
    ],
    ids=["rsa", "ecdsa"],
)
def test_an_international_b_lt_document_embeds_only_the_crls_of_its_chains(
    ca_hierarchy: Any,  # noqa: F811
    verified_person: Any,  # noqa: F811
    verified_enterprise: Any,  # noqa: F811
    signing_media: Any,  # noqa: F811
    tmp_path: Path,
    algorithm: Any,
    chains: set[str],
) -> None:
    signing = make_signing(verified_person, verified_enterprise, algorithm=algorithm, callback_url="")
    pdf = sign_through_the_api(signing, "B-LT")

    assert crl_issuers(pdf) == chains  # no SM2 CRL, no CRL of a CA off its chains
    root_rsa = anchor(Client(), "root-rsa")
    status = pyhanko_status(pdf, root_rsa, mode="require")
    assert status.bottom_line and status.timestamp_validity is not None and status.timestamp_validity.trusted
    (report,) = verify_pdf(pdf, trust_roots=[root_rsa]).signatures
    assert report.valid and report.revocation == "good" and report.level == "B-LT"
    assert_pdfsig_valid(pdf, root_rsa, tmp_path)


def test_an_sm2_b_lt_document_embeds_only_sm2_crls(sm2_signing: Signing) -> None:
    pdf = sign_through_the_api(sm2_signing, "B-LT")

    assert crl_issuers(pdf) == {"root-sm2", "issuing-sm2"}


@pytest.mark.django_db(transaction=True)
def test_pdfsig_trusts_an_rsa_b_lt_document_asking_our_live_ocsp_responder(
    ca_hierarchy: Any,  # noqa: F811
    verified_person: Any,  # noqa: F811
    verified_enterprise: Any,  # noqa: F811
    signing_media: Any,  # noqa: F811
    live_server: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    """pdfsig (NSS) asks the OCSP responder named in the signer's certificate: with the platform
    serving at that address it trusts the signature. (Without a responder to ask, as in the other
    tests, NSS reports "Unknown issue with Certificate".)"""
    settings.PUBLIC_BASE_URL = live_server.url  # the signer's certificate points its OCSP here
    signing = make_signing(verified_person, verified_enterprise, callback_url="")
    pdf = sign_through_the_api(signing, "B-LT")

    assert_pdfsig_valid(pdf, anchor(Client(), "root-rsa"), tmp_path, trusted=True)


def assert_pdfsig_valid(pdf: bytes, root: bytes, tmp_path: Path, *, trusted: bool = False) -> None:
    """poppler's pdfsig, trusting `root` in a fresh NSS database: the signature is intact after the
    DSS revision; with `trusted`, NSS also trusts the certificate (it asks the OCSP responder named
    in the certificate, so only a test with a live server can ask for that)."""
    if shutil.which("pdfsig") is None or shutil.which("certutil") is None:
        pytest.skip("pdfsig or certutil is not installed")
    database = tmp_path / "nss"
    database.mkdir()
    (tmp_path / "root.der").write_bytes(root)
    subprocess.run(["certutil", "-N", "-d", f"sql:{database}", "--empty-password"], check=True)
    command = [
        "certutil",
        "-A",
        "-d",
        f"sql:{database}",
        "-n",
        "root",
        "-t",
        "CT,C,C",
        "-i",
        str(tmp_path / "root.der"),
    ]
    subprocess.run(command, check=True)
    (tmp_path / "signed.pdf").write_bytes(pdf)
    (signature,) = [s for s in run_pdfsig(tmp_path / "signed.pdf", f"sql:{database}") if not s.is_document_timestamp]
    assert signature.says("Signature Validation: Signature is Valid."), signature
    if trusted:
        assert signature.says("Certificate Validation: Certificate is Trusted."), signature
