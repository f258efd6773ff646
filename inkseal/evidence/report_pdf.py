"""The evidence report (签署报告) as a PDF, from a plain evidence dict. Pure: no Django, no database.

`build_report_pdf(evidence, translate=...)` typesets what the dict says (parties and how each was
verified, the authorisation, the intent confirmation, each document's hashes, each signature,
the log leaf, its inclusion proof and the checkpoint) and embeds the dict itself, as canonical
JSON, as the attachment `EVIDENCE_FILE_NAME`: the pages are for people, the attachment is what
verifiers read. Headings are Chinese source strings marked with `_` (for makemessages) and
passed through `translate` (the caller's gettext in the reader's language).

The layout (fonts, CJK line breaking) is the user manual's (`portal.manual_pdf`).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align

from inkseal.portal.manual_pdf import (
    BOTTOM_MARGIN,
    BRAND,
    GREY,
    MARGIN,
    RULE,
    SHADE,
    ManualPDF,
    Run,
    locate_manual_fonts,
)

# fontTools logs every subset's glyph lists at INFO: formatting them costs more than the subsetting
logging.getLogger("fontTools").setLevel(logging.WARNING)

EVIDENCE_FILE_NAME = "inkseal-evidence.json"
FORMAT = "inkseal-evidence/1"


def _(text: str) -> str:
    """Marks a string for translation; `translate` translates it when the report is typeset."""
    return text


def evidence_bytes(evidence: dict[str, Any]) -> bytes:
    """The attachment's bytes: canonical JSON (sorted keys, no whitespace, UTF-8)."""
    return json.dumps(evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_report_pdf(evidence: dict[str, Any], *, translate: Callable[[str], str] = str) -> bytes:
    """The report's pages and the embedded evidence JSON. The platform's signature is added
    afterwards over these bytes, its seal shown at the keyword `SIGNATURE_ANCHOR`."""
    pdf = _ReportPDF(evidence, translate)
    pdf.write_report()
    return bytes(pdf.output())


class _ReportPDF(ManualPDF):
    def __init__(self, evidence: dict[str, Any], translate: Callable[[str], str]) -> None:
        self.t = translate
        self.evidence = evidence
        # the manual's page set-up with two faces, not three: the code face is the regular one (each
        # CJK face parsed costs about a second)
        FPDF.__init__(self, orientation="P", unit="mm", format="A4")
        self.manual_title = translate(_("电子签署报告"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM_MARGIN)
        fonts = locate_manual_fonts()
        self.add_font("cjk", "", str(fonts.regular.path), collection_font_number=fonts.regular.index)
        self.add_font("cjk", "B", str(fonts.bold.path), collection_font_number=fonts.bold.index)
        report = evidence["report"]
        self.set_title(translate(_("电子签署报告")) + f" {report['id']}")
        self.set_creator("Inkseal")
        self.set_creation_date(datetime.fromisoformat(report["issued_at"]))
        self.embed_file(
            bytes=evidence_bytes(evidence),
            basename=EVIDENCE_FILE_NAME,
            desc=translate(_("机器可读的存证数据（规范 JSON）")),
            mime_type="application/json",
            modification_date=datetime.fromisoformat(report["issued_at"]),
        )

    def use(self, style: str, size: float) -> None:
        self.set_font("cjk", "" if style == "code" else style, size * (0.92 if style == "code" else 1.0))

    def header(self) -> None:  # every page, the first too: a report has no cover
        self.set_font("cjk", "", 8)
        self.set_text_color(*GREY)
        self.set_xy(MARGIN, 9)
        self.cell(0, 5, f"{self.manual_title}  ·  {self.evidence['report']['id']}", align=Align.R)
        self.set_draw_color(*RULE)
        self.line(MARGIN, 14.5, self.w - MARGIN, 14.5)
        self.set_xy(MARGIN, MARGIN)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.t(_("第 %(page)s 页")) % {"page": self.page_no()}, align=Align.C)

    # building blocks ------------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        if self.will_page_break(20):
            self.add_page()
        self.ln(3)
        self.set_font("cjk", "B", 13)
        self.set_text_color(*BRAND)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.ln(2)
        self.set_text_color(33, 37, 41)

    def subheading(self, text: str) -> None:
        if self.will_page_break(14):
            self.add_page()
        self.ln(1)
        self.flow([Run(text, "B")], size=11)

    def para(self, text: str, *, size: float = 10) -> None:
        self.flow([Run(text)], size=size, line_height=5.6)

    def fields(self, rows: list[tuple[str, Any]]) -> None:
        """Label: value lines; values that are long hex or PEM are set in the monospace face."""
        for label, value in rows:
            if value in (None, "", []):
                value = "—"
            text = str(value)
            style = "code" if _looks_technical(text) else ""
            self.flow([Run(f"{label}：", "B"), Run(text, style)], size=9.5, line_height=5.2, indent=2)

    def block(self, text: str) -> None:
        """Preformatted text (checkpoint note, PEM) on a shaded background."""
        self.set_fill_color(*SHADE)
        for line in text.splitlines() or [""]:
            if self.will_page_break(4.2):
                self.add_page()
            self.set_x(MARGIN + 2)
            self.use("code", 7.5)
            self.multi_cell(self.content_width - 4, 4.0, line or " ", fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    # the report --------------------------------------------------------------------------------------

    def write_report(self) -> None:
        t, ev = self.t, self.evidence
        report = ev["report"]
        self.add_page()
        self.set_font("cjk", "B", 20)
        self.set_text_color(*BRAND)
        self.cell(0, 14, t(_("电子签署报告")), align=Align.C, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(33, 37, 41)
        self.fields(
            [
                (t(_("报告编号")), report["id"]),
                (t(_("出具时间")), report["issued_at"]),
                (t(_("出具方")), report["issuer"]),
                (t(_("报告对象")), f"{report['subject_label']} {report['subject']['id']}"),
                (t(_("存证日志")), ev["log"]["origin"]),
            ]
        )
        self.para(
            t(
                _(
                    "本报告由平台根据其数据库与透明日志出具，并以平台证书签名（PAdES B-LT，另附 SM2 签名）。"
                    "报告所附的 inkseal-evidence.json 为机器可读的存证数据；第 7 节说明如何不依赖平台自行核验。"
                )
            ),
            size=9,
        )
        self._parties()
        self._authorisation()
        for number, record in enumerate(ev["records"], start=1):
            self._record(number, record)
        self._checkpoint()
        self._how_to_check()
        self._signature_box()

    def _parties(self) -> None:
        t = self.t
        self.heading(t(_("1. 签署方及身份核验")))
        for party in self.evidence["parties"]:
            self.subheading(f"{party['role_label']}：{party['name']}")
            verification = party.get("verification") or {}
            self.fields(
                [
                    (t(_("主体类型")), party.get("kind_label")),
                    (t(_("实名认证状态")), verification.get("state_label")),
                    (t(_("实名认证方式")), verification.get("method_label")),
                    (t(_("认证完成时间")), verification.get("verified_at")),
                    (t(_("证件号码")), verification.get("id_number_masked")),
                    (t(_("手机号")), verification.get("phone_masked")),
                ]
            )

    def _authorisation(self) -> None:
        t = self.t
        auth = self.evidence["authorisation"]
        self.heading(t(_("2. 授权")))
        self.fields(
            [
                (t(_("交易平台")), auth.get("platform")),
                (t(_("业务类型")), auth.get("business_type")),
                (t(_("业务ID")), auth.get("business_id")),
                (t(_("被授权人")), auth.get("grantee")),
                (t(_("被授权人手机号")), auth.get("grantee_phone")),
                (t(_("授权有效期")), auth.get("valid")),
                (t(_("说明")), auth.get("note")),
            ]
        )

    def _record(self, number: int, record: dict[str, Any]) -> None:
        t = self.t
        self.heading(t(_("3.%(n)s 文件与签名：%(name)s")) % {"n": number, "name": record["file_name"]})
        intent = record["intent"]
        self.subheading(t(_("签署意愿确认")))
        self.fields(
            [
                (t(_("方式")), intent.get("method_label")),
                (t(_("验证码发送至")), intent.get("phone_masked")),
                (t(_("确认时间")), intent.get("confirmed_at")),
            ]
        )
        self.subheading(t(_("文件")))
        self.fields(
            [
                (t(_("应用记录（事件ID）")), record["event_id"]),
                (t(_("文件名称")), record["file_name"]),
                (t(_("签署前 SHA-256")), record["document"]["sha256_before"]),
                (t(_("签署后 SHA-256")), record["document"]["sha256_after"]),
                (t(_("签署时间")), record["at"]),
                (t(_("结果")), record["result_label"]),
                (t(_("原因")), record.get("reason")),
            ]
        )
        cert = record["certificate"]
        self.subheading(t(_("签名证书")))
        self.fields(
            [
                (t(_("主题")), cert.get("subject")),
                (t(_("序列号")), cert.get("serial")),
                (t(_("签发者")), cert.get("issuer")),
                (t(_("算法")), cert.get("algorithm")),
                (t(_("有效期")), f"{cert.get('not_before')} — {cert.get('not_after')}"),
                (t(_("SHA-256 指纹")), cert.get("sha256")),
                (t(_("证书链")), " → ".join(cert.get("chain_subjects", []))),
            ]
        )
        for signature in record.get("signatures", []):
            self.fields(
                [
                    (t(_("签名域")), signature.get("field")),
                    (t(_("时间戳时间")), signature.get("timestamp_time")),
                    (t(_("时间戳服务")), signature.get("tsa")),
                    (t(_("PAdES 级别")), signature.get("level")),
                ]
            )
        if not record.get("signatures"):
            self.fields(
                [(t(_("PAdES 级别")), record.get("pades_level")), (t(_("时间戳")), record.get("timestamp_note"))]
            )
        for seal in record.get("seals", []):
            self.subheading(
                t(_("印章：%(kind)s %(name)s")) % {"kind": seal.get("kind_label"), "name": seal.get("name")}
            )
            self.fields([(t(_("印章图片 SHA-256")), seal.get("image_sha256"))])
            if seal.get("image_png"):
                if self.will_page_break(32):
                    self.add_page()
                self.image(base64.b64decode(seal["image_png"]), x=MARGIN + 4, w=28)
        leaf = record["log"]
        self.subheading(t(_("透明日志叶子与包含证明")))
        self.fields(
            [
                (t(_("叶子序号")), leaf["index"]),
                (t(_("叶子哈希")), leaf["leaf_hash"]),
                (t(_("证明所依据的树大小")), leaf["tree_size"]),
            ]
        )
        self.para(t(_("叶子内容（规范 JSON，个人信息仅以掩码和哈希出现）：")), size=9)
        self.block(leaf["body"])
        self.para(t(_("包含证明（RFC 9162 审计路径，自下而上）：")), size=9)
        self.block("\n".join(leaf["proof"]) or t(_("（树中只有这一片叶子，证明为空）")))

    def _checkpoint(self) -> None:
        t = self.t
        log = self.evidence["log"]
        checkpoint = log["checkpoint"]
        self.heading(t(_("4. 检查点（签名树头）")))
        self.fields(
            [
                (t(_("树大小")), checkpoint["size"]),
                (t(_("根哈希")), checkpoint["root_hash"]),
                (t(_("时间戳时间")), checkpoint.get("stamped_at")),
            ]
        )
        self.para(t(_("C2SP 签名检查点（signed note）原文：")), size=9)
        self.block(checkpoint["note"])
        self.heading(t(_("5. 日志公钥")))
        self.para(t(_("验证检查点签名所用的公钥（亦公布于 /api/v1/log/keys）：")), size=9)
        self.block("\n".join(log["verifier_keys"]))
        self.heading(t(_("6. 报告签名")))
        self.para(
            t(
                _(
                    "本报告有两个签名：平台 ECDSA 证书的 PAdES B-LT 签名（含时间戳、证书链与吊销信息），"
                    "以及平台 SM2 证书的签名（GM/T 0010，国密视图）。任何一个字节的改动都会使签名失效。"
                )
            ),
            size=9,
        )

    def _how_to_check(self) -> None:
        t = self.t
        self.heading(t(_("7. 如何不依赖本平台自行核验")))
        steps = [
            _("用任一 PDF 阅读器或验签工具核验本报告的签名：签名覆盖整个文件，证书链至平台根 CA。"),
            _("取出附件 inkseal-evidence.json；其内容与本报告各页所列一致。"),
            _("如持有签署后的文件，计算其 SHA-256，应与上文“签署后 SHA-256”一致。"),
            _(
                "对每个叶子：计算 SHA-256(0x00 || 叶子内容)，应等于叶子哈希；"
                "再按 RFC 9162 第 2.1.3.2 节用包含证明算出根哈希，应等于检查点的根哈希。"
            ),
            _("用日志公钥核验检查点的签名（C2SP signed note）；公钥应与平台公布的、或您此前保存的一致。"),
            _("保存检查点。同一树大小若出现根哈希不同的两个检查点，即证明日志被篡改（分叉）。"),
            _("以上各步可由独立脚本 tools/verify_evidence.py 完成（仅需 Python 标准库与 cryptography）："),
        ]
        for number, step in enumerate(steps, start=1):
            self.flow([Run(f"{number}. "), Run(t(step))], size=9.5, line_height=5.4, indent=2)
        self.block("python3 verify_evidence.py report.pdf --document signed.pdf --log-key <verifier key>")

    def _signature_box(self) -> None:
        t = self.t
        if self.will_page_break(70):
            self.add_page()
        self.ln(4)
        self.set_font("cjk", "", 10)
        self.cell(0, 6, t(_("出具方：%(issuer)s")) % {"issuer": self.evidence["report"]["issuer"]}, align=Align.R)
        self.ln(6)
        self.cell(0, 6, self.evidence["report"]["issued_at"], align=Align.R)
        self.ln(24)
        # the platform's signatures (and their seals) are centred on this keyword (signing.core.placement)
        self.set_font("cjk", "", 6)
        self.set_text_color(255, 255, 255)
        self.set_x(self.w - MARGIN - 60)
        self.cell(40, 3, SIGNATURE_ANCHOR, align=Align.C)
        self.ln(24)
        self.set_text_color(33, 37, 41)


SIGNATURE_ANCHOR = "InksealEvidenceReportSignature"


def _looks_technical(text: str) -> bool:
    return len(text) >= 32 and all(c in "0123456789abcdefABCDEF:+/=-" for c in text)
