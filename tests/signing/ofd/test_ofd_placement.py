"""Keyword anchoring in OFD text (TextCode, a keyword over several TextCodes and TextObjects) and
riding seals (骑缝章) across the right edges of the pages."""

from __future__ import annotations

import pytest

from inkseal.signing.core.errors import KeywordNotFound, PageOutOfRange
from inkseal.signing.core.ofd.model import document
from inkseal.signing.core.ofd.package import open_package
from inkseal.signing.core.ofd.placement import find_keyword, keyword_placements, riding_placements
from inkseal.signing.core.ofd.sign import seal_ofd
from inkseal.signing.core.ofd.verify import VALID, verify_ofd
from tests.signing.ofd import independent
from tests.signing.ofd.conftest import CORPUS, OfdSealing

HELLO = (CORPUS / "unsigned" / "reader-helloworld.ofd").read_bytes()
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
# "你好呀，OFD Reader&Writer！" of reader-helloworld, split over three TextCodes in two TextObjects
SPLIT_PAGE = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content><ofd:Layer ID="2">'
    '<ofd:TextObject ID="4" Boundary="31.7 25.4 40.5 5" Font="3" Size="3.0">'
    '<ofd:TextCode X="0" Y="3" DeltaX="3">你好</ofd:TextCode>'
    '<ofd:TextCode DeltaX="3 3 1.5 1.5">呀，OFD</ofd:TextCode></ofd:TextObject>'
    '<ofd:TextObject ID="5" Boundary="56.2 25.4 40.5 5" Font="3" Size="3.0">'
    '<ofd:TextCode X="0" Y="3" DeltaX="g 6 1.5">Reader</ofd:TextCode></ofd:TextObject>'
    "</ofd:Layer></ofd:Content></ofd:Page>"
).encode()


def with_page(data: bytes, page: bytes) -> bytes:
    package = open_package(data)
    return package.write({document(package).pages[0].content: page})


def test_keyword_in_one_text_code() -> None:
    package = open_package(HELLO)
    (hit,) = find_keyword(package, document(package), "Reader")
    # TextObject at x 31.7; 你好呀， advance 3 mm each, "OFD " 1.5 mm each; baseline 3, size 3
    assert hit[0] == 1
    assert hit[1] == pytest.approx((31.7 + 4 * 3 + 4 * 1.5, 25.4 + 3 - 3, 6 * 1.5, 3))


def test_keyword_over_several_text_codes() -> None:
    package = open_package(with_page(HELLO, SPLIT_PAGE))
    doc = document(package)
    (hit,) = find_keyword(package, doc, "好呀，OF")
    assert hit[1] == pytest.approx((31.7 + 3, 25.4, 3 + 3 + 3 + 1.5 + 1.5, 3))
    (hit,) = find_keyword(package, doc, "OFDReader")  # over two TextObjects
    assert hit[1][0] == pytest.approx(31.7 + 12) and hit[1][2] == pytest.approx(56.2 + 9 - 43.7)


def test_every_occurrence() -> None:
    package = open_package((CORPUS / "unsigned" / "reader-multiKeywordInTextCode.ofd").read_bytes())
    doc = document(package)
    text = "打发打发打发打发打发哈哈打发哈哈哈哈哈哈哈哈哈打发"
    expected = []
    start = text.find("哈哈")
    while start >= 0:
        expected.append(start)
        start = text.find("哈哈", start + 2)
    hits = list(find_keyword(package, doc, "哈哈"))
    assert len(hits) == len(expected) == 5
    assert [p.page for p in keyword_placements(package, doc, "哈哈", width_mm=40, height_mm=40, occurrence="all")] == [
        1
    ] * 5


def test_seal_on_a_keyword(sealing: OfdSealing) -> None:
    data = with_page(HELLO, SPLIT_PAGE)
    package = open_package(data)
    placements = keyword_placements(package, document(package), "好呀，OF", width_mm=40, height_mm=40)
    sealed = seal_ofd(data, seal_der=sealing.seal, signer=sealing.signer, placements=placements)
    (report,) = verify_ofd(sealed).signatures
    assert report.status == VALID
    centre_x, centre_y = 31.7 + 3 + 12 / 2, 25.4 + 1.5
    x, y, w, h = (float(v) for v in report.stamps[0]["boundary"].split())
    assert (x + w / 2, y + h / 2) == pytest.approx((centre_x, centre_y), abs=1e-3)
    with pytest.raises(KeywordNotFound):
        keyword_placements(package, document(package), "不存在", width_mm=40, height_mm=40)


def test_riding_seal(sealing: OfdSealing) -> None:
    data = (CORPUS / "unsigned" / "layout-Page5.ofd").read_bytes()
    package = open_package(data)
    doc = document(package)
    placements = riding_placements(doc, width_mm=40, height_mm=40, y_mm=40)
    sealed = seal_ofd(data, seal_der=sealing.seal, signer=sealing.signer, placements=placements)
    (report,) = verify_ofd(sealed).signatures
    assert report.status == VALID
    width = doc.pages[0].box[2]
    # one StampAnnot per page, each showing its 8 mm slice at the right edge
    assert [(s["page_ref"], s["boundary"], s["clip"]) for s in report.stamps] == [
        (page.id, f"{width - 8 * (i + 1):g} 40 40 40", f"{8 * i:g} 0 8 40") for i, page in enumerate(doc.pages)
    ]
    assert all(c.signature_intact and not c.changed for c in independent.check(sealed))
    with pytest.raises(PageOutOfRange):
        riding_placements(document(open_package(HELLO)), width_mm=40, height_mm=40)


def test_keyword_with_ctm_and_other_objects() -> None:
    """A TextObject scaled by its CTM (x2) among path objects: the box scales, the rest is skipped."""
    page = SPLIT_PAGE.replace(b'ID="5" Boundary', b'ID="5" CTM="2 0 0 2 0 0" Boundary').replace(
        b'<ofd:Layer ID="2">', b'<ofd:Layer ID="2"><ofd:PathObject ID="9" Boundary="0 0 1 1"/>'
    )
    package = open_package(with_page(HELLO, page))
    ((number, box),) = find_keyword(package, document(package), "Reader")
    # glyph top-left (0, 3 - 3) scaled by 2, from the TextObject's origin; 6 advances of 1.5 x 2
    assert number == 1 and box == pytest.approx((56.2, 25.4, 6 * 1.5 * 2, 3 * 2))
