"""Test inputs made on the fly: company names, photographed seals, handwritten names, non-seals."""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from inkseal.seals.fonts import NOTO_DIR, chinese_face_index

_REGIONS = ["北京", "上海", "广州市", "深圳市", "成都", "杭州", "内蒙古", "乌鲁木齐", "厦门", "苏州工业园区"]
_CORES = ["天威诚信", "鑫源", "喆堃赟", "华泰", "龙腾", "博远", "瑞丰", "中科", "汇通", "金桥", "宏达", "嘉禾"]
_TRADES = ["电子商务", "科技", "建筑工程", "生物医药", "信息技术", "商贸", "物流", "新能源", "文化传媒", ""]
_FORMS = ["有限公司", "股份有限公司", "集团有限公司", "服务有限公司", "厂", "研究院", "有限责任公司"]


def company_names(count: int, seed: int = 4) -> list[str]:
    """Distinct plausible company names of 4 to 20 characters, always including both extremes."""
    rng = random.Random(seed)
    names = ["小米科技", "中国石油天然气股份有限公司北京销售分公司"]
    while len(names) < count:
        name = rng.choice(_REGIONS) + rng.choice(_CORES) + rng.choice(_TRADES) + rng.choice(_FORMS)
        if 4 <= len(name) <= 20 and name not in names:
            names.append(name)
    return names


def on_paper(
    seal: Image.Image, angle: float, seed: int, seal_px: int = 520, size: tuple[int, int] = (1000, 800)
) -> bytes:
    """A phone photo of a stamped seal: beige paper with fibres and noise, the seal turned by
    `angle`, light falling off across the page, a little blur, saved as JPEG."""
    rng = np.random.default_rng(seed)
    width, height = size
    paper = np.empty((height, width, 3), np.float32)
    paper[:] = (236, 230, 214)
    paper += rng.normal(0, 6, (height, width, 1))
    paper += cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 3)[..., None] * 10
    turned = seal.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    turned = turned.resize((seal_px, seal_px), Image.Resampling.LANCZOS)
    rgba = np.asarray(turned).astype(np.float32)
    alpha = rgba[..., 3:4] / 255 * 0.85
    x0, y0 = (width - seal_px) // 2 + 40, (height - seal_px) // 2 - 30
    region = paper[y0 : y0 + seal_px, x0 : x0 + seal_px]
    region[:] = region * (1 - alpha) + region * rgba[..., :3] / 255 * alpha  # ink darkens paper
    ys, xs = np.mgrid[0:height, 0:width]
    light = 0.55 + 0.27 * xs / width + 0.18 * (1 - ys / height)
    photo = paper * light[..., None] + rng.normal(0, 4, paper.shape)
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    return jpeg(image, quality=75)


def jpeg(image: Image.Image | np.ndarray, quality: int = 85) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def handwritten(name: str, seed: int = 0, color: tuple[int, int, int] = (0, 0, 0)) -> Image.Image:
    """A name "written" on a transparent canvas: font glyphs each turned, squeezed and shifted
    a little, strokes wobbled by a smooth random warp, the whole line slanted."""
    rng = random.Random(seed)
    path = NOTO_DIR / "NotoSansCJK-Regular.ttc"
    font = ImageFont.truetype(str(path), 110, index=chinese_face_index(path))
    canvas = Image.new("RGBA", (150 * len(name) + 120, 280), (0, 0, 0, 0))
    x = 50
    for char in name:
        tile = Image.new("RGBA", (180, 180), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((90, 90), char, font=font, fill=(*color, 255), anchor="mm")
        tile = tile.rotate(rng.uniform(-10, 10), resample=Image.Resampling.BICUBIC)
        squeeze = rng.uniform(0.85, 1.1)
        tile = tile.resize((round(180 * squeeze), 180))
        canvas.alpha_composite(tile, (x, 50 + rng.randint(-15, 15)))
        x += round(120 * squeeze) + rng.randint(-6, 8)
    return _wobble(canvas, seed).rotate(rng.uniform(-6, 6), resample=Image.Resampling.BICUBIC, expand=True)


def _wobble(image: Image.Image, seed: int, amount: float = 4.0) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = image.size
    dx = cv2.resize(rng.normal(0, 1, (height // 40 + 2, width // 40 + 2)).astype(np.float32), (width, height))
    dy = cv2.resize(rng.normal(0, 1, (height // 40 + 2, width // 40 + 2)).astype(np.float32), (width, height))
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    warped = cv2.remap(np.asarray(image), xs + amount * dx, ys + amount * dy, cv2.INTER_LINEAR)
    return Image.fromarray(warped, "RGBA")


def noise_photo(seed: int = 0) -> bytes:
    """Photo-like colour clutter: smooth colour noise at several scales."""
    rng = np.random.default_rng(seed)
    layers = [
        cv2.resize(rng.random((s, s, 3)).astype(np.float32), (900, 700), interpolation=cv2.INTER_CUBIC)
        for s in (4, 16, 64, 256)
    ]
    return jpeg((np.clip(sum(layers) / 4, 0, 1) * 255).astype(np.uint8))


def document_page() -> bytes:
    """A scanned contract page: black text, no seal."""
    page = Image.new("RGB", (900, 1200), "white")
    draw = ImageDraw.Draw(page)
    path = NOTO_DIR / "NotoSerifCJK-Regular.ttc"
    font = ImageFont.truetype(str(path), 28, index=chinese_face_index(path))
    for line in range(30):
        draw.text(
            (60, 60 + 36 * line),
            "甲方与乙方经友好协商，就采购合同事宜达成如下协议，双方共同遵守。",
            font=font,
            fill="black",
        )
    return jpeg(page)


def blue_sky() -> bytes:
    fade = np.linspace(0, 1, 700)[:, None, None]
    sky = ((1 - fade) * np.array([40, 110, 210]) + fade * np.array([170, 210, 245])) * np.ones((1, 900, 1))
    return jpeg(sky.astype(np.uint8))


def red_disc() -> bytes:
    """A solid red ball on a table: red, round, but no seal."""
    image = np.full((700, 900, 3), 240, np.uint8)
    cv2.circle(image, (450, 350), 250, (220, 20, 30), -1)
    return jpeg(image)
