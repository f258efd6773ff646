"""Getting the seal picture back out of a signature's appearance, as PNG.

Only raster images are extracted (what seal products put in appearances); vector-only
appearances give None. PNGs are cached by the image stream's bytes, so verifying many
documents sealed with the same seal decodes it once.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError

from inkseal.signing.core.pdfdict import lookup

MAX_PIXELS = 4096 * 4096
_MAX_DEPTH = 4


def seal_png(annotation: generic.DictionaryObject) -> bytes | None:
    """The largest raster image drawn by the annotation's normal appearance, as PNG."""
    try:
        appearance = annotation["/AP"]["/N"]
        images = sorted(_images(appearance, 0), key=_pixel_count, reverse=True)
        for image in images:
            png = _to_png(image)
            if png is not None:
                return png
    except (KeyError, TypeError, ValueError, PdfError):
        return None
    return None


def _images(xobject: generic.PdfObject, depth: int) -> Iterator[generic.StreamObject]:
    if depth > _MAX_DEPTH or not isinstance(xobject, generic.StreamObject):
        return
    if lookup(xobject, "/Subtype") == "/Image":
        yield xobject
        return
    resources = lookup(xobject, "/Resources")
    xobjects = lookup(resources, "/XObject") if isinstance(resources, generic.DictionaryObject) else None
    if not isinstance(xobjects, generic.DictionaryObject):
        return
    for name in list(xobjects.keys()):
        yield from _images(xobjects[name], depth + 1)


def _pixel_count(image: generic.StreamObject) -> int:
    return int(lookup(image, "/Width", 0)) * int(lookup(image, "/Height", 0))


def _to_png(image: generic.StreamObject) -> bytes | None:
    if _pixel_count(image) > MAX_PIXELS or lookup(image, "/ImageMask"):
        return None
    digest = hashlib.sha256(image.encoded_data)
    for mask_key in ("/SMask", "/Mask"):
        mask = lookup(image, mask_key)
        if isinstance(mask, generic.StreamObject):
            digest.update(mask.encoded_data)
    digest.update(repr((lookup(image, "/Width"), lookup(image, "/Height"), lookup(image, "/ColorSpace"))).encode())
    return _cached_png(digest.hexdigest(), image)


_PNG_CACHE: dict[str, bytes | None] = {}


def _cached_png(key: str, image: generic.StreamObject) -> bytes | None:
    if key not in _PNG_CACHE:
        if len(_PNG_CACHE) > 256:
            _PNG_CACHE.clear()
        _PNG_CACHE[key] = _render_png(image)
    return _PNG_CACHE[key]


def _render_png(image: generic.StreamObject) -> bytes | None:
    picture = _decode(image)
    if picture is None:
        return None
    alpha = _alpha(image, picture.size)
    if alpha is not None:
        picture = picture.convert("RGBA")
        picture.putalpha(alpha)
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _decode(image: generic.StreamObject) -> Image.Image | None:
    filters = lookup(image, "/Filter")
    names = [str(f) for f in filters] if isinstance(filters, generic.ArrayObject) else [str(filters)]
    if names and names[-1] in ("/DCTDecode", "/JPXDecode"):
        return Image.open(io.BytesIO(image.encoded_data)).convert("RGB")
    mode = _mode(image)
    if mode is None:
        return None
    size = (int(image["/Width"]), int(image["/Height"]))
    return Image.frombytes(mode, size, image.data)


def _mode(image: generic.StreamObject) -> str | None:
    if int(lookup(image, "/BitsPerComponent", 8)) != 8:
        return None
    space = lookup(image, "/ColorSpace")
    if isinstance(space, generic.ArrayObject) and space and space[0] == "/ICCBased":
        components = int(lookup(space[1].get_object(), "/N", 3))
        return {1: "L", 3: "RGB", 4: "CMYK"}.get(components)
    return {"/DeviceRGB": "RGB", "/DeviceGray": "L", "/DeviceCMYK": "CMYK"}.get(str(space))


def _alpha(image: generic.StreamObject, size: tuple[int, int]) -> Image.Image | None:
    soft = lookup(image, "/SMask")
    if isinstance(soft, generic.StreamObject) and _mode(soft) == "L":
        return _sized(Image.frombytes("L", _dimensions(soft), soft.data), size)
    hard = lookup(image, "/Mask")
    if isinstance(hard, generic.StreamObject) and lookup(hard, "/ImageMask"):
        stencil = Image.frombytes("1", _dimensions(hard), hard.data)
        return _sized(stencil.convert("L").point(lambda v: 0 if v else 255), size)
    return None


def _dimensions(stream: generic.StreamObject) -> tuple[int, int]:
    return int(stream["/Width"]), int(stream["/Height"])


def _sized(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    return mask if mask.size == size else mask.resize(size)
