"""The evidence report (签署报告): made for a signed task, signed by the platform, carrying its
evidence as an embedded JSON file, logged at each issue, and checked offline by both verifiers
(`inkseal evidence verify` and the standalone tools/verify_evidence.py, run as its own process
without the platform on its path), which catch every tampering the issue lists with a reason."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from inkseal.audit import events as audit_events
from inkseal.audit.models import AuditEntry
from inkseal.core.acting import Acting
from inkseal.evidence import checkpoint as notes
from inkseal.evidence import offline, reports
from inkseal.evidence.models import EvidenceReport, LogKey, LogLeaf
from inkseal.evidence.report_pdf import build_report_pdf
from inkseal.evidence.report_signing import sign_report
from inkseal.evidence.services import log_event, log_origin, verifiers
from inkseal.pki.algorithms import ECDSA_P256
from inkseal.pki.keystore_config import keystore
from inkseal.signing.models import SigningRecord, SignTask
from tests.pki.conftest import ca_hierarchy  # noqa: F401 - shared fixture
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import sign_through_api, text_pdf

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_evidence.py"


@pytest.fixture(autouse=True)
def _tsa(ca_hierarchy):  # noqa: F811 - reports and checkpoints are time-stamped by the platform's TSA
    pass


@dataclass
class Issued:
    pdf: bytes
    document: bytes
    task: SignTask


@pytest.fixture
def issued(signing: Any) -> Issued:
    log_event("test.event", {"n": 0})  # the signing leaf is not the first: its proof is not empty
    document = sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    task = SignTask.objects.get()
    report = reports.issue_report(reports.subject_of_task(task), acting=Acting.platform(task.platform))
    return Issued(report.pdf, document, task)


def published_keys() -> list[str]:
    return [v.text() for v in verifiers()]


def run_tool(tmp_path: Path, pdf: bytes, *extra: str, document: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """tools/verify_evidence.py as a court expert runs it: its own process, from another directory,
    with nothing of the platform importable."""
    (tmp_path / "report.pdf").write_bytes(pdf)
    args = [sys.executable, "-I", str(TOOL), "report.pdf", "--json", *extra]
    if document is not None:
        (tmp_path / "document.pdf").write_bytes(document)
        args += ["--document", "document.pdf"]
    for key in published_keys():
        args += ["--log-key", key]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert not done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def run_cli(tmp_path: Path, pdf: bytes, *extra: str, document: bytes | None = None) -> str:
    """`inkseal evidence verify`: the output, or CommandError with the failures."""
    (tmp_path / "report.pdf").write_bytes(pdf)
    args = ["evidence", "verify", str(tmp_path / "report.pdf"), *extra]
    if document is not None:
        (tmp_path / "document.pdf").write_bytes(document)
        args += ["--document", str(tmp_path / "document.pdf")]
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def failures(checks: dict[str, Any]) -> dict[str, str]:
    return {c["code"]: c["detail"] for c in checks["checks"] if c["ok"] is False}


def both_refuse(tmp_path: Path, pdf: bytes, code: str, reason: str, *extra: str, document: bytes | None = None) -> None:
    status, checks = run_tool(tmp_path, pdf, *extra, document=document)
    assert status == 1 and reason in failures(checks).get(code, ""), checks
    with pytest.raises(CommandError) as refused:
        run_cli(tmp_path, pdf, *extra, document=document)
    assert f"{code}: " in str(refused.value) and reason in str(refused.value)


# --- the report -----------------------------------------------------------------------------------


def test_a_report_states_the_signing_carries_its_evidence_and_both_verifiers_accept_it(issued: Issued, tmp_path: Path):
    record = SigningRecord.objects.get()
    raw, _start, _end = offline.embedded_evidence(issued.pdf)
    evidence = json.loads(raw)
    assert evidence["report"]["subject"] == {"kind": "task", "id": issued.task.public_id}
    [entry] = evidence["records"]
    assert entry["document"] == {"sha256_before": record.sha256_before, "sha256_after": record.sha256_after}
    assert entry["intent"]["method"] == "sms" and "****" in entry["intent"]["phone_masked"]
    assert issued.task.confirmer_phone not in raw.decode()  # personal data masked
    assert entry["certificate"]["serial"] == record.certificate_serial and entry["certificate"]["pem"].startswith(
        "-----BEGIN"
    )
    leaf = LogLeaf.objects.get(kind="signing.record")
    assert (entry["log"]["leaf_hash"], entry["log"]["index"]) == (leaf.leaf_hash, leaf.index) and entry["log"]["proof"]
    assert [s["level"] for s in entry["signatures"]] == [issued.task.pades_level]
    # the pages say it too (in Chinese by default)
    text = _pdf_text(issued.pdf)
    assert "电子签署报告" in text and record.event_id in text and "如何不依赖本平台自行核验" in text

    status, checks = run_tool(tmp_path, issued.pdf, document=issued.document)
    assert status == 0, checks
    codes = {c["code"] for c in checks["checks"] if c["ok"]}
    assert {
        "report_signature",
        "evidence_signed",
        "checkpoint_signature",
        "checkpoint_timestamp",
        "inclusion_proof",
        "document_hash",
    } <= codes
    sm2, ecdsa = [c["detail"] for c in checks["checks"] if c["code"] == "report_signature"]
    assert "(SM2)" in sm2 and "time-stamped" in sm2 and "ECDSA" in ecdsa
    out = run_cli(tmp_path, issued.pdf, "--json", document=issued.document)
    cli = json.loads(out)
    assert cli["ok"] and {"report_signer", "pades_validation", "report_root"} <= {
        c["code"] for c in cli["checks"] if c["ok"]
    }
    assert "B-LT" in " ".join(c["detail"] for c in cli["checks"] if c["code"] == "pades_validation")


def test_each_issue_of_a_report_is_a_log_leaf_and_an_audit_entry(issued: Issued):
    row = EvidenceReport.objects.get()
    leaf = json.loads(row.leaf.body)
    assert leaf["kind"] == "evidence.report" and leaf["event"]["report_id"] == row.report_id
    assert leaf["event"]["sha256"] == row.sha256 == hashlib.sha256(issued.pdf).hexdigest()
    entry = AuditEntry.objects.get(event=audit_events.EVIDENCE_REPORT_ISSUE)
    assert entry.target == f"task:{issued.task.public_id}" and entry.actor_kind == "platform"


def test_the_report_is_english_when_asked(signing: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    record = SigningRecord.objects.get()
    report = reports.issue_report(reports.subject_of_record(record), acting=Acting.system(), language="en")
    evidence = json.loads(offline.embedded_evidence(report.pdf)[0])
    assert evidence["report"]["language"] == "en"
    # the labels the catalogue already translates come out in English (the report's own headings
    # follow once the lead regenerates the catalogue: they are marked, see report_pdf._)
    text = _pdf_text(report.pdf)
    assert "SMS code" in text and "Succeeded" in text and "短信验证码" not in text


def test_a_record_signed_before_the_log_existed_gets_a_clear_refusal(signing: Any):
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    LogLeaf.objects.filter(kind="signing.record").update(subject="")
    with pytest.raises(reports.RecordNotLogged):
        reports.issue_report(reports.subject_of_record(SigningRecord.objects.get()), acting=Acting.system())


# --- tampering, each caught by both verifiers with its reason --------------------------------------


def test_a_changed_byte_in_the_report_is_caught(issued: Issued, tmp_path: Path):
    content = issued.pdf.index(b"stream\n", issued.pdf.index(b"/Filter /FlateDecode")) + 40
    tampered = _flip(issued.pdf, content)
    both_refuse(tmp_path, tampered, "report_signature", "the signed bytes were changed")


def test_a_changed_byte_in_the_embedded_json_is_caught(issued: Issued, tmp_path: Path):
    raw, start, _end = offline.embedded_evidence(issued.pdf)
    at = start + raw.index(b'"sha256_after":"') + len(b'"sha256_after":"')
    tampered = issued.pdf[:at] + (b"0" if issued.pdf[at : at + 1] != b"0" else b"1") + issued.pdf[at + 1 :]
    assert json.loads(offline.embedded_evidence(tampered)[0])  # still readable JSON, one digit changed
    both_refuse(tmp_path, tampered, "report_signature", "the signed bytes were changed")


def test_a_changed_byte_in_the_document_is_caught(issued: Issued, tmp_path: Path):
    tampered = _flip(issued.document, len(issued.document) // 3)
    both_refuse(tmp_path, issued.pdf, "document_hash", "none of the report's documents", document=tampered)


def test_a_proof_for_another_leaf_is_caught(issued: Issued, tmp_path: Path):
    other = LogLeaf.objects.get(kind="test.event")
    evidence = _evidence_of(issued)
    proof = merkle_proof_of(other.leaf_hash, evidence["log"]["checkpoint"]["size"])
    evidence["records"][0]["log"]["proof"] = proof  # the platform (or someone) swapped the proof
    forged = sign_report(build_report_pdf(evidence)).pdf
    both_refuse(tmp_path, forged, "inclusion_proof", "does not lead to the checkpoint's root")


def test_a_checkpoint_signed_by_another_key_is_caught(issued: Issued, tmp_path: Path):
    evidence = _evidence_of(issued)
    cp = evidence["log"]["checkpoint"]
    store = keystore()
    rogue = store.signer(store.generate_key(ECDSA_P256, "rogue"))
    cp["note"] = notes.sign(
        notes.Checkpoint(log_origin(), cp["size"], bytes.fromhex(cp["root_hash"])), log_origin(), [rogue]
    )
    evidence["log"]["verifier_keys"] = [notes.Verifier.for_key(log_origin(), rogue.public_key).text()]
    forged = sign_report(build_report_pdf(evidence)).pdf
    both_refuse(tmp_path, forged, "checkpoint_signature", "not signed by any trusted log key")


def test_a_forked_log_is_caught(issued: Issued, tmp_path: Path):
    """The log signs two checkpoints of the same size with different roots (shown to two parties)."""
    evidence = _evidence_of(issued)
    cp = evidence["log"]["checkpoint"]
    handles = [keystore(k.key_backend).signer(k.key_id) for k in LogKey.objects.all()]
    fork = notes.sign(notes.Checkpoint(log_origin(), cp["size"], b"\x07" * 32), log_origin(), handles)
    (tmp_path / "seen.txt").write_text(fork, "utf-8")
    both_refuse(tmp_path, issued.pdf, "fork", "the log is forked", "--checkpoint", str(tmp_path / "seen.txt"))
    (tmp_path / "seen.txt").write_text(cp["note"], "utf-8")  # the same checkpoint: no fork
    status, _checks = run_tool(tmp_path, issued.pdf, "--checkpoint", "seen.txt")
    assert status == 0


def test_a_report_signed_by_another_certificate_of_our_ca_is_refused_by_the_platform(
    issued: Issued, signing: Any, tmp_path: Path
):
    """Any certificate holder of our CA could sign a made-up report; only report certificates count."""
    from inkseal.evidence.models import ReportSigner

    for row in ReportSigner.objects.all():  # as if the platform's report certificates were others
        ReportSigner.objects.filter(pk=row.pk).update(fingerprint=hashlib.sha256(row.fingerprint.encode()).hexdigest())
    with pytest.raises(CommandError, match="not by a report certificate of this platform"):
        run_cli(tmp_path, issued.pdf)


# --- the standalone verifier stands alone ---------------------------------------------------------


def test_the_standalone_verifier_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(TOOL.read_text("utf-8"))
    modules = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    modules |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}
    assert TOOL.read_bytes() == (ROOT / "inkseal" / "evidence" / "offline.py").read_bytes()


def test_its_sm2_and_sm3_agree_with_the_platforms():
    from inkseal.pki import gm

    assert offline.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert offline.sm3(b"abcd" * 16) == gm.sm3(b"abcd" * 16)
    key = gm.Sm2PrivateKey.generate()
    signature = key.sign(b"checkpoint")
    assert offline.verify_with_spki(key.public_key.spki_der, signature, b"checkpoint")
    assert not offline.verify_with_spki(key.public_key.spki_der, signature, b"checkpoinT")


# --- helpers ----------------------------------------------------------------------------------------


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _evidence_of(issued: Issued) -> dict[str, Any]:
    return json.loads(offline.embedded_evidence(issued.pdf)[0])


def merkle_proof_of(leaf_hash: str, size: int) -> list[str]:
    from inkseal.evidence.services import inclusion_proof

    return [h.hex() for h in inclusion_proof(leaf_hash, size).hashes]


def _pdf_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
