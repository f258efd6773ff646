"""What is signed is what is shown: every corpus PDF, sealed with RSA and with SM2, looks and reads
as before everywhere outside the seals.

"Before" is the page as a viewer draws it: PDFium with its form layer (FPDF_FFLDraw), which draws
field values itself when the form asks for it (/NeedAppearances true). "After" is the signed file
drawn the same way: signing removes /NeedAppearances (a signed form must not be redrawn by each
viewer), so the appearances must be in the file by then. Text is compared with poppler's
pdftotext: every word found before is found after (the seal may add words, never remove any).
"""

from __future__ import annotations

import ctypes
import functools
import io
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageChops, ImageDraw
from pyhanko.pdf_utils.generic import BooleanObject, pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from inkseal.signing.core import pdf as pdf_module
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.errors import FormAppearanceUnavailable, PdfMalformed
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtPoint, CrossPage, Placement
from inkseal.signing.core.preview import PREVIEW_WIDTH_PX, page_png
from inkseal.signing.core.signer import SealSigner
from inkseal.signing.core.verify import verify_pdf
from tests.helpers.signing_pki import TestPki
from tests.helpers.sm2_pki import Sm2TestPki, make_sm2_test_pki
from tests.signing.conftest import CORPUS, CORPUS_PASSWORD, ENCRYPTED, build_form_pdf, corpus_names

DAMAGED = "unreadablemetadata.pdf"
SCALE = 1.0  # 72 dpi: one pixel a point
MARGIN_PX = 2  # anti-aliasing around a seal's rectangle


@pytest.fixture(scope="module")
def sm2_pki() -> Sm2TestPki:
    return make_sm2_test_pki()


def seal_signer(algorithm: str, pki: TestPki, sm2_pki: Sm2TestPki) -> SealSigner:
    return pki.seal_signer() if algorithm == "rsa" else sm2_pki.seal_signer()


def password_for(name: str) -> str | None:
    return CORPUS_PASSWORD if name == ENCRYPTED else None


def placements(seal: SealImage, pages: int) -> list[Placement]:
    seals = [Placement(seal, AtPoint(1, 300, 200))]
    if pages > 1:
        seals.append(Placement(seal, CrossPage(last_page=min(pages, 4))))
    return seals


def pages_as_shown(pdf: bytes, password: str | None) -> list[tuple[Image.Image, list[tuple[int, int, int, int]]]]:
    """Every page drawn with PDFium's form layer, and the device boxes of its annotations."""
    document = pdfium.PdfDocument(pdf, password=password)
    document.init_forms()
    try:
        shown = []
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=SCALE, may_draw_forms=True)
            image = bitmap.to_pil().convert("RGB")
            shown.append((image, annotation_boxes(page, image.size)))
            page.close()
        return shown
    finally:
        document.close()


def annotation_boxes(page: Any, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    boxes = []
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, index)
        rect = pdfium_c.FS_RECTF()
        pdfium_c.FPDFAnnot_GetRect(annot, rect)
        pdfium_c.FPDFPage_CloseAnnot(annot)
        corners = [_to_device(page, size, x, y) for x in (rect.left, rect.right) for y in (rect.bottom, rect.top)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    return boxes


def _to_device(page: Any, size: tuple[int, int], x: float, y: float) -> tuple[int, int]:
    dx, dy = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(page, 0, 0, size[0], size[1], 0, x, y, dx, dy)
    return dx.value, dy.value


@functools.cache
def corpus_pages_as_shown(name: str) -> list[tuple[Image.Image, list[tuple[int, int, int, int]]]]:
    """The corpus file before signing, drawn once for both algorithms."""
    return pages_as_shown((CORPUS / name).read_bytes(), password_for(name))


@functools.cache
def corpus_words(name: str) -> Counter[str]:
    return words(CORPUS / name, password_for(name))


def words(pdf: bytes | Path, password: str | None, tmp_path: Path | None = None) -> Counter[str]:
    if isinstance(pdf, bytes):
        assert tmp_path is not None
        path = tmp_path / "text.pdf"
        path.write_bytes(pdf)
    else:
        path = pdf
    command = ["pdftotext", *(["-upw", password] if password else []), str(path), "-"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return Counter(result.stdout.split())


def assert_same_outside_seals(before: list[Any], after: list[Any]) -> None:
    assert len(before) == len(after)
    for number, ((old, old_boxes), (new, new_boxes)) in enumerate(zip(before, after, strict=True), start=1):
        assert new_boxes[: len(old_boxes)] == old_boxes, f"page {number}: existing annotations moved"
        difference = ImageChops.difference(old, new).convert("L")
        draw = ImageDraw.Draw(difference)
        for left, top, right, bottom in new_boxes[len(old_boxes) :]:  # the seals signing added
            draw.rectangle((left - MARGIN_PX, top - MARGIN_PX, right + MARGIN_PX, bottom + MARGIN_PX), fill=0)
        assert difference.getbbox() is None, f"page {number} differs outside the seals at {difference.getbbox()}"


@pytest.mark.parametrize("algorithm", ["rsa", "sm2"])
@pytest.mark.parametrize("name", corpus_names())
def test_signed_corpus_pdf_shows_and_reads_what_it_showed_before(
    name: str, algorithm: str, pki: TestPki, sm2_pki: Sm2TestPki, seal: SealImage, tmp_path: Path
) -> None:
    original = (CORPUS / name).read_bytes()
    password = password_for(name)
    signer = seal_signer(algorithm, pki, sm2_pki)
    if name == DAMAGED:  # broken xref and a page tree that no longer exists: refused, not guessed at
        with pytest.raises(PdfMalformed) as refused:
            sign_pdf(original, signer=signer, placements=placements(seal, 1), pades_level="B-B")
        assert refused.value.code == "pdf_malformed"
        return
    before = corpus_pages_as_shown(name)

    signed = sign_pdf(
        original, signer=signer, placements=placements(seal, len(before)), pades_level="B-B", password=password
    )

    assert isinstance(signed, bytes)
    assert_same_outside_seals(before, pages_as_shown(signed, password))
    lost = corpus_words(name) - words(signed, password, tmp_path)
    assert not lost, f"words no longer in the text: {lost}"
    # validity of every corpus seal: test_pdf.py (RSA, with pdfsig, qpdf and pyHanko), test_sm2_pdf.py


def field_values_shown(pdf: bytes, tmp_path: Path) -> Counter[str]:
    found = words(pdf, None, tmp_path)
    return Counter({value: found[value] for value in ("Alice", "Bob")})


@pytest.mark.parametrize("algorithm", ["rsa", "sm2"])
def test_form_values_drawn_by_viewers_stay_visible_after_signing(
    algorithm: str, pki: TestPki, sm2_pki: Sm2TestPki, seal: SealImage, tmp_path: Path
) -> None:
    """libreoffice-form.pdf has empty appearances and asks viewers to draw "Alice" and "Bob"."""
    original = (CORPUS / "libreoffice-form.pdf").read_bytes()
    assert field_values_shown(original, tmp_path) == Counter({"Alice": 1, "Bob": 1})

    signed = sign_pdf(
        original, signer=seal_signer(algorithm, pki, sm2_pki), placements=placements(seal, 1), pades_level="B-B"
    )

    assert isinstance(signed, bytes)
    assert field_values_shown(signed, tmp_path) == Counter({"Alice": 1, "Bob": 1})
    form = PdfFileReader(io.BytesIO(signed), strict=False).root["/AcroForm"]
    assert "/NeedAppearances" not in form  # the file now says exactly what is shown


@pytest.mark.parametrize("name", ["libreoffice-form.pdf", "pdflatex-forms.pdf", "pdflatex-4-pages.pdf"])
def test_confirm_page_preview_shows_what_the_signed_document_shows(name: str, pki: TestPki, seal: SealImage) -> None:
    original = (CORPUS / name).read_bytes()
    signed = sign_pdf(original, signer=pki.seal_signer(), placements=placements(seal, 1), pades_level="B-B")
    assert isinstance(signed, bytes)

    preview = Image.open(io.BytesIO(page_png(original, 1))).convert("RGB")

    document = pdfium.PdfDocument(signed)
    document.init_forms()
    page = document[0]
    shown = page.render(scale=PREVIEW_WIDTH_PX / page.get_width(), may_draw_forms=True).to_pil().convert("RGB")
    seal_boxes = annotation_boxes(page, shown.size)[-1:]  # the seal signing added
    document.close()
    assert_same_outside_seals([(preview, [])], [(shown, seal_boxes)])


@pytest.mark.parametrize("resources", ["form resources", "no form resources"])
def test_a_form_value_drawn_by_the_viewer_is_kept(
    resources: str, pki: TestPki, seal: SealImage, tmp_path: Path
) -> None:
    original = build_form_pdf(form_fonts=resources == "form resources")  # else the viewer picks a font
    assert "1234.5" in words(original, None, tmp_path)

    signed = sign_pdf(original, signer=pki.seal_signer(), placements=placements(seal, 1), pades_level="B-B")

    assert isinstance(signed, bytes)
    assert "1234.5" in words(signed, None, tmp_path)
    assert_same_outside_seals(pages_as_shown(original, None), pages_as_shown(signed, None))


@pytest.mark.parametrize(
    "extra",
    [
        b' /AA << /F << /S /JavaScript /JS (AFNumber_Format\\(2, 0, 0, 0, "", true\\);) >> >>',
        b" /RV (<body><p><b>1234.5</b></p></body>)",
    ],
    ids=["javascript-format", "rich-text"],
)
def test_a_form_whose_values_only_scripts_or_rich_text_can_draw_is_refused(
    extra: bytes, pki: TestPki, seal: SealImage
) -> None:
    """Acrobat shows "1,234.50" (its JavaScript formats the value) or the rich text; we cannot draw
    either, so the signer could approve one thing and the file show another: refused, not signed."""
    with pytest.raises(FormAppearanceUnavailable) as refused:
        sign_pdf(build_form_pdf(extra), signer=pki.seal_signer(), placements=placements(seal, 1), pades_level="B-B")

    assert refused.value.code == "pdf_form_appearance_unavailable"
    assert refused.value.status == 422


def test_a_form_signed_elsewhere_without_appearances_keeps_its_signature_and_shows_its_values(
    pki: TestPki, sm2_pki: Sm2TestPki, seal: SealImage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another tool signed the form and left /NeedAppearances true with empty appearances. Our seal
    draws the values that show nothing, and only those: the earlier signature stays valid."""
    original = (CORPUS / "libreoffice-form.pdf").read_bytes()
    with monkeypatch.context() as patched:  # what such a tool does: sign, draw nothing, keep the flag
        patched.setattr(pdf_module, "draw_form_fields", lambda *args, **kwargs: 0)
        foreign = sign_pdf(original, signer=pki.seal_signer(), placements=placements(seal, 1), pades_level="B-B")
    assert isinstance(foreign, bytes)
    writer = IncrementalPdfFileWriter(io.BytesIO(foreign))
    form = writer.root["/AcroForm"]
    form[pdf_name("/NeedAppearances")] = BooleanObject(True)
    writer.update_container(form)
    flagged = io.BytesIO()
    writer.write(flagged)
    assert field_values_shown(flagged.getvalue(), tmp_path) == Counter({"Alice": 1, "Bob": 1})

    ours = sign_pdf(
        flagged.getvalue(),
        signer=sm2_pki.seal_signer(),
        placements=[Placement(seal, AtPoint(1, 420, 300))],
        pades_level="B-B",
    )

    assert isinstance(ours, bytes)
    assert field_values_shown(ours, tmp_path) == Counter({"Alice": 1, "Bob": 1})
    report = verify_pdf(ours, trust_roots=[pki.root_pem(), sm2_pki.root.der])
    assert report.all_valid, report.as_dict()
    assert report.signatures[0].changes.level == "form_filling"


def test_an_encrypted_form_keeps_its_values(pki: TestPki, seal: SealImage, tmp_path: Path) -> None:
    """The drawn appearances are encrypted like the rest of the revision (AES-256 here)."""
    encrypted = tmp_path / "form-encrypted.pdf"
    subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", str(CORPUS / "libreoffice-form.pdf"), str(encrypted)],
        check=True,
    )
    original = encrypted.read_bytes()
    before = pages_as_shown(original, "user")

    signed = sign_pdf(
        original, signer=pki.seal_signer(), placements=placements(seal, 1), pades_level="B-B", password="user"
    )

    assert isinstance(signed, bytes)
    assert_same_outside_seals(before, pages_as_shown(signed, "user"))
    found = words(signed, "user", tmp_path)
    assert (found["Alice"], found["Bob"]) == (1, 1)
    assert verify_pdf(signed, trust_roots=[pki.root_pem()], password="user").all_valid
