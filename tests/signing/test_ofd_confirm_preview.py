"""The confirm page shows OFD pages with the seal placements like PDFs (issue #17): the page
pictures come from the OFD renderer through the parsing budget, their proportions are the
PhysicalBox's, and an overlay made from an OFD placement (millimetres from the top left) sits
where the seal will be stamped.

Until the sign-task API accepts OFD (branch ofdapi), the task is created from a PDF and its stored
document then made an OFD with its overlays, the rows the API will write."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from PIL import Image

from inkseal.signing.core.ofd.errors import OfdError
from inkseal.signing.core.ofd.render import stamp_fractions
from inkseal.signing.models import SignDocument
from inkseal.signing.verification.pages import seal_pages
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, text_pdf
from tests.signing.error_status import status_for

pytestmark = pytest.mark.django_db

CORPUS = Path("/work/shared/corpus/ofd")


def _ofd_task(signing: Signing, ofd: bytes, overlays: list[dict[str, Any]], pages: int) -> str:
    body = signing.create().json()
    document = SignDocument.objects.get(task__public_id=body["id"])
    Path(document.original.path).write_bytes(ofd)
    document.pages = pages
    document.placements = {**document.placements, "overlays": overlays}
    document.save(update_fields=["pages", "placements"])
    return confirm_token(body["confirm_url"])


def test_confirm_page_shows_ofd_pages_with_their_seal_placements(signing: Signing) -> None:
    ofd = (CORPUS / "unsigned" / "layout-Page5.ofd").read_bytes()  # five A4 pages, 210 x 297 mm
    left, top, width, height = stamp_fractions((0, 0, 210, 297), 150, 230, 42, 42)  # page 2, low right
    overlay = {"page": 2, "left": left, "top": top, "width": width, "height": height, "seal_type": "official"}
    token = _ofd_task(signing, ofd, [overlay], 5)

    page = signing.client.get(f"/sign/confirm/{token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(f"/sign/confirm/{token}/documents/1/pages/") == 5
    boxes = re.findall(
        r'class="seal-preview[^"]*" style="left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;height:([\d.]+)%"', html
    )
    assert [tuple(float(v) for v in box) for box in boxes] == [
        pytest.approx((150 / 210 * 100, 230 / 297 * 100, 42 / 210 * 100, 42 / 297 * 100), abs=1e-3)
    ]
    assert page.context["documents"][0].preview_pages[1]["seals"]  # on page 2, not page 1
    assert not page.context["documents"][0].preview_pages[0]["seals"]

    picture = signing.client.get(f"/sign/confirm/{token}/documents/1/pages/2.png")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(picture.content))
    assert abs(image.height / image.width - 297 / 210) < 0.01  # the overlay's percentages fit the page
    darkest, _ = image.convert("L").getextrema()
    assert darkest < 128  # the page's drawing, not a blank


def test_confirm_page_refuses_a_hostile_ofd_with_the_cores_code(signing: Signing) -> None:
    hello = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
    token = _ofd_task(signing, hello[: len(hello) // 2], [], 1)  # truncated
    response = signing.client.get(f"/sign/confirm/{token}/documents/1/pages/1.png")
    assert response.status_code == status_for("ofd_truncated")
    assert response.context["error"].code == "ofd_truncated"


# -- the verify page: a signed OFD's pages with their seals ---------------------------------------


def test_verify_page_pieces_show_the_stamped_pages_with_their_seals() -> None:
    """converter-V4RideRight.ofd: a riding seal over its five pages, each page's slice drawn;
    the pictures go inline (the verify page keeps no file). A PDF has no such pictures."""
    data = (CORPUS / "signed" / "converter-V4RideRight.ofd").read_bytes()
    pages = seal_pages(data)
    assert [p.number for p in pages] == [1, 2, 3, 4, 5]
    for page in pages:
        image = Image.open(io.BytesIO(base64.b64decode(page.data_url.removeprefix("data:image/png;base64,"))))
        image = image.convert("RGB")
        scale = image.width / 210
        edge = image.crop((round(190 * scale), round(40 * scale), image.width, round(80 * scale)))
        reds = sum(1 for r, g, b in edge.get_flattened_data() if r > 180 and g < 120 and b < 120)
        assert reds > 50, page.number  # the seal's slice at the right edge
    html = render_to_string("signing/verify_pages.html", {"pages": pages})
    assert html.count('class="verify-page') == 5 and html.count('src="data:image/png;base64,') == 5
    assert seal_pages(text_pdf()) == []


def test_verify_page_pieces_for_a_seal_on_one_page_and_a_broken_file() -> None:
    signed = (CORPUS / "signed" / "converter-n.ofd").read_bytes()  # the seal is on page 2 of 2
    assert [p.number for p in seal_pages(signed)] == [2]
    unsigned = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
    assert [p.number for p in seal_pages(unsigned)] == [1]
    with pytest.raises(OfdError) as caught:
        seal_pages(unsigned[:-30])
    html = render_to_string("signing/verify_pages.html", {"pages": [], "pages_error": caught.value})
    assert 'id="verify-pages-error"' in html and f'data-code="{caught.value.code}"' in html
