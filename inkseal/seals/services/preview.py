"""The 新增印章 page's live preview of a template seal, at screen resolution."""

from __future__ import annotations

from inkseal.seals.image_errors import SealImageError
from inkseal.seals.models import SealType
from inkseal.seals.render import render_png
from inkseal.seals.render_spec import SealKind, SealShape, SealSpec

# Screen resolution, not print: ~500 px across for a round seal keeps a preview near 60 ms.
PREVIEW_PX_PER_MM = {SealShape.ROUND: 12.0, SealShape.SQUARE: 24.0, SealShape.STRIP: 20.0}


def preview_seal_type(kind: str) -> SealType | None:
    """The seal type a template kind makes (人名章-方形 → name), None for kinds not offered."""
    try:
        parsed = SealKind.parse(kind)
    except SealImageError:
        return None
    if parsed in (SealKind.NAME_SQUARE, SealKind.NAME_STRIP):
        return SealType.NAME
    try:
        return SealType(parsed.value)
    except ValueError:
        return None


def render_preview(
    kind: str,
    name: str,
    *,
    lower_text: str | None = None,
    color: str = "red",
    size_mm: float | None = None,
    border: str = "single",
    texture: bool = False,
) -> bytes:
    """A screen-resolution PNG of a template seal for the 新增印章 page's live preview."""
    try:
        spec = SealSpec(kind, name, lower_text, color, size_mm, border, texture)
        return render_png(spec, PREVIEW_PX_PER_MM[spec.shape])
    except SealImageError as error:
        raise error.localised(keep_detail=False)
