"""Template seals: every kind against a golden image, and the rules a real seal follows.

Regenerate the golden images after an intended change with INKSEAL_REGEN_GOLDEN=1, and look
at them before committing.
"""

from __future__ import annotations

import io
import math
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inkseal.seals import fonts
from inkseal.seals.image_errors import (
    EmptyName,
    NameTooLong,
    SealFontMissing,
    SealSizeOutOfRange,
    UnknownInkColor,
    UnrenderableCharacter,
)
from inkseal.seals.ink import InkColor
from inkseal.seals.render import DEFAULT_PX_PER_MM, render_image, render_png, render_svg, stamp_png
from inkseal.seals.render_layout import name_arc_span, seal_layout
from inkseal.seals.render_spec import SealKind, SealShape, SealSpec, grid_suffix

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_PX_PER_MM = 10.0  # goldens are kept small; the print resolution is tested separately
COMPANY = "北京天威诚信电子商务服务有限公司"

GOLDEN_SPECS = {
    "official": SealSpec(SealKind.OFFICIAL, COMPANY),
    "official_lower_text": SealSpec(SealKind.OFFICIAL, "华为技术有限公司", lower_text="4403050098765"),
    "contract": SealSpec(SealKind.CONTRACT, "上海浦东发展银行股份有限公司", lower_text="3101150012345"),
    "finance_double_border": SealSpec(SealKind.FINANCE, "深圳市腾讯计算机系统有限公司", border="double"),
    "invoice_blue": SealSpec(SealKind.INVOICE, "杭州阿里巴巴网络科技有限公司", color="blue"),
    "business_black_38mm": SealSpec(SealKind.BUSINESS, "成都喆堃赟商贸有限公司", color="black", size_mm=38),
    "official_40mm_long_name": SealSpec(SealKind.OFFICIAL, "中国石油天然气股份有限公司北京销售分公司", size_mm=40),
    "official_textured": SealSpec(SealKind.OFFICIAL, COMPANY, texture=True),
    "legal_representative_2": SealSpec(SealKind.LEGAL_REPRESENTATIVE, "张三"),
    "legal_representative_3": SealSpec(SealKind.LEGAL_REPRESENTATIVE, "王小明"),
    "name_square_4": SealSpec(SealKind.NAME_SQUARE, "欧阳娜娜", border="double"),
    "name_strip": SealSpec(SealKind.NAME_STRIP, "李四光"),
}


def _alpha(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA"))[..., 3].astype(np.int16)


@pytest.mark.parametrize("case", sorted(GOLDEN_SPECS))
def test_template_matches_golden_image(case: str, tmp_path: Path) -> None:
    image = render_image(GOLDEN_SPECS[case], px_per_mm=GOLDEN_PX_PER_MM)
    golden_path = GOLDEN_DIR / f"{case}.png"
    if os.environ.get("INKSEAL_REGEN_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        image.save(golden_path)
        pytest.skip("golden image regenerated")
    golden = Image.open(golden_path)
    assert golden.size == image.size
    diff = np.abs(_alpha(image) - _alpha(golden))
    differing = float((diff > 64).mean())
    if differing > 0.005 or diff.mean() > 2.0:
        image.save(tmp_path / f"{case}.actual.png")
        pytest.fail(f"{case}: {differing:.2%} of pixels differ (mean {diff.mean():.2f}); see {tmp_path}")
    rgb = np.asarray(image.convert("RGBA"))[..., :3][_alpha(image) > 0]
    assert (rgb == GOLDEN_SPECS[case].ink.rgb).all(), "ink must be exactly the seal colour"


def test_42mm_seal_is_print_sized_on_a_transparent_background() -> None:
    image = Image.open(io.BytesIO(render_png(SealSpec("official", COMPANY))))
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.width == image.height >= 600
    alpha = _alpha(image)
    for corner in (alpha[0, 0], alpha[0, -1], alpha[-1, 0], alpha[-1, -1]):
        assert corner == 0
    centre = image.width // 2
    assert alpha[centre, centre] == 255, "the star is solid ink"
    assert 0.12 < (alpha > 128).mean() < 0.4, "mostly paper, but the rim, star and name are ink"


@pytest.mark.parametrize("size_mm", [38, 40, 42])
def test_round_seal_sizes(size_mm: int) -> None:
    image = render_image(SealSpec("contract", COMPANY, size_mm=size_mm))
    assert image.width == round(size_mm * DEFAULT_PX_PER_MM)
    rim = _alpha(image)[image.height // 2, : image.width // 10]
    rim_mm = (rim > 128).sum() / DEFAULT_PX_PER_MM
    assert 1.0 * size_mm / 42 <= rim_mm <= 1.35 * size_mm / 42  # a 1.2 mm rim on a 42 mm seal


def test_star_is_a_third_of_the_seal_and_the_type_text_sits_below_it() -> None:
    layout = seal_layout(SealSpec("contract", COMPANY))
    star = next(s for s in layout.shapes if type(s).__name__ == "Star")
    assert star.radius * 2 == pytest.approx(14.0)
    type_glyphs = [g for g in layout.glyphs if g.rotation == 0]
    assert "".join(g.char for g in type_glyphs) == "合同专用章"
    assert all(g.y > star.cy + star.radius * math.cos(math.radians(36)) for g in type_glyphs)


def test_name_runs_clockwise_over_the_top_with_glyphs_facing_outward() -> None:
    layout = seal_layout(SealSpec("official", COMPANY))
    name = [g for g in layout.glyphs if g.char in COMPANY]
    assert "".join(g.char for g in name) == COMPANY
    c = layout.width / 2
    angles = [math.degrees(math.atan2(g.y - c, g.x - c)) % 360 for g in name]
    assert name[0].x < c and name[-1].x > c, "from the lower left (about 8 o'clock) to the lower right"
    assert all(abs(a - 90) > 40 for a in angles), "the bottom of the seal stays free"
    unwrapped = [(a - 90) % 360 for a in angles]  # measured from 6 o'clock, clockwise
    assert unwrapped == sorted(unwrapped), "evenly around, clockwise"
    for glyph, angle in zip(name, angles, strict=True):
        assert glyph.rotation % 360 == pytest.approx((angle + 90) % 360), "top of the glyph points outward"


@pytest.mark.parametrize(("length", "span"), [(4, 166), (10, 250), (16, 270), (30, 270)])
def test_name_arc_span_follows_the_name_length(length: int, span: float) -> None:
    assert name_arc_span(length) == pytest.approx(span)


def test_long_names_are_condensed_short_ones_are_not() -> None:
    def x_scale(name: str) -> float:
        return seal_layout(SealSpec("official", name)).glyphs[-1].x_scale

    assert x_scale("中国石油天然气股份有限公司北京销售分公司") < 0.7 < x_scale("华为技术有限公司")


def test_lower_arc_text_reads_left_to_right_along_the_bottom() -> None:
    layout = seal_layout(SealSpec("official", "华为技术有限公司", lower_text="4403050098765"))
    code = [g for g in layout.glyphs if g.char.isdigit()]
    assert "".join(g.char for g in code) == "4403050098765"
    c = layout.width / 2
    assert all(g.y > c + 10 for g in code), "below the star, near the rim"
    assert [g.x for g in code] == sorted(g.x for g in code)


@pytest.mark.parametrize(
    ("name", "text"),
    [("张三", "张三之印"), ("王小明", "王小明印"), ("欧阳娜娜", "欧阳娜娜"), ("买买提艾力", "买买提艾力印")],
)
def test_square_seal_appends_yin_by_convention(name: str, text: str) -> None:
    spec = SealSpec("legal_representative", name)
    assert name + grid_suffix(spec) == text
    glyphs = seal_layout(spec).glyphs
    # traditional order: right column top to bottom, then the column to its left
    assert [g.char for g in sorted(glyphs, key=lambda g: (-round(g.x), g.y))] == list(text)


def test_strip_seal_is_one_line_in_a_rectangle() -> None:
    layout = seal_layout(SealSpec("name_strip", "诸葛孔明"))
    assert layout.width > 3 * layout.height
    assert len({round(g.y, 6) for g in layout.glyphs}) == 1


def test_texture_is_deterministic_and_off_by_default() -> None:
    plain = render_png(SealSpec("official", COMPANY))
    textured = render_png(SealSpec("official", COMPANY, texture=True))
    assert textured == render_png(SealSpec("official", COMPANY, texture=True))
    assert textured != plain
    other = _alpha(render_image(SealSpec("official", "华为技术有限公司", texture=True)))
    assert other.shape == _alpha(Image.open(io.BytesIO(textured))).shape


def test_svg_is_a_vector_seal_with_glyph_outlines() -> None:
    svg = render_svg(SealSpec("contract", COMPANY, lower_text="3101150012345", color="blue"))
    root = ET.fromstring(svg)
    assert root.get("width") == "42mm" and root.get("viewBox") == "0 0 42 42"
    ns = "{http://www.w3.org/2000/svg}"
    paths = root.findall(f".//{ns}path")
    assert len(paths) == len(COMPANY) + len("合同专用章") + 13
    assert all(p.get("d") for p in paths)
    assert InkColor.BLUE.hex in svg and "<text" not in svg


@pytest.mark.parametrize("kind", ["legal_representative", "name_strip"])
def test_svg_of_square_and_strip_seals(kind: str) -> None:
    root = ET.fromstring(render_svg(SealSpec(kind, "王小明")))
    assert root.findall(".//{http://www.w3.org/2000/svg}rect")


def test_stamp_png_gives_the_true_size() -> None:
    stamp = stamp_png(SealSpec("contract", COMPANY), size_mm=40)
    assert (stamp.width_mm, stamp.height_mm) == pytest.approx((40, 40), abs=0.1)
    strip = stamp_png(SealSpec("name_strip", "李四光"))
    assert strip.height_mm == pytest.approx(10, abs=0.1) and strip.width_mm > 20
    uploaded = Image.new("RGBA", (400, 200))
    buffer = io.BytesIO()
    uploaded.save(buffer, "PNG")
    stamped = stamp_png(buffer.getvalue(), size_mm=30)
    assert (stamped.width_mm, stamped.height_mm) == (30, 15)


def test_kinds_have_stable_codes_and_chinese_labels() -> None:
    assert [k.value for k in SealKind] == [
        "official",
        "contract",
        "finance",
        "invoice",
        "business",
        "legal_representative",
        "name_square",
        "name_strip",
    ]
    assert SealKind.parse("合同专用章") is SealKind.CONTRACT
    assert SealKind.parse("人名章-条形").shape is SealShape.STRIP
    assert SealKind.OFFICIAL.type_text == "" and SealKind.FINANCE.type_text == "财务专用章"


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\ue000", "\U00010000", "ꙮ"])
def test_unrenderable_character_is_named_not_drawn_as_tofu(char: str) -> None:
    with pytest.raises(UnrenderableCharacter) as caught:
        render_png(SealSpec("official", f"北京{char}科技有限公司"))
    assert caught.value.code == "unrenderable_character"
    assert caught.value.char == char
    assert f"U+{ord(char):04X}" in str(caught.value) and char in str(caught.value.default_wording())


def test_rare_name_characters_render() -> None:
    render_png(SealSpec("legal_representative", "王喆堃"))
    render_png(SealSpec("official", "𠮷野家餐饮有限公司"))


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"kind": "official", "name": "  "}, EmptyName, "empty_name"),
        ({"kind": "official", "name": "字" * 31}, NameTooLong, "name_too_long"),
        ({"kind": "legal_representative", "name": "字" * 9}, NameTooLong, "name_too_long"),
        ({"kind": "official", "name": "华为", "color": "green"}, UnknownInkColor, "unknown_ink_color"),
        ({"kind": "official", "name": "华为", "size_mm": 200}, SealSizeOutOfRange, "seal_size_out_of_range"),
    ],
)
def test_invalid_specs_are_refused_with_a_code(kwargs: dict, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as caught:
        SealSpec(**kwargs)
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert str(caught.value.default_wording())  # type: ignore[attr-defined]


def test_spec_normalises_its_input() -> None:
    spec = SealSpec("公章", " 华为 技术有限公司\n", color="红色", border="DOUBLE")
    assert (spec.kind, spec.name, spec.color, spec.border) == ("official", "华为技术有限公司", "red", "double")


# --- fonts ------------------------------------------------------------------------------------


def test_font_is_the_simplified_chinese_serif_face() -> None:
    font = fonts.seal_font()
    assert "Serif CJK SC" in font.family
    assert font.covers("喆") and not font.covers("\ue000")


def test_font_path_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    sans = fonts.NOTO_DIR / "NotoSansCJK-Regular.ttc"
    monkeypatch.setenv(fonts.FONT_ENV, str(sans))
    assert fonts.locate_seal_font() == (sans, fonts.chinese_face_index(sans))
    monkeypatch.setenv(fonts.FONT_ENV, "/nonexistent/font.ttf")
    with pytest.raises(SealFontMissing) as caught:
        fonts.locate_seal_font()
    assert caught.value.code == "seal_font_missing"


def test_font_falls_back_to_fontconfig_then_refuses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    monkeypatch.setattr(fonts, "NOTO_DIR", tmp_path)  # no Debian Noto files
    path, _ = fonts.locate_seal_font()
    assert fonts.SealFont.open(path, fonts.chinese_face_index(path)).covers("印")
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)  # and no fontconfig either
    with pytest.raises(SealFontMissing):
        fonts.locate_seal_font()
