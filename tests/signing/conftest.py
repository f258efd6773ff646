"""Fixtures for the pure PDF signing tests: a throwaway PKI, seal pictures, corpus files, and the
independent checkers (poppler's pdfsig with an NSS database, qpdf, pyHanko's validator).

No database: these tests exercise inkseal.signing only.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image, ImageDraw
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from inkseal.signing.core.appearance import SealImage
from tests.helpers.signing_pki import TestPki, make_test_pki, to_asn1

CORPUS = Path("/work/shared/corpus/pdf")
CORPUS_PASSWORD = "openpassword"
ENCRYPTED = "libreoffice-writer-password.pdf"
SEAL_RED = (220, 20, 30)


@pytest.fixture(scope="session")
def pki() -> TestPki:
    return make_test_pki("rsa")


@pytest.fixture(scope="session")
def ec_pki() -> TestPki:
    return make_test_pki("ec", signer_name="ECDSA 测试有限公司")


def red_seal_png(size: int = 420) -> bytes:
    """A red ring touching the picture's edges, a star, and a bar at the top (to see which way is up)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), outline=(*SEAL_RED, 255), width=size // 24)
    draw.regular_polygon((size / 2, size / 2, size / 6), 5, fill=(*SEAL_RED, 255))
    draw.rectangle((size * 0.4, size * 0.12, size * 0.6, size * 0.2), fill=(*SEAL_RED, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def seal() -> SealImage:
    return SealImage(red_seal_png(), width_mm=42)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copyfile(CORPUS / name, target)
        return target

    return copy


def corpus_names() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.pdf"))


@dataclass(frozen=True)
class PdfsigSignature:
    field: str
    lines: tuple[str, ...]

    @property
    def is_document_timestamp(self) -> bool:
        return any("Signature Type: unknown" in line for line in self.lines) and any(
            "Unable to validate" in line or "not yet been verified" in line for line in self.lines
        )

    def says(self, text: str) -> bool:
        return any(text in line for line in self.lines)


@pytest.fixture(scope="session")
def nss_dir(tmp_path_factory: pytest.TempPathFactory, pki: TestPki) -> str:
    """An NSS database trusting our test root (CT,C,C).

    The seal signer's certificate is added too, with no trust at all (",,"): poppler 22.12 reports
    "Unknown issue with Certificate" for the second and later signatures made with the same
    certificate when that certificate exists only inside the signatures (a use-after-free in its
    NSS temporary certificate handling, shown in test_pdfsig_twice.py). Trust still comes from the
    root alone.
    """
    directory = tmp_path_factory.mktemp("nss")
    root = directory / "root.pem"
    root.write_bytes(pki.root_pem())
    signer = directory / "signer.pem"
    signer.write_bytes(pki.signer_cert.public_bytes(serialization.Encoding.PEM))
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "root", "-t", "CT,C,C", "-i", str(root)], check=True
    )
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{directory}", "-n", "signer", "-t", ",,", "-i", str(signer)], check=True
    )
    return f"sql:{directory}"


def run_pdfsig(path: Path, nss: str, password: str | None = None) -> list[PdfsigSignature]:
    command = ["pdfsig", "-nssdir", nss, str(path)]
    if password:
        command[1:1] = ["-upw", password]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    blocks = re.split(r"^Signature #\d+:\s*$", result.stdout, flags=re.M)[1:]
    signatures = []
    for block in blocks:
        lines = tuple(line.strip() for line in block.strip().splitlines())
        field = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("- Signature Field Name")), "")
        signatures.append(PdfsigSignature(field, lines))
    return signatures


def assert_pdfsig_valid(
    path: Path, nss: str, expected: int, password: str | None = None, last_covers_all: bool = True
) -> None:
    """Every signature: valid, trusted certificate; the last one covers the whole file (unless a
    DSS or document time stamp revision follows, as in B-LT/B-LTA)."""
    signatures = [s for s in run_pdfsig(path, nss, password) if not s.is_document_timestamp]
    assert len(signatures) == expected, signatures
    for signature in signatures:
        assert signature.says("Signature Validation: Signature is Valid."), signature
        assert signature.says("Certificate Validation: Certificate is Trusted."), signature
        assert not signature.says("not signed"), signature
    if last_covers_all:
        assert signatures[-1].says("Total document signed"), signatures[-1]


def qpdf_check(path: Path, password: str | None = None) -> subprocess.CompletedProcess[str]:
    command = ["qpdf", "--check", str(path)]
    if password:
        command.insert(1, f"--password={password}")
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def assert_qpdf_ok(path: Path, password: str | None = None, original: Path | None = None) -> None:
    """qpdf --check passes; warnings are tolerated only when the original already had them."""
    result = qpdf_check(path, password)
    if result.returncode == 3 and original is not None and qpdf_check(original, password).returncode == 3:
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout, result.stdout


def pyhanko_statuses(
    pdf: bytes, pki: TestPki, *, password: str | None = None, from_dss: bool = False, strict: bool = True
) -> list[PdfSignatureStatus]:
    """pyHanko's own validation of every regular signature; with `from_dss`, only the revocation
    data embedded in the document is used and every certificate must have some ("require")."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=strict)
    if password:
        reader.decrypt(password)
    if from_dss:
        context = DocumentSecurityStore.read_dss(reader).as_validation_context(
            {"trust_roots": [to_asn1(pki.root)], "revocation_mode": "require"}
        )
    else:
        context = ValidationContext(trust_roots=[to_asn1(pki.root)])
    return [validate_pdf_signature(sig, context, context) for sig in reader.embedded_regular_signatures]


def assert_pyhanko_valid(status: PdfSignatureStatus, *, timestamped: bool = True) -> None:
    assert status.intact and status.valid, status.pretty_print_details()
    assert status.trusted, status.pretty_print_details()
    assert status.docmdp_ok, status.pretty_print_details()
    if timestamped:
        ts = status.timestamp_validity
        assert ts is not None and ts.intact and ts.valid and ts.trusted, status.pretty_print_details()


def render_page(pdf: bytes | Path, index: int, scale: float = 1.0, password: str | None = None) -> Image.Image:
    """The page as a viewer shows it (rotation applied, form widgets drawn)."""
    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf), password=password)
    document.init_forms()
    try:
        return document[index].render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
    finally:
        document.close()


def red_mask(image: Image.Image) -> Image.Image:
    """255 where the pixel is seal red."""
    r, g, b = image.split()
    reddish = Image.eval(r, lambda v: 255 if v > 150 else 0)
    not_green = Image.eval(g, lambda v: 255 if v < 110 else 0)
    not_blue = Image.eval(b, lambda v: 255 if v < 110 else 0)
    blank = Image.new("L", image.size)
    return Image.composite(Image.composite(reddish, blank, not_green), blank, not_blue)


def red_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of seal-red pixels."""
    return red_mask(image).getbbox()


def red_count(image: Image.Image) -> int:
    return red_mask(image).histogram()[255]


def build_text_pdf(pages: list[tuple[int, list[tuple[float, float, float, str]]]]) -> bytes:
    """A small PDF with Chinese text (Type0 STSong-Light, UniGB-UCS2-H: PDF readers' built-in CJK
    font, so no font file is needed). pages: (rotate, [(x, y, size, text), ...])."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H"
        b" /DescendantFonts [4 0 R] >>",
        4: b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 5 0 R /DW 1000 >>",
        5: b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880]"
        b" /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    }
    kids = []
    number = 6
    for rotate, texts in pages:
        content = "\n".join(
            f"BT /F1 {size} Tf {x} {y} Td <{text.encode('utf-16-be').hex().upper()}> Tj ET"
            for x, y, size, text in texts
        ).encode()
        objects[number + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
        objects[number] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Rotate %d" % rotate + (
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (number + 1)
        )
        kids.append(number)
        number += 2
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    return _serialise(objects)


def build_form_pdf(field_extra: bytes = b"", form_fonts: bool = True) -> bytes:
    """A one-field bid form that leaves drawing its value to the viewer (/NeedAppearances);
    without `form_fonts`, the form names no font resources (/DR) for its /Helv."""
    content = b"BT /Helv 12 Tf 100 750 Td (Bid amount) Tj ET"
    resources = b" /DR << /Font << /Helv 5 0 R >> >>" if form_fonts else b""
    return _serialise(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /NeedAppearances true"
            + resources
            + b" /DA (/Helv 10 Tf 0 g) >> >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] /Contents 6 0 R"
            b" /Resources << /Font << /Helv 5 0 R >> >> >>",
            4: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Amount) /V (1234.5) /Rect [100 700 300 720]"
            b" /P 3 0 R /F 4 /DA (/Helv 10 Tf 0 g)" + field_extra + b" >>",
            5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            6: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        }
    )


def _serialise(objects: dict[int, bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def make_hybrid_xref(pdf: bytes) -> bytes:
    """Append an update whose new /Info lives in an object stream listed only by an /XRefStm
    (a hybrid-reference file, ISO 32000-1 7.5.8.4), to a classic-xref PDF."""
    reader = PdfFileReader(io.BytesIO(pdf))
    size = int(reader.trailer["/Size"])
    root = reader.trailer.raw_get("/Root").reference
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    info, objstm, xrefstm = size, size + 1, size + 2
    out = io.BytesIO(pdf)
    out.seek(0, io.SEEK_END)
    if not pdf.endswith(b"\n"):
        out.write(b"\n")
    header = b"%d 0 " % info
    body = b"<< /Producer (hybrid xref test) >>"
    objstm_at = out.tell()
    data = header + body
    out.write(
        b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (objstm, len(header), len(data), data)
    )
    rows = b"\x02" + objstm.to_bytes(4, "big") + (0).to_bytes(2, "big")
    xrefstm_at = out.tell()
    out.write(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%d 1] /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (xrefstm, xrefstm + 1, info, len(rows), rows)
    )
    xref_at = out.tell()
    out.write(b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (objstm, objstm_at))
    out.write(
        b"trailer\n<< /Size %d /Root %d %d R /Info %d 0 R /Prev %d /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n"
        % (xrefstm + 1, root.idnum, root.generation, info, prev, xrefstm_at, xref_at)
    )
    return out.getvalue()
