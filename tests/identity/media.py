"""Videos and images built in the tests.

The face is NASA's public-domain portrait of astronaut Eileen Collins (as shipped by scikit-image
as `astronaut.png`), cropped: tests/identity/data/astronaut.jpg. "Closed eyes" paint the eye
openings with skin colour and a lash line, which is what the Haar eye detector sees in a blink.
"""

from __future__ import annotations

import functools
import io
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FACE = Path(__file__).parent / "data" / "astronaut.jpg"
EYES = [(156, 100), (202, 103)]  # eye centres in astronaut.jpg
EYE_SIZE = 28


def face_image() -> np.ndarray:
    image = cv2.imread(str(FACE))
    assert image is not None
    return image


def closed_eyes(image: np.ndarray) -> np.ndarray:
    out = image.copy()
    for cx, cy in EYES:
        skin = [int(v) for v in image[cy + EYE_SIZE, cx]]
        axes = (EYE_SIZE * 4 // 10, EYE_SIZE * 3 // 10)
        cv2.ellipse(out, (cx, cy), axes, 0, 0, 360, skin, -1)
        cv2.line(out, (cx - axes[0], cy + 2), (cx + axes[0], cy + 2), (60, 50, 50), 2)
    return out


def frames(kind: str, count: int) -> list[np.ndarray]:
    """kind: 'face' (eyes open throughout), 'blink' (a blink a third of the way in), 'empty', 'two'."""
    face = face_image()
    if kind == "empty":
        wall = np.full_like(face, (200, 205, 210))
        return [wall for _ in range(count)]
    if kind == "two":
        pair = np.hstack([face, face])
        return [pair for _ in range(count)]
    if kind == "blink":
        shut = closed_eyes(face)
        start = count // 3
        return [shut if start <= i < start + max(3, count // 12) else face for i in range(count)]
    return [face for _ in range(count)]


def write_video(path: Path, kind: str = "face", seconds: float = 2.5, fps: int = 20) -> Path:
    """A WebM (VP8) video like the one a phone browser records."""
    images = frames(kind, round(seconds * fps))
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), fps, (width, height))
    for image in images:
        writer.write(image)
    writer.release()
    return path


def video_bytes(tmp_path: Path, kind: str = "face", seconds: float = 2.5, fps: int = 10) -> bytes:
    return _video_bytes(kind, seconds, fps)


@functools.cache
def _video_bytes(kind: str, seconds: float, fps: int) -> bytes:
    """Encoding is the slow part: each video is built once per test run."""
    with tempfile.TemporaryDirectory() as folder:
        return write_video(Path(folder) / f"{kind}.webm", kind, seconds, fps).read_bytes()


def write_y4m(path: Path, kind: str = "face", seconds: float = 3.0, fps: int = 15) -> Path:
    """A raw YUV4MPEG2 file for chromium's --use-file-for-fake-video-capture (it loops it)."""
    images = frames(kind, round(seconds * fps))
    height, width = images[0].shape[:2]
    with path.open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for image in images:
            handle.write(b"FRAME\n")
            handle.write(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def png_bytes(width: int = 640, height: int = 400, text: str = "", noise: bool = True) -> bytes:
    """A readable document-like picture (texture and text) as PNG."""
    rng = np.random.default_rng(7)
    base = np.full((height, width, 3), 235, np.uint8)
    if noise:
        base = (base.astype(np.int16) - rng.integers(0, 40, (height, width, 3))).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    for y in range(20, height - 20, 40):
        draw.rectangle((20, y, width - 20, y + 12), fill=(40, 40, 40))
    if text:
        draw.text((30, 30), text, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def plain_png(blur: bool = False) -> bytes:
    """A blank page, or (blur) a photo so out of focus that nothing can be read."""
    image = np.full((400, 640, 3), 200, np.uint8)
    if blur:
        image = cv2.GaussianBlur(np.asarray(Image.open(io.BytesIO(png_bytes())))[:, :, ::-1].copy(), (0, 0), 12)
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


def id_card_front(name: str, id_number: str) -> bytes:
    """A synthetic ID-card portrait side that OCR can read (drawn with the CJK font)."""
    font_path = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    font = ImageFont.truetype(font_path, 28, index=2)
    image = Image.new("RGB", (856, 540), (235, 238, 242))
    draw = ImageDraw.Draw(image)
    draw.text((60, 60), f"姓名  {name}", fill=(20, 20, 20), font=font)
    draw.text((60, 120), "性别 女  民族 汉", fill=(20, 20, 20), font=font)
    draw.text((60, 240), "住址 北京市海淀区上地八街7号", fill=(20, 20, 20), font=font)
    draw.text((60, 440), f"公民身份号码  {id_number}", fill=(20, 20, 20), font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
