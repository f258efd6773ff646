"""Business licences (营业执照) and ID cards drawn in the tests, as scanners and phones deliver them.

A licence is drawn with the Noto CJK font at A4-landscape proportions, then delivered as a
clean scan (near-white paper, 200 dpi), a phone photo (on a desk, in perspective, with uneven
light, sensor noise and a little blur), a skewed scan, or a genuinely unusable picture (far too
dark, or so overexposed that the print has faded into the paper).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from inkseal.core.idnumbers import uscc_check_char
from inkseal.seals.fonts import NOTO_DIR, chinese_face_index

_COMPANIES = [
    "北京天威诚信电子商务服务有限公司",
    "上海鑫源建筑工程有限公司",
    "深圳市龙腾信息技术有限公司",
    "杭州博远生物医药股份有限公司",
    "成都瑞丰物流有限公司",
    "苏州工业园区汇通新能源有限公司",
]
_REPS = ["张伟", "刘婧妍", "王小明", "陈思远", "赵敏", "乔海朋"]


@dataclass(frozen=True)
class Licence:
    company: str
    uscc: str
    legal_rep: str


def licence(serial: int) -> Licence:
    first17 = f"91{110108 + serial:06d}MA0{serial:04d}XY"[:17]
    return Licence(_COMPANIES[serial % len(_COMPANIES)], first17 + uscc_check_char(first17), _REPS[serial % len(_REPS)])


@functools.cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = NOTO_DIR / ("NotoSerifCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    return ImageFont.truetype(str(path), size, index=chinese_face_index(path))


def draw_licence(info: Licence, width: int = 2339, paper: int = 250) -> Image.Image:
    """The licence page, `width` px wide (2339 = A4 landscape at 200 dpi), on paper of grey level
    `paper`, laid out like the national template: title, code, and label/value rows."""
    scale = width / 2339
    height = round(width * 210 / 297)
    page = Image.new("RGB", (width, height), (paper, paper, paper))
    draw = ImageDraw.Draw(page)
    ink = (25, 25, 25)

    def at(x: float, y: float) -> tuple[float, float]:
        return x * scale, y * scale

    border = 40 * scale
    draw.rectangle((border, border, width - border, height - border), outline=(150, 110, 60), width=round(10 * scale))
    draw.text(at(1170, 200), "营业执照", font=_font(round(130 * scale), bold=True), fill=ink, anchor="mm")
    small = _font(round(34 * scale))
    draw.text(at(200, 360), f"统一社会信用代码  {info.uscc}", font=small, fill=ink)
    rows = [
        ("名　　　称", info.company),
        ("类　　　型", "有限责任公司（自然人投资或控股）"),
        ("法定代表人", info.legal_rep),
        ("经 营 范 围", "技术开发、技术咨询、技术服务；销售电子产品。"),
    ]
    right = [
        ("注 册 资 本", "人民币壹仟万元整"),
        ("成 立 日 期", "2015年03月08日"),
        ("营 业 期 限", "2015年03月08日至长期"),
        ("住　　　所", "北京市海淀区上地八街7号"),
    ]
    value = _font(round(40 * scale))
    for index, (label, text) in enumerate(rows):
        draw.text(at(200, 560 + index * 120), label, font=value, fill=ink)
        draw.text(at(470, 560 + index * 120), text, font=value, fill=ink)
    for index, (label, text) in enumerate(right):
        draw.text(at(1300, 560 + index * 120), label, font=value, fill=ink)
        draw.text(at(1570, 560 + index * 120), text, font=value, fill=ink)
    draw.text(at(1500, 1320), "登记机关    2023年06月18日", font=small, fill=ink)
    return page


def encode(image: Image.Image | np.ndarray, fmt: str = "JPEG", quality: int = 88) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    out = io.BytesIO()
    image.save(out, fmt, quality=quality) if fmt == "JPEG" else image.save(out, fmt)
    return out.getvalue()


def clean_scan(info: Licence, fmt: str = "JPEG") -> bytes:
    """A flatbed scan: near-white paper (the complaint's case), crisp print, a little noise."""
    rng = np.random.default_rng(1)
    page = np.asarray(draw_licence(info, paper=251)).astype(np.int16)
    page += rng.integers(-2, 3, page.shape[:2])[..., None]
    return encode(np.clip(page, 0, 255).astype(np.uint8), fmt)


def skewed_scan(info: Licence, angle: float = 4.0) -> bytes:
    """A scan with the page laid crooked on the glass."""
    page = draw_licence(info, paper=248)
    return encode(page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(246, 246, 246)))


def phone_photo(
    info: Licence, seed: int, blur: float = 1.2, tilt: float = 0.08, size: tuple[int, int] = (3264, 2448)
) -> bytes:
    """A phone photo: the page on a desk, seen at an angle (perspective), light falling off across
    it, sensor noise, slight blur, JPEG at a phone's quality."""
    rng = np.random.default_rng(seed)
    page = np.asarray(draw_licence(info, width=2600, paper=238)).astype(np.float32)
    width, height = size
    desk = np.empty((height, width, 3), np.float32)
    desk[:] = (120, 96, 70)
    h, w = page.shape[:2]
    margin_x, margin_y = width * 0.08, height * 0.1
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-tilt, tilt, (4, 2)) * (width - 2 * margin_x, height - 2 * margin_y)
    target = np.float32(
        [
            [margin_x, margin_y],
            [width - margin_x, margin_y],
            [width - margin_x, height - margin_y],
            [margin_x, height - margin_y],
        ]
    ) + jitter.astype(np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    warped = cv2.warpPerspective(page, matrix, (width, height), flags=cv2.INTER_AREA, borderValue=(-1, -1, -1))
    photo = np.where(warped >= 0, warped, desk)
    ys, xs = np.mgrid[0:height, 0:width]
    light = 0.7 + 0.25 * xs / width + 0.1 * (1 - ys / height)
    photo = photo * light[..., None].astype(np.float32) + rng.normal(0, 5, photo.shape).astype(np.float32)
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur))
    return encode(image, quality=82)


def too_dark(info: Licence) -> bytes:
    """A photo taken in a dark room: the paper itself comes out nearly black."""
    page = np.asarray(draw_licence(info, width=1800)).astype(np.float32) * 0.12
    return encode(np.clip(page, 0, 255).astype(np.uint8))


def too_bright(info: Licence) -> bytes:
    """An overexposed photo: the paper is blown out and the print has faded to a pale grey."""
    page = np.asarray(draw_licence(info, width=1800)).astype(np.float32)
    return encode(np.clip(page * 0.25 + 215, 0, 255).astype(np.uint8))


def phone_id_card(name: str, id_number: str, seed: int = 3) -> bytes:
    """An ID card's portrait side photographed by a phone (12 MP, JPEG): the card fills the middle
    of the frame on a desk."""
    font = _font(52)
    card = Image.new("RGB", (1712, 1080), (226, 232, 238))
    draw = ImageDraw.Draw(card)
    ink = (20, 20, 20)
    draw.text((120, 120), f"姓名  {name}", fill=ink, font=font)
    draw.text((120, 240), "性别 女  民族 汉", fill=ink, font=font)
    draw.text((120, 360), "出生 1990 年 3 月 8 日", fill=ink, font=font)
    draw.text((120, 480), "住址 北京市海淀区上地八街7号", fill=ink, font=font)
    draw.text((120, 880), f"公民身份号码  {id_number}", fill=ink, font=font)
    rng = np.random.default_rng(seed)
    width, height = 3264, 2448
    photo = np.empty((height, width, 3), np.float32)
    photo[:] = (150, 140, 120)
    x0, y0 = (width - card.width) // 2, (height - card.height) // 2
    photo[y0 : y0 + card.height, x0 : x0 + card.width] = np.asarray(card)
    photo += rng.normal(0, 4, photo.shape).astype(np.float32)
    image = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    return encode(image, quality=85)
