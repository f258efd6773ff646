"""A document sealed twice with the same certificate, as poppler's pdfsig (NSS) sees it.

pdfsig 22.12 may say "Unknown issue with Certificate or corrupted data" for the second and later
signatures made with a certificate NSS knows only from inside the signatures. The cause is not in
our signatures or DSS: poppler frees each signature's CMS after checking it while NSS keeps the
temporary certificates made from its DER without a copy, and the next signature with the same
certificate is compared against that freed memory (valgrind shows the invalid reads, for a
document pyHanko's own signer signed twice exactly as for ours). The verdict then depends on
what the freed memory holds: pyHanko-signed and our documents get it alike, for B-B and B-T;
B-LT happened to pass in our runs. pyHanko, endesive and OpenSSL accept both signatures, and
NSS's own chain check (vfychain) accepts the chain. Once NSS holds the certificate itself (a
relying party that imported it), pdfsig trusts both signatures.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko_certvalidator.registry import SimpleCertificateStore

from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, Placement
from tests.helpers.signing_pki import TestPki, to_asn1
from tests.signing.conftest import CORPUS, assert_pyhanko_valid, pyhanko_statuses, run_pdfsig


@pytest.fixture(scope="module")
def root_only_nss(tmp_path_factory: pytest.TempPathFactory, pki: TestPki) -> str:
    """An NSS database that trusts our test root and knows no other certificate."""
    directory = tmp_path_factory.mktemp("nss-root-only")
    root = directory / "root.pem"
    root.write_bytes(pki.root_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "root", "-t", "CT,C,C", "-i", str(root)], check=True
    )
    return f"sql:{directory}"


def ours_twice(pki: TestPki, seal: SealImage, level: str) -> bytes:
    signed: bytes | object = (CORPUS / "minimal-document.pdf").read_bytes()
    for x in (150, 420):
        timestamper = pki.timestamper() if level == "B-T" else None
        signed = sign_pdf(
            signed,  # type: ignore[arg-type]
            signer=pki.seal_signer(),
            placements=[Placement(seal, AtPoint(1, x, 300))],
            pades_level=level,
            timestamper=timestamper,
        )
    assert isinstance(signed, bytes)
    return signed


def pyhanko_twice(pki: TestPki, level: str) -> bytes:
    """The same key and certificate through pyHanko's own signer and CMS."""
    key = asn1_keys.PrivateKeyInfo.load(
        pki.signer_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=to_asn1(pki.signer_cert),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([to_asn1(pki.issuing), to_asn1(pki.root)]),
    )
    document = (CORPUS / "minimal-document.pdf").read_bytes()
    for number in (1, 2):
        name = f"PyHanko{number}"
        out = io.BytesIO()
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(document)),
            PdfSignatureMetadata(field_name=name, subfilter=fields.SigSeedSubFilter.PADES),
            signer=signer,
            timestamper=pki.timestamper() if level == "B-T" else None,
            new_field_spec=fields.SigFieldSpec(name, box=(100 * number, 100, 100 * number + 80, 180)),
            output=out,
        )
        document = out.getvalue()
    return document


def certificate_verdicts(pdf: bytes, nss: str, path: Path) -> list[str]:
    path.write_bytes(pdf)
    signatures = [s for s in run_pdfsig(path, nss) if not s.is_document_timestamp]
    for signature in signatures:
        assert signature.says("Signature Validation: Signature is Valid."), signature
    return [next(line for line in s.lines if line.startswith("- Certificate Validation")) for s in signatures]


def test_both_seals_valid_for_pyhanko_and_trusted_by_pdfsig_once_nss_knows_the_certificate(
    pki: TestPki, seal: SealImage, nss_dir: str, tmp_path: Path
) -> None:
    """nss_dir also holds the seal certificate (no trust of its own): the chain still ends at the root."""
    ours = ours_twice(pki, seal, "B-T")
    for status in pyhanko_statuses(ours, pki):
        assert_pyhanko_valid(status)

    verdicts = certificate_verdicts(ours, nss_dir, tmp_path / "ours.pdf")

    assert verdicts == ["- Certificate Validation: Certificate is Trusted."] * 2


def test_pdfsig_reads_freed_memory_on_a_repeated_certificate_in_pyhankos_document_as_in_ours(
    pki: TestPki, seal: SealImage, root_only_nss: str, tmp_path: Path
) -> None:
    """Where the verdict on the second signature comes from: poppler 22.12 frees each signature's
    CMS (and the certificate DER in it) after checking it, yet NSS keeps the temporary
    certificates made from that DER; the next signature with the same certificate compares
    against freed memory, so what pdfsig says depends on what happens to be there."""
    documents = {"ours": ours_twice(pki, seal, "B-B"), "pyhanko": pyhanko_twice(pki, "B-B")}
    runs = {}
    for name, pdf in documents.items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf)
        command = ["valgrind", "--error-limit=no", "pdfsig", "-nssdir", root_only_nss, str(path)]
        runs[name] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    for name, run in runs.items():
        _, report = run.communicate(timeout=300)
        errors = report.split("Invalid read")[1:]
        assert errors, f"{name}: no invalid read"
        assert any(
            "CERT_NewTempCertificate" in error and "SignatureHandler::~SignatureHandler" in error for error in errors
        ), f"{name}: {report[-3000:]}"
