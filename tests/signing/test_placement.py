"""Where seals land: coordinates, rotated pages, keywords, cross-page seals, and what is refused.

Placement checks look at the rendered pages (pypdfium2, as a viewer shows them): red seal
pixels must be centred where the user asked, at true size, upright, on the displayed page.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from inkseal.seals import render
from inkseal.signing.core.appearance import SealImage
from inkseal.signing.core.errors import KeywordNotFound, PageOutOfRange, PlacementError, PlacementOffPage
from inkseal.signing.core.geometry import MM, PageGeometry
from inkseal.signing.core.pdf import sign_pdf
from inkseal.signing.core.placement import AtKeyword, AtPoint, CrossPage, Placement, Planner, _page_groups
from tests.signing.conftest import CORPUS, build_text_pdf, red_box, red_count, render_page

SCALE = 2.0  # render at 144 dpi
SEAL_PT = 42 * MM


def sign(pdf: bytes, pki, placements: list[Placement]) -> bytes:
    return sign_pdf(pdf, signer=pki.seal_signer(), placements=placements, pades_level="B-B")


def centre(box: tuple[int, int, int, int]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def displayed_to_pixels(page: Image.Image, x: float, y: float) -> tuple[float, float]:
    return x * SCALE, page.height - y * SCALE


def is_upright(page: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """The test seal has a bar near its top: more red in the upper band than the lower one."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    middle = (x0 + (x1 - x0) * 0.42, x0 + (x1 - x0) * 0.58)

    def red_in(top: float, bottom: float) -> int:
        return red_count(page.crop((int(middle[0]), int(y0 + h * top), int(middle[1]), int(y0 + h * bottom))))

    return red_in(0.1, 0.22) > 3 * max(1, red_in(0.78, 0.9))


# --- geometry ---------------------------------------------------------------------------------

boxes = st.tuples(st.floats(-500, 500), st.floats(-500, 500), st.floats(10, 2000), st.floats(10, 2000)).map(
    lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3])
)


@given(boxes, st.sampled_from([0, 90, 180, 270]), st.floats(0, 1), st.floats(0, 1))
def test_display_and_user_space_are_inverse(crop, rotate, fx, fy):
    page = PageGeometry(0, crop, rotate)
    width, height = page.display_size
    x, y = fx * width, fy * height

    u, v = page.to_user(x, y)

    assert crop[0] - 1e-6 <= u <= crop[2] + 1e-6 and crop[1] - 1e-6 <= v <= crop[3] + 1e-6
    assert page.to_display(u, v) == pytest.approx((x, y), abs=1e-6)


def test_displayed_bottom_left_corner_of_turned_pages():
    crop = (0.0, 0.0, 600.0, 800.0)
    assert PageGeometry(0, crop, 0).to_user(0, 0) == (0, 0)
    assert PageGeometry(0, crop, 90).to_user(0, 0) == (600, 0)  # turned clockwise: user bottom-right
    assert PageGeometry(0, crop, 180).to_user(0, 0) == (600, 800)
    assert PageGeometry(0, crop, 270).to_user(0, 0) == (0, 800)
    assert PageGeometry(0, crop, 90).display_size == (800, 600)


# --- API shapes -------------------------------------------------------------------------------


def test_placement_from_the_api_json(seal):
    assert Placement.from_spec({"seal_type": "official", "page": 1, "x": 400, "y": 120}, seal).anchor == AtPoint(
        1, 400, 120
    )
    keyword = Placement.from_spec({"keyword": "盖章处", "occurrence": "all", "offset": [10, -5]}, seal)
    assert keyword.anchor == AtKeyword("盖章处", "all", (10.0, -5.0))
    cross = Placement.from_spec({"cross_page": True, "show_date": True}, seal)
    assert cross.anchor == CrossPage() and cross.show_date


@pytest.mark.parametrize(
    "spec",
    [
        {"seal_type": "official"},
        {"page": "1", "x": 1, "y": 2},
        {"page": True, "x": 1, "y": 2},
        {"page": 1, "x": "nan", "y": 2},
        {"keyword": "盖章处", "occurrence": "second"},
        {"keyword": "盖章处", "offset": [1]},
    ],
)
def test_malformed_placements_are_refused(seal, spec):
    with pytest.raises(PlacementError) as raised:
        Placement.from_spec(spec, seal)
    assert raised.value.code == "placement_invalid"


# --- refusals with stable codes ---------------------------------------------------------------


@pytest.mark.parametrize("page", [0, 5])
def test_page_out_of_range(pki, seal, page):
    with pytest.raises(PageOutOfRange) as raised:
        sign((CORPUS / "pdflatex-4-pages.pdf").read_bytes(), pki, [Placement(seal, AtPoint(page, 300, 300))])
    assert raised.value.code == "placement_page_out_of_range"
    assert raised.value.details == {"page": page, "pages": 4}


@pytest.mark.parametrize(("x", "y"), [(10, 300), (590, 300), (300, 20), (300, 830), (-100, -100)])
def test_seal_must_fit_on_the_page(pki, seal, x, y):
    with pytest.raises(PlacementOffPage) as raised:
        sign((CORPUS / "minimal-document.pdf").read_bytes(), pki, [Placement(seal, AtPoint(1, x, y))])
    assert raised.value.code == "placement_off_page"
    assert raised.value.details["page"] == 1


def test_keyword_not_found(pki, seal):
    with pytest.raises(KeywordNotFound) as raised:
        sign(build_text_pdf([(0, [(100, 700, 12, "合同")])]), pki, [Placement(seal, AtKeyword("盖章处"))])
    assert raised.value.code == "placement_keyword_not_found"


def test_cross_page_seal_needs_two_pages(pki, seal):
    with pytest.raises(PlacementError) as raised:
        sign((CORPUS / "minimal-document.pdf").read_bytes(), pki, [Placement(seal, CrossPage())])
    assert raised.value.code == "placement_cross_page_too_few"


# --- what the page shows ----------------------------------------------------------------------


def test_seal_centre_true_size_and_date_on_an_upright_page(pki, seal):
    signed = sign((CORPUS / "minimal-document.pdf").read_bytes(), pki, [Placement(seal, AtPoint(1, 400, 120), True)])

    page = render_page(signed, 0, SCALE)
    box = red_box(page)

    assert box is not None
    assert centre(box) == pytest.approx(displayed_to_pixels(page, 400, 120), abs=3)
    assert box[2] - box[0] == pytest.approx(SEAL_PT * SCALE, abs=3)
    assert is_upright(page, box)
    below = page.crop((box[0], box[3] + 2, box[2], box[3] + 30)).convert("L")
    assert below.getextrema()[0] < 80, "the date line is printed under the seal"


@pytest.mark.parametrize("index", [0, 1, 2, 3])  # /Rotate 90, 180, 270, 0
def test_rotated_pages_show_the_seal_where_the_user_put_it_upright(pki, seal, index):
    document = (CORPUS / "habibi-rotated.pdf").read_bytes()
    signed = sign(document, pki, [Placement(seal, AtPoint(index + 1, 150, 100))])

    page = render_page(signed, index, SCALE)
    box = red_box(page)

    assert box is not None
    assert centre(box) == pytest.approx(displayed_to_pixels(page, 150, 100), abs=3)
    assert box[2] - box[0] == pytest.approx(SEAL_PT * SCALE, abs=3)
    assert box[3] - box[1] == pytest.approx(SEAL_PT * SCALE, abs=3)
    assert is_upright(page, box)


def test_keyword_anchor_first_occurrence_with_offset(pki, seal):
    document = build_text_pdf(
        [
            (0, [(100, 700, 12, "甲方：测试科技有限公司"), (300, 150, 12, "盖章处")]),
            (90, [(100, 400, 12, "乙方盖章处")]),
        ]
    )

    signed = sign(document, pki, [Placement(seal, AtKeyword("盖章处", offset=(20, 10)))])

    field = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0].sig_field
    x0, y0, x1, y1 = (float(v) for v in field["/Rect"])
    keyword_centre = (300 + 18, 150 + 4.5)  # three 12 pt glyphs from (300, 150), about 9 pt tall
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((keyword_centre[0] + 20, keyword_centre[1] + 10), abs=3)


def test_keyword_anchor_every_occurrence_is_a_seal_each_also_on_a_turned_page(pki, seal):
    document = build_text_pdf([(0, [(300, 150, 12, "盖章处")]), (90, [(200, 300, 12, "乙方盖章处")])])

    signed = sign(document, pki, [Placement(seal, AtKeyword("盖章处", "all"))])

    signatures = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
    assert [s.field_name for s in signatures] == ["Seal1", "Seal2"]
    turned = render_page(signed, 1, SCALE)
    box = red_box(turned)
    # text at user (224..260, ~304) on a page turned 90°: displayed at x ≈ 304, y ≈ 595 - 242
    assert centre(box) == pytest.approx(displayed_to_pixels(turned, 304.5, 595 - 242), abs=6)
    assert is_upright(turned, box)


def test_cross_page_seal_slices_sit_on_the_right_edges(pki, seal):
    document = (CORPUS / "habibi-rotated.pdf").read_bytes()  # four pages, three of them turned

    signed = sign(document, pki, [Placement(seal, CrossPage())])

    slice_px = SEAL_PT / 4 * SCALE
    for index in range(4):
        page = render_page(signed, index, SCALE)
        box = red_box(page)
        assert box is not None, f"page {index + 1} shows its slice"
        assert box[2] == pytest.approx(page.width, abs=2)
        assert box[2] - box[0] == pytest.approx(slice_px, abs=3)
        assert centre(box)[1] == pytest.approx(page.height / 2, abs=SEAL_PT)
    (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures
    assert signature.field_name == "Seal1"


def test_reassembled_cross_page_slices_show_the_whole_seal(pki, seal, tmp_path):
    signed = sign((CORPUS / "pdflatex-4-pages.pdf").read_bytes(), pki, [Placement(seal, CrossPage())])

    strips = []
    for index in range(4):
        page = render_page(signed, index, SCALE)
        box = red_box(page)
        strips.append(page.crop((int(page.width - SEAL_PT / 4 * SCALE), box[1], page.width, box[3])))
    whole = Image.new("RGB", (sum(s.width for s in strips), max(s.height for s in strips)), "white")
    x = 0
    for strip in strips:
        whole.paste(strip, (x, 0))
        x += strip.width
    whole.save(tmp_path / "cross-page-reassembled.png")

    box = red_box(whole)
    assert box[2] - box[0] == pytest.approx(SEAL_PT * SCALE, abs=6)
    assert is_upright(whole, box)


def test_long_documents_get_one_whole_cross_page_seal_per_group():
    assert [len(g) for g in _page_groups(list(range(45)), 20)] == [15, 15, 15]
    assert [len(g) for g in _page_groups(list(range(21)), 20)] == [11, 10]
    assert [len(g) for g in _page_groups(list(range(4)), 20)] == [4]


def test_planner_reuses_page_geometry_and_converts_rects(pki, seal):
    reader = PdfFileReader(io.BytesIO((CORPUS / "habibi-rotated.pdf").read_bytes()))
    planner = Planner(reader, lambda: pytest.fail("no keyword search needed"), None)  # type: ignore[arg-type]

    (plan,) = planner.plan([Placement(seal, AtPoint(1, 150, 100))])

    geometry = planner.geometry(0)
    assert geometry.rotate == 90
    x0, y0, x1, y1 = geometry.display_rect(plan.widget.rect)
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((150, 100))


def test_real_template_seal_from_the_seal_renderer(pki, tmp_path):
    stamp = render.stamp_png(render.SealSpec(kind="official", name="北京测试科技有限公司", lower_text="1101080000001"))
    seal = SealImage(stamp.png, stamp.width_mm, stamp.height_mm)

    signed = sign((CORPUS / "minimal-document.pdf").read_bytes(), pki, [Placement(seal, AtPoint(1, 420, 150), True)])

    page = render_page(signed, 0, SCALE)
    page.save(tmp_path / "template-seal-page.png")
    box = red_box(page)
    assert box is not None
    assert box[2] - box[0] == pytest.approx(stamp.width_mm * MM * SCALE, rel=0.05)
    assert centre(box)[0] == pytest.approx(420 * SCALE, abs=6)
