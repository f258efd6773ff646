"""The offline checks on their own: liveness rules and document photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from inkseal.identity import imagecheck, liveness
from inkseal.identity.liveness import LivenessRefused, VideoFindings, check_liveness
from tests.identity.media import png_bytes


def findings(**overrides: object) -> VideoFindings:
    base = {
        "frames": 20,
        "duration": 2.5,
        "single_face_frames": 20,
        "no_face_frames": 0,
        "multiple_face_frames": 0,
        "eyes_open_frames": 18,
        "eyes_closed_frames": 2,
        "blinked": True,
    }
    return VideoFindings(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"duration": 1.5}, "too_short"),
        ({"duration": 3.5}, "too_long"),
        ({"single_face_frames": 11, "no_face_frames": 9}, "no_face"),
        ({"single_face_frames": 15, "multiple_face_frames": 5}, "multiple_faces"),
        ({"blinked": False}, "no_blink"),
    ],
)
def test_liveness_rules(overrides, code):
    with pytest.raises(LivenessRefused) as refused:
        check_liveness(findings(**overrides), blink=True)
    assert refused.value.code == code


def test_a_small_tolerance_around_two_to_three_seconds():
    for seconds in (1.7, 2.0, 3.0, 3.3):
        check_liveness(findings(duration=seconds), blink=True)
    check_liveness(findings(blinked=False), blink=False)  # H5静默 needs no blink


@pytest.mark.parametrize(
    ("states", "blinked"),
    [
        ([True, True, False, True], True),
        ([True, False, False, False], False),  # closed at the end: not a blink
        ([False, False, True, True], False),  # opened once: not a blink
        ([True] * 10, False),
    ],
)
def test_a_blink_is_open_closed_open(states, blinked):
    assert liveness._blinked(states) is blinked


def test_garbage_is_not_a_video(tmp_path):
    path = tmp_path / "x.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(5000))
    with pytest.raises(LivenessRefused) as refused:
        liveness.probe_video(path)
    assert refused.value.code == "unreadable"


def encoded(array: np.ndarray, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a" + bytes(100), "type"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "corrupt"),
        (encoded(np.full((400, 600), 8, np.uint8)), "blank"),
        (
            encoded(np.tile(np.repeat(np.array([0, 45], np.uint8), 10), (400, 30))),
            "too_dark",
        ),  # dark (the old single "exposure" code, split)
    ],
)
def test_unreadable_photos_are_refused(data, code):
    with pytest.raises(imagecheck.ImageRefused) as refused:
        imagecheck.check_image(data)
    assert refused.value.code == f"image_{code}"


def test_a_readable_photo_passes():
    facts = imagecheck.check_image(png_bytes())
    assert facts.content_type == "image/png" and (facts.width, facts.height) == (640, 400)
    jpeg = imagecheck.check_image(encoded(np.asarray(Image.open(io.BytesIO(png_bytes())).convert("RGB")), "JPEG"))
    assert jpeg.content_type == "image/jpeg"
