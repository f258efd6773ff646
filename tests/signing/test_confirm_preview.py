"""What the signer sees before confirming (签章确认): each seal drawn at its true size and place on
the page previews, with its Chinese name, and the seal pictures served only through the task's
own confirm link."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from inkseal.signing.core.geometry import MM
from tests.signing.api_support import *  # noqa: F403
from tests.signing.api_support import Signing, confirm_token, text_pdf

pytestmark = pytest.mark.django_db

PAGE_W, PAGE_H = 595.0, 842.0  # text_pdf pages (A4)


def _create(signing: Signing, placements: list[dict[str, Any]], pages: int = 2) -> str:
    spec = signing.spec(documents=[{"file": 0, "placements": placements}])
    response = signing.create(files=[("bid.pdf", text_pdf(pages))], spec=spec)
    assert response.status_code == 201, response.content
    return confirm_token(response.json()["confirm_url"])


def _seal_figures(page_html: str) -> list[dict[str, str]]:
    """Every previewed seal: the box's style, the picture's src/alt and the caption."""
    found = []
    for match in re.finditer(r'<figure class="seal-preview[^"]*"(.*?)</figure>', page_html, re.S):
        block = match.group(0)
        img = re.search(r"<img ([^>]*)>", block)
        assert img is not None, block
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', img.group(1)))
        box = re.search(r'style="([^"]*)"', block)
        found.append(
            {
                "box": box.group(1) if box else "",
                "src": html.unescape(attrs.get("src", "")),
                "alt": attrs.get("alt", ""),
                "img_style": attrs.get("style", ""),
                "text": re.sub(r"<[^>]+>", "", block),
            }
        )
    return found


def _percent(style: str, prop: str) -> float:
    match = re.search(rf"(?<![-\w]){prop}:\s*(-?[\d.]+)%", style)
    assert match is not None, (prop, style)
    return float(match.group(1))


def test_confirm_page_draws_each_seal_at_its_place_with_its_name(signing: Signing) -> None:
    token = _create(
        signing,
        [
            {"seal_type": "official", "page": 1, "x": 400, "y": 120},
            {"seal_type": "legal_representative", "cross_page": True},
        ],
    )
    response = Client().get(f"/sign/confirm/{token}")
    assert response.status_code == 200
    page = response.content.decode()
    figures = _seal_figures(page)
    assert len(figures) == 3, figures  # the official seal, and the 骑缝章 in two slices
    official, *slices = figures

    seal = 42 * MM  # the official seal is 42 mm, centred on (400, 120) from the bottom-left
    assert official["src"] == f"/sign/confirm/{token}/seals/official.png"
    assert official["alt"] == "公章" and "公章" in official["text"]
    assert _percent(official["box"], "left") == pytest.approx((400 - seal / 2) / PAGE_W * 100, abs=0.01)
    assert _percent(official["box"], "top") == pytest.approx((PAGE_H - 120 - seal / 2) / PAGE_H * 100, abs=0.01)
    assert _percent(official["box"], "width") == pytest.approx(seal / PAGE_W * 100, abs=0.01)
    assert _percent(official["box"], "height") == pytest.approx(seal / PAGE_H * 100, abs=0.01)

    legal = 20 * MM  # two pages: each shows half of the 20 mm seal at its right edge
    for position, piece in enumerate(slices):
        assert piece["src"] == f"/sign/confirm/{token}/seals/legal_representative.png"
        assert piece["alt"] == "法定代表人章" and "骑缝章" in piece["text"]
        assert _percent(piece["box"], "left") == pytest.approx((PAGE_W - legal / 2) / PAGE_W * 100, abs=0.01)
        assert _percent(piece["box"], "width") == pytest.approx(legal / 2 / PAGE_W * 100, abs=0.01)
        assert _percent(piece["box"], "top") == pytest.approx((PAGE_H - legal) / 2 / PAGE_H * 100, abs=0.01)
        # the whole seal picture, twice the slice's width, moved left by the slices before it
        assert _percent(piece["img_style"], "width") == pytest.approx(200, abs=0.01)
        assert _percent(piece["img_style"], "left") == pytest.approx(-100 * position, abs=0.01)
    assert "legal_representative" not in re.sub(r'src="[^"]*"', "", page)  # no internal codes shown
    assert 'title="official"' not in page


def test_seal_pictures_answer_only_through_their_tasks_link(signing: Signing) -> None:
    token = _create(signing, [{"seal_type": "official", "page": 1, "x": 300, "y": 300}], pages=1)
    other = _create(signing, [{"seal_type": "legal_representative", "page": 1, "x": 300, "y": 300}], pages=1)
    anonymous = Client()

    picture = anonymous.get(f"/sign/confirm/{token}/seals/official.png")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    with signing.seals["official"].image.open("rb") as handle:
        assert picture.content == handle.read()
    assert "private" in picture["Cache-Control"]

    assert anonymous.get(f"/sign/confirm/{other}/seals/official.png").status_code == 404  # not in that task
    assert anonymous.get(f"/sign/confirm/{token}/seals/legal_representative.png").status_code == 404
    assert anonymous.get(f"/sign/confirm/{token}/seals/finance.png").status_code == 404
    assert anonymous.get("/sign/confirm/not-a-token/seals/official.png").status_code == 404
    # the public seal URL stays behind the holder's login
    assert anonymous.get(f"/seals/{signing.seals['official'].pk}/image.png").status_code == 302
