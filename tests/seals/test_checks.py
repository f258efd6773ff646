"""OCR checks: rendered seals read back as their names; handwriting reads as the signer's name."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PIL import Image

from inkseal.core.ocr import recognise_line
from inkseal.seals import checks
from inkseal.seals.image_errors import HandwritingEmpty, HandwritingMismatch, SealTextMismatch
from inkseal.seals.render import render_image
from inkseal.seals.render_spec import SealSpec
from tests.seals.samples import company_names, handwritten

NAMES = company_names(24)
# Every round template style takes its turn: plain, with type text and code, double border.
STYLES = [
    {"kind": "official"},
    {"kind": "contract", "lower_text": "3101150012345"},
    {"kind": "finance", "border": "double"},
    {"kind": "official", "lower_text": "9111010871", "texture": True},
]


def test_generated_names_cover_4_to_20_characters() -> None:
    lengths = [len(name) for name in NAMES]
    assert len(set(NAMES)) == len(NAMES) >= 20
    assert min(lengths) == 4 and max(lengths) == 20


@pytest.mark.parametrize("index", range(len(NAMES)))
def test_round_seal_reads_back_as_its_name(ocr: Any, index: int) -> None:
    name = NAMES[index]
    seal = render_image(SealSpec(name=name, **STYLES[index % len(STYLES)]))
    result = checks.check_round_seal_text(seal, name)
    assert result.passed and result.read and result.score >= checks.DEFAULT_SEAL_THRESHOLD


def test_polar_unwrap_turns_the_arc_into_one_line(ocr: Any) -> None:
    seal = render_image(SealSpec("contract", "华为技术有限公司", lower_text="4403050098765"))
    strip = checks.unwrap_ring(checks.ink_mask(seal))
    assert strip.shape[1] > 4 * strip.shape[0], "a long, low strip"
    assert recognise_line(checks.on_white(strip, pad=20)).text == "华为技术有限公司"


def test_turned_seal_still_reads(ocr: Any) -> None:
    seal = render_image(SealSpec("official", NAMES[5])).rotate(130)
    assert checks.check_round_seal_text(seal, NAMES[5]).passed
    assert checks.name_angle(checks.ink_mask(seal)) == pytest.approx((270 - 130) % 360, abs=8)


def test_seal_of_another_company_is_refused(ocr: Any) -> None:
    seal = render_image(SealSpec("official", "北京天威诚信电子商务服务有限公司"))
    with pytest.raises(SealTextMismatch) as caught:
        checks.check_round_seal_text(seal, "上海浦东发展银行股份有限公司")
    assert caught.value.code == "seal_text_mismatch"
    assert caught.value.result.read and not caught.value.result.passed


def test_threshold_is_a_parameter(ocr: Any) -> None:
    seal = render_image(SealSpec("official", "北京天威诚信电子商务服务有限公司"))
    near = "北京天威诚信电子商务有限公司"  # two characters short
    with pytest.raises(SealTextMismatch):
        checks.check_round_seal_text(seal, near, threshold=0.95)
    assert checks.check_round_seal_text(seal, near, threshold=0.8).score == pytest.approx(14 / 16)


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("legal_representative", "张三"),
        ("legal_representative", "王小明"),
        ("name_square", "欧阳娜娜"),
        ("name_strip", "诸葛孔明"),
    ],
)
def test_square_and_strip_seals_read_back(ocr: Any, kind: str, name: str) -> None:
    result = checks.check_grid_seal_text(render_image(SealSpec(kind, name)), name)
    assert result.passed


def test_checks_are_safe_from_several_threads(ocr: Any) -> None:
    seals = {name: render_image(SealSpec("official", name)) for name in NAMES[:4]}
    results: dict[str, float] = {}

    def check(name: str) -> None:
        results[name] = checks.check_round_seal_text(seals[name], name).score

    threads = [threading.Thread(target=check, args=(name,)) for name in seals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == set(seals) and min(results.values()) >= checks.DEFAULT_SEAL_THRESHOLD


# --- handwriting ------------------------------------------------------------------------------

SIGNERS = ["张三", "王小明", "欧阳娜娜", "李喆", "买买提·艾力"]


@pytest.mark.parametrize("name", SIGNERS)
def test_handwriting_of_the_right_name_passes(ocr: Any, name: str) -> None:
    result = checks.check_handwriting(handwritten(name, seed=len(name)), name)
    assert result.passed


@pytest.mark.parametrize(("written", "expected"), [("张三", "李四"), ("王小明", "赵丽颖"), ("欧阳娜娜", "诸葛孔明")])
def test_handwriting_of_another_name_fails(ocr: Any, written: str, expected: str) -> None:
    with pytest.raises(HandwritingMismatch) as caught:
        checks.check_handwriting(handwritten(written, color=(200, 0, 0)), expected)
    assert caught.value.code == "handwriting_mismatch"
    assert caught.value.result.read == written


def test_blank_signature_is_refused(ocr: Any) -> None:
    with pytest.raises(HandwritingEmpty):
        checks.check_handwriting(Image.new("RGBA", (400, 200)), "张三")


@pytest.mark.parametrize(
    ("read", "expected", "score"),
    [
        ("北京某某（集团）有限公司", "北京某某(集团)有限公司", 1.0),
        ("北京某某集团有限公司", "北京某某(集团)有限公司", 1.0),
        ("北京某某集团", "北京某某集团有限公司", 0.6),
        ("", "张三", 0.0),
        ("买买提艾力", "买买提·艾力", 1.0),
    ],
)
def test_text_similarity(read: str, expected: str, score: float) -> None:
    assert checks.text_similarity(read, expected) == pytest.approx(score)
