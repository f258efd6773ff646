"""Uploaded seal photos: cleaned into a transparent, cropped, single-colour seal — or refused."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from inkseal.seals import checks
from inkseal.seals.image_errors import (
    NoSealInk,
    NoSealShape,
    SealTextMismatch,
    UploadCorrupt,
    UploadNotAnImage,
    UploadRejected,
    UploadTooLarge,
    UploadTooManyPixels,
    UploadTooSmall,
)
from inkseal.seals.imports import MAX_UPLOAD_BYTES, import_seal_photo
from inkseal.seals.ink import InkColor
from inkseal.seals.render import render_image
from inkseal.seals.render_spec import SealShape, SealSpec
from tests.seals.samples import blue_sky, document_page, jpeg, noise_photo, on_paper, png, red_disc

PHOTOS = [
    # (template photographed, ink it was stamped in, colour asked for, turn in the photo)
    (SealSpec("contract", "北京天威诚信电子商务服务有限公司", lower_text="3101150012345"), "red", "red", 17),
    (SealSpec("official", "华为技术有限公司"), "red", "blue", 57),
    (SealSpec("finance", "深圳市腾讯计算机系统有限公司", border="double"), "blue", "red", -25),
    (SealSpec("official", "杭州阿里巴巴网络科技有限公司"), "black", "red", 160),
    (SealSpec("legal_representative", "王小明"), "red", "red", 137),
]


def _alpha(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA"))[..., 3]


@pytest.mark.parametrize("index", range(len(PHOTOS)))
def test_photographed_seal_is_cleaned_and_reads_as_the_name(ocr: Any, index: int) -> None:
    spec, stamped_in, wanted, turn = PHOTOS[index]
    seal = render_image(SealSpec(spec.kind, spec.name, spec.lower_text, stamped_in, border=spec.border, texture=True))
    photo = on_paper(seal, angle=turn, seed=index)

    imported = import_seal_photo(photo, color=wanted, expected_name=spec.name)

    assert imported.found_ink == stamped_in
    assert imported.shape == (SealShape.ROUND if spec.shape is SealShape.ROUND else SealShape.SQUARE)
    assert imported.text_check is not None and imported.text_check.passed
    image = Image.open(io.BytesIO(imported.png))
    alpha = _alpha(image)
    assert image.mode == "RGBA" and max(alpha[0, 0], alpha[0, -1], alpha[-1, 0], alpha[-1, -1]) == 0
    ys, xs = np.nonzero(alpha > 128)
    assert xs.max() - xs.min() > 0.9 * image.width and ys.max() - ys.min() > 0.9 * image.height, "cropped to the seal"
    rgb = np.asarray(image.convert("RGBA"))[..., :3][alpha > 0]
    assert (rgb == InkColor(wanted).rgb).all(), "ink normalised to the chosen colour"
    assert 0.1 < (alpha > 128).mean() < 0.5, "paper removed, ink kept"


def test_turned_round_seal_comes_out_upright(ocr: Any) -> None:
    spec = SealSpec("official", "北京天威诚信电子商务服务有限公司")
    imported = import_seal_photo(on_paper(render_image(spec), angle=100, seed=7))
    assert checks.name_angle(_alpha(imported.image)) == pytest.approx(270, abs=8)
    alpha = _alpha(imported.image)
    height, width = alpha.shape
    assert alpha[height // 2, width // 2] > 128, "the star sits in the middle of the crop"
    ys, xs = np.nonzero(alpha > 128)
    assert abs(xs.mean() - width / 2) < 0.03 * width, "left and right balance"
    assert ys.mean() < height / 2 - 0.02 * height, "the name weighs on the top"


def test_seal_of_another_company_is_refused_with_a_reason(ocr: Any) -> None:
    photo = on_paper(render_image(SealSpec("official", "华为技术有限公司")), angle=10, seed=3)
    with pytest.raises(SealTextMismatch) as caught:
        import_seal_photo(photo, expected_name="小米科技有限责任公司")
    assert "模板" in str(caught.value.default_wording()) and "template" in str(caught.value)


def test_transparent_png_upload_is_accepted(ocr: Any) -> None:
    seal = render_image(SealSpec("official", "华为技术有限公司"))
    padded = Image.new("RGBA", (900, 900))
    padded.alpha_composite(seal, (100, 100))
    imported = import_seal_photo(png(padded), expected_name="华为技术有限公司")
    assert imported.shape is SealShape.ROUND and imported.found_ink is InkColor.RED


@pytest.mark.parametrize(
    ("photo", "error"),
    [
        (noise_photo, NoSealShape),
        (document_page, NoSealShape),
        (blue_sky, NoSealInk),
        (red_disc, NoSealShape),
    ],
    ids=["noise", "document", "sky", "red-disc"],
)
def test_images_without_a_seal_are_refused(photo: Any, error: type[UploadRejected]) -> None:
    with pytest.raises(error) as caught:
        import_seal_photo(photo())
    assert caught.value.code in {"upload_no_seal_shape", "upload_no_seal_ink"}
    assert "模板" in str(caught.value.default_wording()), "the reason points to the template option"


def _big_noise_jpeg() -> bytes:
    noise = np.random.default_rng(0).integers(0, 255, (1400, 1400, 3), dtype=np.uint8)
    return jpeg(noise, quality=100)


def _truncated() -> bytes:
    data = on_paper(render_image(SealSpec("official", "华为技术有限公司")), angle=0, seed=1)
    return data[: len(data) * 2 // 3]


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (7000, 5000)).save(out, "PNG")  # 35 megapixels in a few kilobytes
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "red").save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "error", "code"),
    [
        (_big_noise_jpeg, UploadTooLarge, "upload_too_large"),
        (lambda: b"%PDF-1.7\n" + b"0" * 1000, UploadNotAnImage, "upload_not_an_image"),
        (_gif, UploadNotAnImage, "upload_not_an_image"),
        (_truncated, UploadCorrupt, "upload_corrupt"),
        (_bomb, UploadTooManyPixels, "upload_too_many_pixels"),
        (lambda: jpeg(Image.new("RGB", (60, 60), "white")), UploadTooSmall, "upload_too_small"),
    ],
    ids=["oversize", "not-an-image", "gif", "truncated", "bomb", "tiny"],
)
def test_bad_files_are_refused(make: Any, error: type[UploadRejected], code: str) -> None:
    data = make()
    if error is UploadTooLarge:
        assert len(data) > MAX_UPLOAD_BYTES
    else:
        assert len(data) <= MAX_UPLOAD_BYTES
    with pytest.raises(error) as caught:
        import_seal_photo(data)
    assert caught.value.code == code
    assert str(caught.value.default_wording()).endswith("您可以改用模板制作印章。")
