"""`inkseal verify <file.pdf|file.ofd> [--json] [--password X]`: the report of POST /api/v1/verify
(an OFD file is told by its content and reported seal by seal).

Exit status: 0 when every signature is valid, 1 when a signature fails (or there is none),
2 when the file cannot be verified (missing, not a PDF or OFD, damaged, encrypted, too large).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from inkseal.core.errors import FileMissing
from inkseal.signing.core.errors import PdfError
from inkseal.signing.core.ofd.errors import OfdError
from inkseal.signing.verification.ofd import OfdCheckedSignature, OfdVerification
from inkseal.signing.verification.services import CheckedSignature, Verification, check_upload_size, verify_document

EXIT_INVALID = 1
EXIT_BAD_FILE = 2


class Command(BaseCommand):
    help = "Verify the signatures of a PDF or OFD (验签); exits 1 when a signature fails, 2 when the file is bad."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="print the JSON report of POST /api/v1/verify")
        parser.add_argument("--password", default=None, help="the PDF's open password, when it is encrypted")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            if not path.is_file():
                raise FileMissing(_("文件不存在：%(path)s") % {"path": path})
            check_upload_size(path.stat().st_size)
            with path.open("rb") as handle:
                verification = verify_document(handle, password=options["password"])
        except (PdfError, OfdError, FileMissing) as exc:
            if options["json"]:
                self.stdout.write(json.dumps(exc.as_dict(), ensure_ascii=False))
            raise CommandError(f"{exc.code}: {exc.message}", returncode=EXIT_BAD_FILE)
        if options["json"]:
            self.stdout.write(json.dumps(verification.as_dict(), ensure_ascii=False, indent=2))
        elif isinstance(verification, OfdVerification):
            self.stdout.write(ofd_report(path.name, verification))
        else:
            self.stdout.write(human_report(path.name, verification))
        if not verification.all_valid:
            raise SystemExit(EXIT_INVALID)


def human_report(name: str, verification: Verification) -> str:
    verdict = _("全部签名有效") if verification.all_valid else _("验签未通过")
    lines = [f"{name}  SHA-256 {verification.sha256}", f"{verdict}（{len(verification.signatures)}）"]
    if verification.modified_after_signing:
        lines.append(f"  ! {verification.summary}")
    lines += [f"  ! {message}" for message in verification.messages]
    for number, signature in enumerate(verification.signatures, 1):
        lines += ["", *_signature_lines(number, signature)]
    return "\n".join(lines)


def _signature_lines(number: int, signature: CheckedSignature) -> list[str]:
    report = signature.report
    certificate = report.certificate
    status = _("有效") if signature.valid else _("无效")
    ca = certificate.issuer_cn if certificate else None
    if signature.ca_name:
        ca = f"{ca}（{signature.ca_name}）"
    timestamp = "—"
    if report.timestamp is not None:
        timestamp = f"{_time(report.timestamp.time)} {report.timestamp.tsa or ''} " + (
            _("有效") if report.timestamp.valid else _("无效")
        )
    rows = [
        (_("签署人"), certificate.subject_cn if certificate else "—"),
        (_("证书序列号"), certificate.serial_hex if certificate else "—"),
        (_("签发CA"), ca or "—"),
        (_("签名时间"), _time(report.signing_time)),
        (_("时间戳"), timestamp),
        (_("文档完整性"), _("未被修改") if report.intact else _("签名后被篡改")),
        (_("签名后的修改"), signature.changes_text + _fields(report.changes.fields_changed)),
        (_("证书链"), _("可信") if report.trusted else _("不可信")),
        (_("吊销状态"), {"good": _("未吊销"), "revoked": _("已吊销")}.get(report.revocation, _("未知"))),
        (_("签名格式"), " · ".join(part for part in (report.signature_format, report.level) if part) or "—"),
    ]
    lines = [f"[{number}] {report.field_name}: {status}"]
    lines += [f"    {label}: {value}" for label, value in rows]
    lines += [f"    ! {message}" for message in signature.messages]
    return lines


def ofd_report(name: str, verification: OfdVerification) -> str:
    verdict = _("全部签章有效") if verification.all_valid else _("验签未通过")
    lines = [f"{name}  SHA-256 {verification.sha256}  OFD", f"{verdict}（{len(verification.signatures)}）"]
    if verification.modified_after_signing or not verification.signatures:
        lines.append(f"  ! {verification.summary}")
    for number, signature in enumerate(verification.signatures, 1):
        lines += ["", *_ofd_signature_lines(number, signature)]
    return "\n".join(lines)


def _ofd_signature_lines(number: int, signature: OfdCheckedSignature) -> list[str]:
    report = signature.report
    data = signature.as_dict()
    certificate = data["certificate"] or {}
    ca = certificate.get("issuer") or "—"
    if signature.ca_name:
        ca = f"{ca}（{signature.ca_name}）"
    seal = signature.seal
    rows = [
        (_("状态"), signature.status_text),
        (_("签署人"), signature.signer_name or "—"),
        (_("证书序列号"), certificate.get("serial_hex") or "—"),
        (_("签发CA"), ca),
        (_("证书链"), _("可信") if report.trusted else _("不可信")),
        (_("签名时间"), _time(report.signing_time)),
        (_("时间戳"), _time(report.timestamp_time)),
        (_("签名格式"), signature.standard_text),
    ]
    if seal is not None:
        rows += [
            (_("印章名称"), seal["name"]),
            (_("制章者"), seal["maker"] or "—"),
            (_("印章有效期"), f"{_time(seal['valid_start'])} – {_time(seal['valid_end'])}"),
        ]
    if report.changed:
        rows.append((_("签章后被修改的文件"), "、".join(report.changed)))
    status = _("有效") if signature.valid else _("无效")
    lines = [f"[{number}] {report.id} ({report.type}) {report.entry}: {status}"]
    lines += [f"    {label}: {value}" for label, value in rows]
    lines += [f"    ! {message}" for message in signature.messages]
    return lines


def _time(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _fields(names: tuple[str, ...]) -> str:
    return f"（{'、'.join(names)}）" if names else ""
