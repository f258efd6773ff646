"""The pages of a signed OFD on the verify page, with their seals drawn from the signatures'
StampAnnots (the same renderer as the confirm page's previews, in a parser process under the
parsing budget). The verify page keeps no file, so the pictures go inline as data: URLs."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from inkseal.core.errors import DomainError
from inkseal.signing.core import preview
from inkseal.signing.parsing import budget, inspection

MAX_SEAL_PAGES = 6
WIDTH_PX = 600


@dataclass(frozen=True)
class PagePicture:
    number: int
    data_url: str


def seal_pages(data: bytes) -> list[PagePicture]:
    """The pages of an OFD that carry seals (the first page when none does); [] for a PDF."""
    if not preview.is_zip(data):
        return []
    try:
        pictures = budget.run(inspection.ofd_seal_pages, data, MAX_SEAL_PAGES, WIDTH_PX)
    except DomainError as exc:
        raise exc.localised()
    return [
        PagePicture(number, "data:image/png;base64," + base64.b64encode(png).decode("ascii"))
        for number, png in pictures
    ]
